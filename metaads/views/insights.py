"""``GET accounts|campaigns|adsets|ads/<id>/insights``: daily (or whole-range) metrics served
from stored rows, never fetched from Meta per request; and the ``since``/``until`` arguments the
object lists and details total their performance fields over."""

from __future__ import annotations

import datetime as dt
import typing as t

from flask import abort, request
from marshmallow import Schema, ValidationError

from metaads.api.answers import DateRangeQuery, InsightsAnswerSchema, InsightsQuery
from metaads.insights import dates
from metaads.insights.query import Kind, daily, performance_for, total
from metaads.models import Ad, AdAccount, AdCampaign, AdSet
from metaads.views import bp
from plugins.core.apidoc import documented
from plugins.core.extensions import db
from plugins.core.http import APIError
from plugins.core.pages import respond

MODELS: dict[str, type[t.Any]] = {"account": AdAccount, "campaign": AdCampaign, "adset": AdSet, "ad": Ad}
#: The range an insights request without dates covers (Meta's own default).
DEFAULT_PRESET = "last_30d"


def load_args(schema: Schema) -> dict[str, t.Any]:
    """The query string's arguments ``schema`` names (blank ones left out), loaded; a bad one →
    400 ``validation_error`` naming it."""
    given = {name: request.args[name] for name in schema.fields if request.args.get(name, "") != ""}
    try:
        return t.cast(dict[str, t.Any], schema.load(given))
    except ValidationError as exc:
        problems = t.cast(dict[str, list[str]], exc.messages)
        raise APIError(400, "validation_error", " ".join(p[0] for p in problems.values()), {"fields": problems}) from None


def date_range_args() -> tuple[dt.date | None, dt.date | None]:
    """``since`` / ``until`` of a list or detail route (account days, inclusive; None: open)."""
    args = load_args(DateRangeQuery())
    return args.get("since"), args.get("until")


def performance_fields(kind: Kind, objects: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Dumped campaigns, ad sets or ads with ``impressions``/``clicks``/``spend``/``leads`` as
    totals of their stored rows over the request's ``since``/``until``."""
    since, until = date_range_args()
    totals = performance_for(kind, [o["id"] for o in objects], since, until)
    for obj in objects:
        obj.update(totals[obj["id"]].fields())
    return objects


def account_of(kind: str, obj: t.Any) -> AdAccount:
    if kind == "account":
        return t.cast(AdAccount, obj)
    if kind == "campaign":
        return t.cast(AdAccount, obj.ad_account)
    campaign = obj.campaign if kind == "adset" else obj.ad_set.campaign
    return t.cast(AdAccount, campaign.ad_account)


def insights_range(account: AdAccount, args: t.Mapping[str, t.Any]) -> tuple[dt.date, dt.date]:
    """``since``..``until`` as given, else the preset's days in the account's time zone."""
    if args.get("since") and args.get("until"):
        return args["since"], args["until"]
    return dates.preset(args.get("date_preset", DEFAULT_PRESET), dates.account_today(account))


def insights_answer(kind: Kind, object_id: int) -> dict[str, t.Any]:
    obj = db.session.get(MODELS[kind], object_id) or abort(404, description=f"No such {kind}.")
    args = load_args(InsightsQuery())
    account = account_of(kind, obj)
    since, until = insights_range(account, args)
    days = daily(kind, object_id, since, until)
    totals = total(days)
    if args["time_increment"] == "all_days":
        rows = [{"date_start": since, "date_stop": until, **totals.metrics()}]
    else:
        rows = [{"date_start": day, "date_stop": day, **p.metrics()} for day, p in days]
    answer = {"insights": rows, "totals": totals.metrics(), "currency": account.currency, "since": since, "until": until}
    return t.cast(dict[str, t.Any], InsightsAnswerSchema().dump(answer))


def _view(kind: Kind, object_id: int) -> t.Any:
    payload = insights_answer(kind, object_id)
    return respond("metaads/insights/table.html", payload, kind=kind, object_id=object_id)


@bp.get("/accounts/<int:object_id>/insights")
@documented(answers=InsightsAnswerSchema, query=InsightsQuery)
def account_insights(object_id: int) -> t.Any:
    return _view("account", object_id)


@bp.get("/campaigns/<int:object_id>/insights")
@documented(answers=InsightsAnswerSchema, query=InsightsQuery)
def campaign_insights(object_id: int) -> t.Any:
    return _view("campaign", object_id)


@bp.get("/adsets/<int:object_id>/insights")
@documented(answers=InsightsAnswerSchema, query=InsightsQuery)
def adset_insights(object_id: int) -> t.Any:
    return _view("adset", object_id)


@bp.get("/ads/<int:object_id>/insights")
@documented(answers=InsightsAnswerSchema, query=InsightsQuery)
def ad_insights(object_id: int) -> t.Any:
    return _view("ad", object_id)
