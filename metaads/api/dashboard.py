"""The dashboard's answers: ``GET /admin/meta-ads/`` (design.md fixes ``accounts``, ``totals``,
``since``, ``until`` and their metrics; the rest is added beside them) and the reported-vs-received
breakdown of an account or a campaign (``…/lead-gap``). Money is in the currency's minor units."""

from __future__ import annotations

from marshmallow import Schema, fields

#: The metrics design.md fixes for an account and a currency's totals.
_FIXED = {
    "spend": "Minor units of the account's currency.",
    "impressions": "",
    "clicks": "",
    "leads": "Meta's count (the `lead` action of the ad-day insights).",
    "leads_received": (
        "Leads stored here whose ad belongs to it, submitted within the range in its account's days (test leads left out)."
    ),
    "contacted": "Of the leads received, those that ever reached contacted (stages are cumulative).",
    "qualified": "Of the leads received, those that ever reached qualified.",
    "converted": "Of the leads received, those that were converted.",
}
_ADDED: dict[str, fields.Field] = {
    "ctr": fields.Float(allow_none=True, metadata={"description": "Clicks per 100 impressions."}),
    "qualified_signals": fields.Integer(
        metadata={"description": "Qualified stages of the leads received that Meta accepted through the Conversions API."}
    ),
    "converted_signals": fields.Integer(
        metadata={"description": "Converted stages of the leads received that Meta accepted through the Conversions API."}
    ),
    **{
        f"cost_per_{stage}": fields.Integer(
            allow_none=True, metadata={"description": f"Spend per {noun} (minor units, half up); null for none."}
        )
        for stage, noun in (
            ("lead", "lead Meta reports"),
            ("received", "lead received"),
            ("contacted", "lead contacted"),
            ("qualified", "lead qualified"),
            ("converted", "lead converted"),
        )
    },
}


def _metrics() -> dict[str, fields.Field]:
    fixed = {name: fields.Integer(required=True, metadata={"description": text} if text else {}) for name, text in _FIXED.items()}
    return {**fixed, **_ADDED}


AccountFiguresSchema = Schema.from_dict(
    {
        "id": fields.Integer(required=True),
        "name": fields.String(required=True),
        "currency": fields.String(required=True),
        "timezone": fields.String(allow_none=True, metadata={"description": "The account's days are this zone's."}),
        **_metrics(),
    },
    name="DashboardAccount",
)
TotalsSchema = Schema.from_dict(
    {"currency": fields.String(required=True), **_metrics()},
    name="DashboardTotals",
)
CampaignFunnelSchema = Schema.from_dict(
    {
        "id": fields.Integer(required=True),
        "name": fields.String(required=True),
        "status": fields.String(required=True, metadata={"description": "ACTIVE, PAUSED, ARCHIVED or DELETED."}),
        "effective_status": fields.String(allow_none=True),
        "ad_account_id": fields.Integer(required=True),
        "currency": fields.String(required=True),
        **_metrics(),
    },
    name="DashboardCampaign",
)


class TrendDaySchema(Schema):
    date = fields.Date(required=True)
    spend = fields.Integer(required=True)
    impressions = fields.Integer(required=True)
    clicks = fields.Integer(required=True)
    leads = fields.Integer(required=True, metadata={"description": "Meta's count."})
    leads_received = fields.Integer(required=True)


class TrendSchema(Schema):
    currency = fields.String(required=True)
    days = fields.List(fields.Nested(TrendDaySchema), required=True, metadata={"description": "Every day of the range."})


class FormFiguresSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    ad_account_id = fields.Integer(allow_none=True)
    leads_received = fields.Integer(required=True, metadata={"description": "Leads received in the range (test leads left out)."})
    leads_count = fields.Integer(required=True, metadata={"description": "Every lead stored for the form."})
    last_lead_at = fields.AwareDateTime(allow_none=True)


class HealthSchema(Schema):
    leads_waiting = fields.Integer(required=True, metadata={"description": "Announced by Meta, not stored yet."})
    leads_failed = fields.Integer(
        required=True, metadata={"description": "Gave up after retries: retry them on the Pipeline page."}
    )
    connections_needing_reauth = fields.Integer(required=True)
    sync_runs_failed = fields.Integer(required=True, metadata={"description": "Failed or partial, in the last 7 days."})
    conversions_failed = fields.Integer(required=True, metadata={"description": "Conversions API events Meta refused."})


class DashboardSchema(Schema):
    accounts = fields.List(fields.Nested(AccountFiguresSchema), required=True)
    totals = fields.List(
        fields.Nested(TotalsSchema),
        required=True,
        metadata={"description": "One per currency: amounts in two currencies are never added."},
    )
    since = fields.Date(required=True)
    until = fields.Date(required=True)
    trend = fields.List(fields.Nested(TrendSchema), required=True)
    campaigns = fields.List(
        fields.Nested(CampaignFunnelSchema),
        required=True,
        metadata={
            "description": "The funnel of the campaigns with delivery or leads in the range, most spend first (up to limit)."
        },
    )
    campaigns_count = fields.Integer(required=True)
    top_by_leads = fields.List(fields.Nested(CampaignFunnelSchema), required=True)
    top_by_cost_per_converted = fields.List(
        fields.Nested(CampaignFunnelSchema), required=True, metadata={"description": "Cheapest first, within each currency."}
    )
    lead_forms = fields.List(fields.Nested(FormFiguresSchema), required=True)
    health = fields.Nested(HealthSchema, required=True)


# --- why Meta's count and ours differ -----------------------------------------------------------


class GapReasonSchema(Schema):
    code = fields.String(
        required=True,
        metadata={
            "enum": ["waiting", "failed", "deleted", "not_synced", "organic", "test", "erased", "time_zone", "after_range"]
        },
    )
    count = fields.Integer(required=True)
    counted_by_meta = fields.Boolean(required=True)
    counted_here = fields.Boolean(required=True)
    extra = fields.Integer(metadata={"description": "time_zone: leads a report in UTC days would add."})
    lead_ids = fields.List(fields.Integer(), metadata={"description": "Some of the leads (our ids), newest first."})
    leadgen_ids = fields.List(fields.String(), metadata={"description": "Some of the leads Meta announced, not stored."})


class LeadGapSchema(Schema):
    ad_account_id = fields.Integer(required=True)
    campaign_id = fields.Integer(allow_none=True)
    currency = fields.String(required=True)
    since = fields.Date(required=True)
    until = fields.Date(required=True)
    reported = fields.Integer(required=True, metadata={"description": "Meta's count."})
    received = fields.Integer(required=True)
    difference = fields.Integer(required=True, metadata={"description": "reported - received."})
    explained = fields.Integer(required=True, metadata={"description": "Meta counts them, we do not (yet)."})
    unexplained = fields.Integer(required=True)
    insights_synced_at = fields.AwareDateTime(allow_none=True)
    reasons = fields.List(fields.Nested(GapReasonSchema), required=True)


class LeadGapAnswerSchema(Schema):
    lead_gap = fields.Nested(LeadGapSchema, required=True)
