"""The dashboard (``GET /admin/meta-ads/``, the page admins land on; JSON on the same URL) and the
breakdown behind "Meta reports 42 · received 40" (``…/accounts|campaigns/<id>/lead-gap``).

The range comes from the shared picker (``metaads.views.ranges``): a preset is resolved once, on
the latest of the accounts' todays, and the dates apply in each account's own days. The figures
are :mod:`metaads.dashboard`'s; this module only chooses the range and answers.
"""

from __future__ import annotations

import typing as t

from flask import abort, jsonify, url_for
from marshmallow import fields, validate

from metaads.api.dashboard import DashboardSchema, LeadGapAnswerSchema
from metaads.charts import Series, line_chart
from metaads.dashboard.days import Range, problem, resolve
from metaads.dashboard.figures import CampaignFigures, Figures, all_accounts, figures
from metaads.dashboard.gap import Gap, gap
from metaads.dashboard.health import Health, health
from metaads.models import AdAccount, AdCampaign
from metaads.views import bp
from metaads.views.insights import load_args
from metaads.views.ranges import DEFAULT_PRESET, ChosenRange, RangeQuery, chosen_range
from plugins.core.apidoc import documented
from plugins.core.extensions import db
from plugins.core.http import APIError, wants_json
from plugins.core.pages import respond

#: Campaigns the funnel lists unless ``limit`` says otherwise.
FUNNEL_ROWS = 25


class DashboardQuery(RangeQuery):
    limit = fields.Integer(
        load_default=FUNNEL_ROWS,
        validate=validate.Range(1, 500, error="limit must be between 1 and 500."),
        error_messages={"invalid": "limit must be a whole number."},
        metadata={"description": "How many campaigns the funnel lists (most spend first)."},
    )


def chosen_period(accounts: list[AdAccount]) -> tuple[Range, ChosenRange]:
    """The range the request asks for, as dates; a range the dashboard cannot show is a 400 for
    JSON clients, and on a page the default range with the reason under the picker."""
    chosen = chosen_range()
    period = resolve(chosen.preset, chosen.since, chosen.until, accounts)
    why = problem(period)
    if why is None:
        return period, chosen
    if wants_json():
        raise APIError(400, "validation_error", why, {"fields": {"since": [why]}})
    return resolve(DEFAULT_PRESET, None, None, accounts), ChosenRange(preset=DEFAULT_PRESET, error=why)


# --- the dashboard ------------------------------------------------------------------------------


@bp.get("/")
@documented(answers=DashboardSchema, query=DashboardQuery)
def dashboard() -> t.Any:
    limit = load_args(DashboardQuery(only=("limit",)))["limit"]
    accounts = all_accounts()
    period, chosen = chosen_period(accounts)
    found = figures(period, accounts)
    status = health()
    if wants_json():
        return jsonify(dashboard_json(found, status, limit))
    return respond(
        "metaads/dashboard/index.html",
        {},
        400 if chosen.error else 200,
        chosen=chosen,
        period=period,
        found=found,
        health=status,
        limit=limit,
        charts=trend_charts(found),
        range_args=range_args(period),
    )


def dashboard_json(found: Figures, status: Health, limit: int) -> dict[str, t.Any]:
    """The answer design.md fixes (``accounts``, ``totals``, ``since``, ``until``) and the rest
    of the page beside it."""
    answer = {
        "accounts": [
            {"id": a.id, "name": a.name, "currency": a.currency, "timezone": a.timezone, **funnel.fields()}
            for a, funnel in found.accounts
        ],
        "totals": [{"currency": currency, **funnel.fields()} for currency, funnel in found.totals],
        "since": found.range.since,
        "until": found.range.until,
        "trend": [{"currency": currency, "days": [vars(day) for day in days]} for currency, days in found.trend.items()],
        "campaigns": [campaign_json(c) for c in found.campaigns[:limit]],
        "campaigns_count": len(found.campaigns),
        "top_by_leads": [campaign_json(c) for c in found.top_by_leads()],
        "top_by_cost_per_converted": [campaign_json(c) for ranked in found.top_by_cost_per_converted().values() for c in ranked],
        "lead_forms": [
            {
                "id": row.form.id,
                "name": row.form.name,
                "status": str(row.form.status),
                "ad_account_id": row.form.ad_account_id,
                "leads_received": row.leads_received,
                "leads_count": row.form.leads_count,
                "last_lead_at": row.form.last_lead_at,
            }
            for row in found.forms
        ],
        "health": vars(status),
    }
    return t.cast(dict[str, t.Any], DashboardSchema().dump(answer))


