"""``GET accounts|campaigns|adsets|ads/<id>/insights``: daily (or whole-range) metrics served
from stored rows, never fetched from Meta per request; and the ``since``/``until`` arguments the
object lists and details total their performance fields over."""

from __future__ import annotations

import datetime as dt
import typing as t

from flask import abort, request

from metaads.insights import dates
from metaads.insights.query import Kind, daily, performance_for, total
from metaads.models import Ad, AdAccount, AdCampaign, AdSet
from metaads.views import bp
from plugins.core.extensions import db
from plugins.core.http import APIError
from plugins.core.pages import respond

MODELS: dict[str, type[t.Any]] = {"account": AdAccount, "campaign": AdCampaign, "adset": AdSet, "ad": Ad}
#: The range an insights request without dates covers (Meta's own default).
DEFAULT_PRESET = "last_30d"


def _invalid(field: str, message: str) -> APIError:
    return APIError(400, "validation_error", message, {"fields": {field: [message]}})


def _date_arg(name: str) -> dt.date | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _invalid(name, f"{name} must be a date YYYY-MM-DD.") from None


def date_range_args() -> tuple[dt.date | None, dt.date | None]:
    """``since`` / ``until`` of a list or detail route (account days, inclusive; None: open)."""
    since, until = _date_arg("since"), _date_arg("until")
    if since and until and since > until:
        raise _invalid("since", "since must not be after until.")
    return since, until


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


def insights_range(account: AdAccount) -> tuple[dt.date, dt.date]:
    preset = request.args.get("date_preset")
    since, until = date_range_args()
    if preset and (since or until):
        raise _invalid("date_preset", "Give since/until or date_preset, not both.")
    if since or until:
        if not (since and until):
            raise _invalid("since" if not since else "until", "since and until go together.")
        return since, until
    try:
        return dates.preset(preset or DEFAULT_PRESET, dates.account_today(account))
    except ValueError:
        raise _invalid("date_preset", f"Unknown date_preset {preset!r}.") from None


def insights_answer(kind: Kind, object_id: int) -> dict[str, t.Any]:
    obj = db.session.get(MODELS[kind], object_id) or abort(404, description=f"No such {kind}.")
    account = account_of(kind, obj)
    since, until = insights_range(account)
    increment = request.args.get("time_increment", "1")
    if increment not in ("1", "all_days"):
        raise _invalid("time_increment", "time_increment must be 1 or all_days.")
    days = daily(kind, object_id, since, until)
    totals = total(days)
    if increment == "all_days":
        rows = [{"date_start": since.isoformat(), "date_stop": until.isoformat(), **totals.metrics()}]
    else:
        rows = [{"date_start": day.isoformat(), "date_stop": day.isoformat(), **p.metrics()} for day, p in days]
    return {
        "insights": rows,
        "totals": totals.metrics(),
        "currency": account.currency,
        "since": since.isoformat(),
        "until": until.isoformat(),
    }


def _view(kind: Kind, object_id: int) -> t.Any:
    payload = insights_answer(kind, object_id)
    return respond("metaads/insights/table.html", payload, kind=kind, object_id=object_id)


@bp.get("/accounts/<int:object_id>/insights")
def account_insights(object_id: int) -> t.Any:
    return _view("account", object_id)


@bp.get("/campaigns/<int:object_id>/insights")
def campaign_insights(object_id: int) -> t.Any:
    return _view("campaign", object_id)


@bp.get("/adsets/<int:object_id>/insights")
def adset_insights(object_id: int) -> t.Any:
    return _view("adset", object_id)


@bp.get("/ads/<int:object_id>/insights")
def ad_insights(object_id: int) -> t.Any:
    return _view("ad", object_id)
