"""Meta's daily ad rows (strings everywhere, spend in major units) as the integers we store.

A backfill reads ~180,000 rows, so rows are read here with plain dict access rather than through
the marshmallow loader of ``graph.schemas`` (``InsightsRowSchema`` holds the same rules: spend
through ``to_minor_units``, leads = the ``lead`` action only).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import typing as t

from metaads.graph.errors import GraphResponseError
from metaads.graph.money import to_minor_units

#: What a sync asks for at ``level=ad`` with ``time_increment=1``: the ids and names of the ad
#: and its parents (an ad first seen here gets a local row at once), the additive counts, the
#: ``actions`` list and the currency spend is in.
FIELDS = (
    "account_id",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "impressions",
    "clicks",
    "inline_link_clicks",
    "reach",
    "spend",
    "actions",
    "account_currency",
    "date_start",
    "date_stop",
)

#: Every ``effective_status``: Meta leaves deleted and archived ads out of insights unless asked,
#: and their spend still counts (ads-insights.md, discrepancy 7).
ALL_AD_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "DELETED",
    "PENDING_REVIEW",
    "DISAPPROVED",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
    "CAMPAIGN_PAUSED",
    "ARCHIVED",
    "ADSET_PAUSED",
    "IN_PROCESS",
    "WITH_ISSUES",
)
EVERY_STATUS_FILTER = [{"field": "ad.effective_status", "operator": "IN", "value": list(ALL_AD_STATUSES)}]

#: The action that is "leads" (Meta also reports ``onsite_conversion.lead_grouped`` and others
#: that count the same leads again: never add action types up).
LEAD_ACTION = "lead"
ONE = decimal.Decimal(1)


@dataclasses.dataclass(frozen=True)
class Parents:
    """Meta's ids and names of an ad and its parents, as an insights row names them."""

    ad_id: str
    ad_name: str | None
    adset_id: str | None
    adset_name: str | None
    campaign_id: str | None
    campaign_name: str | None


def parse(row: t.Mapping[str, t.Any], currency: str, offset: int | None = None) -> dict[str, t.Any]:
    """One ad-day row as column values (without our ids), ``meta_ad_id`` naming the ad.

    :param offset: ``currency_offset(currency)``, computed once per page by the caller.
    """
    try:
        actions = row.get("actions") or []
        row_currency = str(row.get("account_currency") or currency).upper()
        spend = str(row.get("spend") or "0")
        if offset is not None and row_currency == currency:
            minor = int((decimal.Decimal(spend) * offset).quantize(ONE, rounding=decimal.ROUND_HALF_UP))
        else:
            minor = to_minor_units(spend, row_currency)
        return {
            "meta_ad_id": str(row["ad_id"]),
            "date": dt.date.fromisoformat(row["date_start"]),
            "impressions": int(row.get("impressions") or 0),
            "clicks": int(row.get("clicks") or 0),
            "link_clicks": int(row.get("inline_link_clicks") or 0),
            "reach": int(row.get("reach") or 0),
            "spend": minor,
            "leads": lead_count(actions),
            "actions": actions,
            "currency": row_currency,
        }
    except (KeyError, TypeError, ValueError, decimal.InvalidOperation) as exc:
        raise GraphResponseError(f"an insights row could not be read ({type(exc).__name__}: {exc})") from None


def lead_count(actions: t.Sequence[t.Mapping[str, t.Any]]) -> int:
    for action in actions:
        if action.get("action_type") == LEAD_ACTION:
            return int(float(action.get("value") or 0))
    return 0


def parents(row: t.Mapping[str, t.Any]) -> Parents:
    def text(key: str) -> str | None:
        value = row.get(key)
        return str(value) if value not in (None, "") else None

    return Parents(
        str(row["ad_id"]), text("ad_name"), text("adset_id"), text("adset_name"), text("campaign_id"), text("campaign_name")
    )