def campaign_json(campaign: CampaignFigures) -> dict[str, t.Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "status": campaign.status,
        "effective_status": campaign.effective_status,
        "ad_account_id": campaign.account.id,
        "currency": campaign.currency,
        **campaign.funnel.fields(),
    }


def trend_charts(found: Figures) -> list[dict[str, t.Any]]:
    """Leads per day (Meta's count beside the leads received: counts of every account add up),
    then spend per day in each currency (amounts of two currencies never share an axis)."""
    if not any(day.spend or day.leads or day.leads_received for days in found.trend.values() for day in days):
        return []  # nothing in these days: the page says so instead of drawing flat lines
    since, until = found.range.since, found.range.until
    days = next(iter(found.trend.values()))
    meta = [(day.date, sum(by_currency[i].leads for by_currency in found.trend.values())) for i, day in enumerate(days)]
    received = [
        (day.date, sum(by_currency[i].leads_received for by_currency in found.trend.values())) for i, day in enumerate(days)
    ]
    charts = [
        {
            "key": "leads",
            "heading": "Leads per day",
            "legend": ["Meta reports", "Received here"],
            "svg": line_chart(
                [Series("Meta reports", meta), Series("Received here", received)],
                since=since,
                until=until,
                title="Leads per day: Meta's count and the leads received here",
                chart_id="trend-leads",
            ),
        }
    ]
    for currency, by_day in found.trend.items():
        if not any(day.spend for day in by_day):
            continue  # nothing spent in that currency: its totals say so
        charts.append(
            {
                "key": f"spend-{currency}",
                "heading": f"Spend per day ({currency})",
                "legend": [],
                "svg": line_chart(
                    [Series("Spend", [(day.date, day.spend) for day in by_day])],
                    since=since,
                    until=until,
                    title=f"Spend per day in {currency}",
                    chart_id=f"trend-spend-{currency.lower()}",
                    currency=currency,
                ),
            }
        )
    return charts


def range_args(period: Range) -> dict[str, str]:
    """The dates of this page, for links to pages that must count the same days."""
    return {"since": period.since.isoformat(), "until": period.until.isoformat()}


# --- Meta reports 42 · received 40 --------------------------------------------------------------


@bp.get("/accounts/<int:account_id>/lead-gap")
@documented(answers=LeadGapAnswerSchema, query=RangeQuery)
def account_lead_gap(account_id: int) -> t.Any:
    account = db.session.get(AdAccount, account_id) or abort(404, description="No such ad account.")
    return _gap_answer(account, None)


@bp.get("/campaigns/<int:campaign_id>/lead-gap")
@documented(answers=LeadGapAnswerSchema, query=RangeQuery)
def campaign_lead_gap(campaign_id: int) -> t.Any:
    campaign = db.session.get(AdCampaign, campaign_id) or abort(404, description="No such campaign.")
    return _gap_answer(campaign.ad_account, campaign)


def _gap_answer(account: AdAccount, campaign: AdCampaign | None) -> t.Any:
    period, chosen = chosen_period([account])
    found = gap(account, campaign, period)
    payload = {"lead_gap": gap_json(found)} if wants_json() else {}
    return respond(
        "metaads/dashboard/gap.html",
        payload,
        400 if chosen.error else 200,
        chosen=chosen,
        found=found,
        period=period,
        received_url=received_url(found),
        range_args=range_args(period),
    )


def gap_json(found: Gap) -> dict[str, t.Any]:
    answer = {
        "ad_account_id": found.account.id,
        "campaign_id": found.campaign.id if found.campaign else None,
        "currency": found.account.currency,
        "since": found.range.since,
        "until": found.range.until,
        "reported": found.reported,
        "received": found.received,
        "difference": found.difference,
        "explained": found.explained,
        "unexplained": found.unexplained,
        "insights_synced_at": found.insights_synced_at,
        "reasons": [
            {
                "code": reason.code,
                "count": reason.count,
                "counted_by_meta": reason.counted_by_meta,
                "counted_here": reason.counted_here,
                "extra": reason.extra,
                "lead_ids": [lead.id for lead in reason.leads],
                "leadgen_ids": [row.leadgen_id for row in reason.inbox if row.leadgen_id],
            }
            for reason in found.reasons
        ],
    }
    return t.cast(dict[str, t.Any], LeadGapAnswerSchema().dump({"lead_gap": answer})["lead_gap"])


def received_url(found: Gap) -> str | None:
    """The leads list showing the leads received for a campaign (its Meta id, the account's
    days as UTC instants); an account has no such filter: its page lists its campaigns."""
    if found.campaign is None:
        return None
    start, end = found.range.instants(found.account)
    return url_for(
        "metaads.leads_index",
        campaign_id=found.campaign.meta_campaign_id,
        created_after=start.isoformat(),
        created_before=end.isoformat(),
    )
