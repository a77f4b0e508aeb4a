"""JSON shapes of metaads' models, one schema per object (every view and the outbound webhook dump
with these): the seed's field names, money as integer minor units with the currency beside it,
times as ISO 8601 UTC, Meta ids as strings. The keys are fixed by design.md."""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema


class _Base(Schema):
    id = fields.Integer(dump_only=True)
    metadata = fields.Dict(attribute="metadata_", allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class _Performance(Schema):
    impressions = fields.Integer()
    clicks = fields.Integer()
    spend = fields.Integer()
    leads = fields.Integer()


class AdAccountSchema(_Base):
    meta_account_id = fields.String()
    name = fields.String()
    currency = fields.String()
    timezone = fields.String(allow_none=True)
    business_name = fields.String(allow_none=True)
    status = fields.String()
    account_status = fields.Integer(allow_none=True)
    amount_spent = fields.Integer()
    spend_cap = fields.Integer(allow_none=True)
    balance = fields.Integer(allow_none=True)
    last_synced_at = fields.AwareDateTime(allow_none=True)
    sync_status = fields.String()
    platform_id = fields.Integer(allow_none=True)


class AdCampaignSchema(_Base, _Performance):
    meta_campaign_id = fields.String()
    name = fields.String()
    objective = fields.String(allow_none=True)
    status = fields.String()
    effective_status = fields.String(allow_none=True)
    buying_type = fields.String()
    daily_budget = fields.Integer(allow_none=True)
    lifetime_budget = fields.Integer(allow_none=True)
    budget_remaining = fields.Integer(allow_none=True)
    currency = fields.Function(lambda c: c.ad_account.currency if c.ad_account else None)
    start_time = fields.AwareDateTime(allow_none=True)
    stop_time = fields.AwareDateTime(allow_none=True)
    last_synced_at = fields.AwareDateTime(allow_none=True)
    ad_account_id = fields.Integer()


class AdSetSchema(_Base, _Performance):
    meta_adset_id = fields.String()
    name = fields.String()
    status = fields.String()
    effective_status = fields.String(allow_none=True)
    daily_budget = fields.Integer(allow_none=True)
    lifetime_budget = fields.Integer(allow_none=True)
    bid_amount = fields.Integer(allow_none=True)
    billing_event = fields.String()
    optimization_goal = fields.String(allow_none=True)
    targeting = fields.Dict(allow_none=True)
    currency = fields.Function(lambda s: s.campaign.ad_account.currency if s.campaign and s.campaign.ad_account else None)
    start_time = fields.AwareDateTime(allow_none=True)
    end_time = fields.AwareDateTime(allow_none=True)
    last_synced_at = fields.AwareDateTime(allow_none=True)
    campaign_id = fields.Integer()


class AdSchema(_Base, _Performance):
    meta_ad_id = fields.String()
    name = fields.String()
    status = fields.String()
    effective_status = fields.String(allow_none=True)
    creative_id = fields.String(allow_none=True)
    preview_url = fields.String(allow_none=True)
    currency = fields.Function(
        lambda a: (
            a.ad_set.campaign.ad_account.currency if a.ad_set and a.ad_set.campaign and a.ad_set.campaign.ad_account else None
        )
    )
    last_synced_at = fields.AwareDateTime(allow_none=True)
    ad_set_id = fields.Integer()
    campaign_id = fields.Function(lambda a: a.ad_set.campaign_id if a.ad_set else None)


class AdWriteSchema(Schema):
    """One write to Meta, as the object's page and JSON show it."""

    id = fields.Integer()
    object_type = fields.String()
    object_id = fields.Integer(allow_none=True)
    meta_id = fields.String(allow_none=True)
    action = fields.String()
    status = fields.String()
    actor_user_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    meta = fields.Dict(allow_none=True)
    message = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)


class LeadFormSchema(_Base):
    meta_form_id = fields.String()
    name = fields.String()
    status = fields.String()
    locale = fields.String(allow_none=True)
    questions = fields.List(fields.Dict(), allow_none=True)
    privacy_policy_url = fields.String(allow_none=True)
    thank_you_page_url = fields.String(allow_none=True)
    leads_count = fields.Integer()
    page_id = fields.String()
    ad_account_id = fields.Integer(allow_none=True)
    question_count = fields.Function(lambda form: len(form.questions or []))
    last_lead_at = fields.AwareDateTime(allow_none=True)
    last_synced_at = fields.AwareDateTime(allow_none=True)


class LeadSchema(_Base):
    meta_lead_id = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    full_name = fields.String(allow_none=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    field_data = fields.List(fields.Dict(), allow_none=True)
    custom_disclaimer_responses = fields.List(fields.Dict(), allow_none=True)
    ad_id = fields.String(allow_none=True)
    ad_name = fields.String(allow_none=True)
    adset_id = fields.String(allow_none=True)
    adset_name = fields.String(allow_none=True)
    campaign_id = fields.String(allow_none=True)
    campaign_name = fields.String(allow_none=True)
    form_id = fields.String(allow_none=True)
    page_id = fields.String(allow_none=True)
    is_organic = fields.Boolean(allow_none=True)
    is_test = fields.Boolean()
    platform = fields.String(attribute="meta_platform", allow_none=True)
    created_time = fields.AwareDateTime()
    status = fields.String()
    notes = fields.String(allow_none=True)
    assigned_to = fields.String(allow_none=True)
    contacted_at = fields.AwareDateTime(allow_none=True)
    converted_at = fields.AwareDateTime(allow_none=True)
    source = fields.String()
    lead_form_id = fields.Integer(allow_none=True)
    platform_id = fields.Integer(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    erased_at = fields.AwareDateTime(allow_none=True)


class LeadActivitySchema(Schema):
    """One entry of a lead's log."""

    id = fields.Integer()
    action = fields.String()
    actor_user_id = fields.Integer(allow_none=True)
    from_value = fields.String(allow_none=True)
    to_value = fields.String(allow_none=True)
    details = fields.Dict(allow_none=True)
    created_at = fields.AwareDateTime()


# -- the pipeline ------------------------------------------------------------------------------


class SyncRunSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    scope = fields.String()
    trigger = fields.String()
    status = fields.String()
    started_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    counts = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)


class WebhookInboxSchema(Schema):
    id = fields.Integer()
    leadgen_id = fields.String(allow_none=True)
    page_id = fields.String(allow_none=True)
    form_id = fields.String(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    deliveries = fields.Integer()
    last_error = fields.String(allow_none=True)
    error_code = fields.String(allow_none=True)
    received_at = fields.AwareDateTime()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    lead_id = fields.Integer(allow_none=True)


class OutboundDeliverySchema(Schema):
    id = fields.Integer()
    url = fields.String()
    event = fields.String()
    lead_id = fields.Integer(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    response_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)


class PageHealthSchema(Schema):
    """A connected Page as the pipeline shows it: is it subscribed, when did its last webhook come."""

    page_id = fields.String()
    name = fields.String()
    leadgen_subscribed = fields.Boolean()
    last_webhook_at = fields.AwareDateTime(allow_none=True)


class JobFailureSchema(Schema):
    id = fields.Integer()
    func_name = fields.String()
    error_type = fields.String()
    error = fields.String()
    failed_at = fields.AwareDateTime()


# -- what clients send to create or change campaigns, ad sets and ads ---------------------------
#
# Everything here is judged before Meta is called (a refusal is a 400 and no Graph call); what
# only Meta can judge (minimum budgets in the account's currency, a Page you may advertise for,
# a form of the creative's Page) is left to Meta, whose refusal is a 422.

#: Our name columns hold 255 characters (Ads Manager cuts names well before Meta's API limit).
NAME_MAX = 255
#: More than 100 million a day in a two-decimal currency (10 billion yen) is a typo, not a budget.
BUDGET_MAX = 10_000_000_000
ODAX_OBJECTIVES = (
    "OUTCOME_APP_PROMOTION",
    "OUTCOME_AWARENESS",
    "OUTCOME_ENGAGEMENT",
    "OUTCOME_LEADS",
    "OUTCOME_SALES",
    "OUTCOME_TRAFFIC",
)
CREATE_STATUSES = ("ACTIVE", "PAUSED")
UPDATE_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED")
SPECIAL_AD_CATEGORIES = (
    "NONE",
    "CREDIT",
    "EMPLOYMENT",
    "HOUSING",
    "ISSUES_ELECTIONS_POLITICS",
    "FINANCIAL_PRODUCTS_SERVICES",
    "ONLINE_GAMBLING_AND_GAMING",
)
BID_STRATEGIES = ("LOWEST_COST_WITHOUT_CAP", "LOWEST_COST_WITH_BID_CAP", "COST_CAP", "LOWEST_COST_WITH_MIN_ROAS")
BILLING_EVENTS = (
    "APP_INSTALLS",
    "CLICKS",
    "IMPRESSIONS",
    "LINK_CLICKS",
    "LISTING_INTERACTION",
    "NONE",
    "OFFER_CLAIMS",
    "PAGE_LIKES",
    "POST_ENGAGEMENT",
    "PURCHASE",
    "THRUPLAY",
)
OPTIMIZATION_GOALS = tuple(
    (
        "ADVERTISER_SILOED_VALUE AD_RECALL_LIFT APP_INSTALLS APP_INSTALLS_AND_OFFSITE_CONVERSIONS "
        "AUTOMATIC_OBJECTIVE CONVERSATIONS DERIVED_EVENTS ENGAGED_PAGE_VIEWS ENGAGED_USERS EVENT_RESPONSES "
        "IMPRESSIONS IN_APP_VALUE LANDING_PAGE_VIEWS LEAD_GENERATION LINK_CLICKS MEANINGFUL_CALL_ATTEMPT "
        "MESSAGING_APPOINTMENT_CONVERSION MESSAGING_DEEP_CONVERSATION_AND_FOLLOW MESSAGING_PURCHASE_CONVERSION "
        "NONE OFFSITE_CONVERSIONS PAGE_LIKES POST_ENGAGEMENT PROFILE_AND_PAGE_ENGAGEMENT PROFILE_VISIT "
        "QUALITY_CALL QUALITY_LEAD REACH REMINDERS_SET SUBSCRIBERS THRUPLAY VALUE VISIT_INSTAGRAM_PROFILE"
    ).split()
)
DESTINATION_TYPES = tuple(
    (
        "APP APPLINKS_AUTOMATIC FACEBOOK FACEBOOK_LIVE FACEBOOK_PAGE IMAGINE INSTAGRAM_DIRECT INSTAGRAM_LIVE "
        "INSTAGRAM_PROFILE INSTAGRAM_PROFILE_AND_FACEBOOK_PAGE MESSENGER ON_AD ON_EVENT ON_PAGE ON_POST ON_VIDEO "
        "SHOP_AUTOMATIC WEBSITE WHATSAPP"
    ).split()
)
#: Calls to action Meta takes on instant-form lead ads (ads-insights.md §5).
LEAD_CALLS_TO_ACTION = ("APPLY_NOW", "DOWNLOAD", "GET_QUOTE", "LEARN_MORE", "SIGN_UP", "SUBSCRIBE")
_DIGITS = re.compile(r"^\d+$")


class MinorUnitsInput(fields.Field[int]):
    """A budget or bid in the account currency's minor units: a whole number (JSON integer, or
    digits from a form) above 0 and below :data:`BUDGET_MAX`."""

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> int:
        if isinstance(value, bool):
            raise ValidationError("Must be a whole number of minor units (1000 = 10.00 EUR).")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValidationError("Must be a whole number of minor units (1000 = 10.00 EUR), not a fraction.")
            value = int(value)
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("-") and _DIGITS.match(text[1:]):
                raise ValidationError("Must not be negative.")
            if not _DIGITS.match(text):
                raise ValidationError("Must be a whole number of minor units (1000 = 10.00 EUR), not a fraction.")
            value = int(text)
        if not isinstance(value, int):
            raise ValidationError("Must be a whole number of minor units.")
        if value < 0:
            raise ValidationError("Must not be negative.")
        if value == 0:
            raise ValidationError("Must be more than 0.")
        if value > BUDGET_MAX:
            raise ValidationError(f"Must be at most {BUDGET_MAX} minor units.")
        return value


class ObjectField(fields.Field[dict[str, t.Any]]):
    """A JSON object; from a form, a JSON text that decodes to one."""

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> dict[str, t.Any]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValidationError("Must be a JSON object.") from None
        if not isinstance(value, dict):
            raise ValidationError("Must be a JSON object.")
        return value


def _name(required: bool) -> fields.String:
    return fields.String(
        required=required,
        validate=[
            validate.Length(max=NAME_MAX, error=f"Must be at most {NAME_MAX} characters."),
            validate.Predicate("strip", error="Must not be empty."),
        ],
        error_messages={"required": "A name is required."},
    )


def _choice(values: t.Sequence[str], **kwargs: t.Any) -> fields.String:
    return fields.String(validate=validate.OneOf(values, error="Must be one of: {choices}."), **kwargs)


def _time() -> fields.AwareDateTime:
    return fields.AwareDateTime(default_timezone=dt.UTC, allow_none=True)


class _Write(Schema):
    class Meta:
        unknown = RAISE

    @validates_schema
    def _one_budget(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        if data.get("daily_budget") is not None and data.get("lifetime_budget") is not None:
            raise ValidationError("Set a daily budget or a lifetime budget, not both.", "lifetime_budget")

    def _in_order(self, data: dict[str, t.Any], start: str, stop: str) -> None:
        if data.get(start) and data.get(stop) and data[stop] <= data[start]:
            raise ValidationError("Must be after the start time.", stop)


class CampaignCreateSchema(_Write):
    ad_account_id = fields.Integer(required=True, strict=False)
    name = _name(True)
    objective = _choice(ODAX_OBJECTIVES, required=True)
    status = _choice(CREATE_STATUSES, load_default="PAUSED")
    daily_budget = MinorUnitsInput(allow_none=True)
    lifetime_budget = MinorUnitsInput(allow_none=True)
    special_ad_categories = fields.List(_choice(SPECIAL_AD_CATEGORIES), load_default=list)
    bid_strategy = _choice(BID_STRATEGIES, allow_none=True)
    start_time = _time()
    stop_time = _time()

    @validates_schema
    def _dates(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        self._in_order(data, "start_time", "stop_time")


class CampaignUpdateSchema(_Write):
    name = _name(False)
    status = _choice(UPDATE_STATUSES)
    daily_budget = MinorUnitsInput(allow_none=True)
    lifetime_budget = MinorUnitsInput(allow_none=True)
    bid_strategy = _choice(BID_STRATEGIES)
    stop_time = _time()


class AdSetCreateSchema(_Write):
    campaign_id = fields.Integer(required=True, strict=False)
    name = _name(True)
    optimization_goal = _choice(OPTIMIZATION_GOALS, allow_none=True)
    billing_event = _choice(BILLING_EVENTS, required=True)
    targeting = ObjectField(required=True)
    daily_budget = MinorUnitsInput(allow_none=True)
    lifetime_budget = MinorUnitsInput(allow_none=True)
    bid_amount = MinorUnitsInput(allow_none=True)
    bid_strategy = _choice(BID_STRATEGIES, allow_none=True)
    promoted_object = ObjectField(allow_none=True)
    destination_type = _choice(DESTINATION_TYPES, allow_none=True)
    status = _choice(CREATE_STATUSES, load_default="PAUSED")
    start_time = _time()
    end_time = _time()

    @validates_schema
    def _dates(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        self._in_order(data, "start_time", "end_time")
        if data.get("lifetime_budget") is not None and not data.get("end_time"):
            raise ValidationError("An ad set with a lifetime budget needs an end time.", "end_time")


class AdSetUpdateSchema(_Write):
    name = _name(False)
    status = _choice(UPDATE_STATUSES)
    daily_budget = MinorUnitsInput(allow_none=True)
    lifetime_budget = MinorUnitsInput(allow_none=True)
    bid_amount = MinorUnitsInput(allow_none=True)
    targeting = ObjectField()
    end_time = _time()


class CreativeInputSchema(Schema):
    """An existing creative (``creative_id``), or a lead-form creative built around one of our
    lead forms (``lead_form_id``: our LeadForm id; ``page_id``: Meta's Page id, by default the
    form's Page)."""

    class Meta:
        unknown = RAISE

    creative_id = fields.String(validate=validate.Regexp(r"^\d+$", error="Must be Meta's creative id (digits)."))
    page_id = fields.String(validate=validate.Regexp(r"^\d+$", error="Must be Meta's Page id (digits)."))
    lead_form_id = fields.Integer(strict=False)
    message = fields.String(validate=validate.Length(max=5000))
    link = fields.Url(schemes={"http", "https"})
    image_url = fields.Url(schemes={"http", "https"})
    image_hash = fields.String(validate=validate.Length(min=1, max=64))
    call_to_action = _choice(LEAD_CALLS_TO_ACTION)

    @validates_schema
    def _one_kind(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        if data.get("creative_id"):
            others = sorted(set(data) - {"creative_id"})
            if others:
                raise ValidationError(f"With creative_id, leave out {', '.join(others)}.", "creative_id")
            return
        if data.get("lead_form_id") is None:
            raise ValidationError("Give creative_id, or lead_form_id and message.", "lead_form_id")
        if not (data.get("message") or "").strip():
            raise ValidationError("A lead ad needs its text.", "message")
        if data.get("image_url") and data.get("image_hash"):
            raise ValidationError("Give image_url or image_hash, not both.", "image_hash")


class AdCreateSchema(_Write):
    ad_set_id = fields.Integer(required=True, strict=False)
    name = _name(True)
    status = _choice(CREATE_STATUSES, load_default="PAUSED")
    creative = fields.Nested(CreativeInputSchema, required=True)


class AdUpdateSchema(_Write):
    name = _name(False)
    status = _choice(UPDATE_STATUSES)


# -- the Conversions API for CRM ---------------------------------------------------------------


class ConversionEventSchema(Schema):
    """One stage of a lead sent (or to send) to Meta."""

    id = fields.Integer()
    lead_id = fields.Integer()
    stage = fields.String()
    event_name = fields.String()
    event_id = fields.String()
    reached_at = fields.AwareDateTime()
    status = fields.String()
    sent_at = fields.AwareDateTime(allow_none=True)
    error = fields.String(allow_none=True)


class ConversionBatchSchema(Schema):
    """One call to ``POST /{dataset_id}/events`` and Meta's answer."""

    id = fields.Integer()
    created_at = fields.AwareDateTime()
    dataset_id = fields.String()
    events = fields.Integer()
    events_received = fields.Integer(allow_none=True)
    fbtrace_id = fields.String(allow_none=True)
    test_event_code = fields.String(allow_none=True)
    status = fields.String()
    error = fields.String(allow_none=True)
