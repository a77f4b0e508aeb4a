"""Campaigns, ad sets and ads as Ads Manager's table lists them — one home for the three lists,
their pages and their JSON: filters, sorting by any column, offset paging, the performance of
each row over the chosen days and the totals row per currency.

Performance columns sort by their totals over the range, computed in the database (a grouped
subquery joined to the page's query), so a page is the same whatever the page size and page
50 follows page 49; every order ends with the row's id, so equal values keep one order. Sorting
by anything else pages first and totals only the page's rows. Totals are per currency (amounts
in two currencies are never added) over every row the filters match, not just the page.
"""

from __future__ import annotations

import dataclasses
import typing as t
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy import orm

from metaads.insights.query import COLUMN_OF, OpenRange, Performance, in_ranges, performance_in_ranges, performance_of, sums
from metaads.models import Ad, AdAccount, AdCampaign, AdInsight, AdSet
from plugins.core.extensions import db

Kind = t.Literal["campaign", "adset", "ad"]
AdObject = AdCampaign | AdSet | Ad

#: Columns a list sorts by; the performance ones sort by their totals over the range.
PERFORMANCE_SORTS = ("results", "cost_per_result", "impressions", "clicks", "spend")
#: Columns of amounts: sorted currency by currency (never one currency against another).
MONEY_SORTS = ("budget", "cost_per_result", "spend")
SORTS: dict[str, tuple[str, ...]] = {
    "campaign": ("name", "delivery", "budget", *PERFORMANCE_SORTS, "ends"),
    "adset": ("name", "delivery", "budget", *PERFORMANCE_SORTS, "ends"),
    "ad": ("name", "delivery", *PERFORMANCE_SORTS),
}
#: The filters each list takes (design.md: named after the field they match on the object).
FILTERS: dict[str, tuple[str, ...]] = {
    "campaign": ("ad_account_id", "status", "effective_status", "objective", "q"),
    "adset": ("ad_account_id", "campaign_id", "status", "effective_status", "q"),
    "ad": ("ad_account_id", "campaign_id", "ad_set_id", "status", "effective_status", "q"),
}
MODEL: dict[str, type[AdObject]] = {"campaign": AdCampaign, "adset": AdSet, "ad": Ad}


@dataclasses.dataclass(frozen=True)
class ListQuery:
    """What one page of a list asks for. ``filters`` hold typed values (our ids as ints);
    ``ranges`` each ad account's days (every account the rows may belong to)."""

    filters: Mapping[str, t.Any]
    ranges: Mapping[int, OpenRange]
    sort: str = "name"
    descending: bool = False
    limit: int = 50
    offset: int = 0


@dataclasses.dataclass(frozen=True)
class Row:
    obj: AdObject
    account: AdAccount
    performance: Performance


@dataclasses.dataclass(frozen=True)
class CurrencyTotal:
    """The totals row of one currency: how many rows the filters match in it, and their sums."""

    currency: str
    count: int
    performance: Performance


@dataclasses.dataclass(frozen=True)
class Table:
    rows: list[Row]
    count: int
    totals: list[CurrencyTotal]


def load(kind: Kind, query: ListQuery) -> Table:
    """One page of the list, its count and its totals per currency."""
    model = MODEL[kind]
    base = _filtered(kind, _joined(kind, sa.select(model)), query.filters)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(base.with_only_columns(model.id).subquery())) or 0
    condition = in_ranges(query.ranges)
    ids = base.with_only_columns(model.id) if query.filters else None
    if query.sort in PERFORMANCE_SORTS:
        rows = _page_by_performance(kind, base, query, condition, ids)
    else:
        page = base.order_by(*_order(kind, query)).limit(query.limit).offset(query.offset)
        objects = list(db.session.execute(page).unique().scalars())
        totals = performance_in_ranges(kind, [o.id for o in objects], query.ranges)
        rows = [Row(o, account_of(o), totals[o.id]) for o in objects]
    return Table(rows, count, _totals(kind, base, condition, ids))


def account_of(row: AdObject) -> AdAccount:
    if isinstance(row, AdCampaign):
        return row.ad_account
    if isinstance(row, AdSet):
        return row.campaign.ad_account
    return row.ad_set.campaign.ad_account


# -- the query ---------------------------------------------------------------------------------


def _joined(kind: str, query: sa.Select[t.Any]) -> sa.Select[t.Any]:
    """The object with its parents up to the ad account, loaded in the same query (the rows show
    their names and currency)."""
    if kind == "campaign":
        query = query.join(AdAccount, AdCampaign.ad_account_id == AdAccount.id)
        return query.options(orm.contains_eager(AdCampaign.ad_account))
    if kind == "adset":
        query = query.join(AdCampaign, AdSet.campaign_id == AdCampaign.id).join(
            AdAccount, AdCampaign.ad_account_id == AdAccount.id
        )
        return query.options(orm.contains_eager(AdSet.campaign).contains_eager(AdCampaign.ad_account))
    query = (
        query.join(AdSet, Ad.ad_set_id == AdSet.id)
        .join(AdCampaign, AdSet.campaign_id == AdCampaign.id)
        .join(AdAccount, AdCampaign.ad_account_id == AdAccount.id)
    )
    return query.options(orm.contains_eager(Ad.ad_set).contains_eager(AdSet.campaign).contains_eager(AdCampaign.ad_account))


def _filtered(kind: str, query: sa.Select[t.Any], filters: Mapping[str, t.Any]) -> sa.Select[t.Any]:
    model = MODEL[kind]
    columns: dict[str, t.Any] = {
        "ad_account_id": AdCampaign.ad_account_id,
        "campaign_id": AdCampaign.id,
        "ad_set_id": AdSet.id,
        "status": model.status,
        "effective_status": model.effective_status,
        "objective": AdCampaign.objective,
    }
    for name, value in filters.items():
        if name == "q":
            query = query.where(sa.func.lower(model.name).contains(str(value).lower(), autoescape=True))
        elif value is not None:
            query = query.where(columns[name] == value)
    return query


def _sort_key(kind: str, sort: str, perf: t.Any = None) -> t.Any:
    model = MODEL[kind]
    if sort == "name":
        return sa.func.lower(model.name)
    if sort == "delivery":
        return sa.func.coalesce(model.effective_status, model.status)
    if sort == "budget":
        return sa.func.coalesce(model.daily_budget, model.lifetime_budget)
    if sort == "ends":
        return AdCampaign.stop_time if kind == "campaign" else AdSet.end_time
    if sort == "results":
        return sa.func.coalesce(perf.c.leads, 0)
    if sort == "cost_per_result":
        # Spend per lead, as a ratio (no rounding: ties stay ties only when they are); none without leads.
        return sa.case((perf.c.leads > 0, perf.c.spend * 1.0 / perf.c.leads), else_=None)
    return sa.func.coalesce(getattr(perf.c, sort), 0)


def _order(kind: str, query: ListQuery, perf: t.Any = None) -> list[t.Any]:
    key = _sort_key(kind, query.sort, perf)
    model = MODEL[kind]
    # Empty values (no budget, no end, no leads) last either way; the id keeps pages stable.
    first = sa.nulls_last(key.desc() if query.descending else key.asc())
    order = [first, model.id.desc() if query.descending else model.id.asc()]
    # Amounts are compared within a currency only: ¥5,000 is not "more" than €50.
    return [AdAccount.currency, *order] if query.sort in MONEY_SORTS else order


def _performance(kind: str, condition: t.Any, ids: t.Any) -> t.Any:
    """Totals per object over the range, as a subquery to join and sort by."""
    column = COLUMN_OF[kind]
    query = sa.select(column.label("id"), *sums())
    if condition is not None:
        query = query.where(condition)
    if ids is not None:
        query = query.where(column.in_(ids))
    return query.group_by(column).subquery("performance")


def _page_by_performance(kind: Kind, base: sa.Select[t.Any], query: ListQuery, condition: t.Any, ids: t.Any) -> list[Row]:
    model = MODEL[kind]
    perf = _performance(kind, condition, ids)
    page = (
        base.outerjoin(perf, perf.c.id == model.id)
        .add_columns(*(perf.c[name] for name in ("impressions", "clicks", "spend", "leads")))
        .order_by(*_order(kind, query, perf))
        .limit(query.limit)
        .offset(query.offset)
    )
    rows = []
    for found in db.session.execute(page).unique():
        rows.append(Row(found[0], account_of(found[0]), performance_of(found)))
    return rows


def _totals(kind: str, base: sa.Select[t.Any], condition: t.Any, ids: t.Any) -> list[CurrencyTotal]:
    """Per currency: how many rows match, and the sums of their stored days in the range."""
    counts_query = (
        base.with_only_columns(AdAccount.currency, sa.func.count(MODEL[kind].id)).group_by(AdAccount.currency).order_by(None)
    )
    counts = {currency: n for currency, n in db.session.execute(counts_query)}
    sums_query = sa.select(AdAccount.currency, *sums()).join_from(AdInsight, AdAccount, AdInsight.ad_account_id == AdAccount.id)
    if condition is not None:
        sums_query = sums_query.where(condition)
    if ids is not None:
        sums_query = sums_query.where(COLUMN_OF[kind].in_(ids))
    found = {row.currency: performance_of(row) for row in db.session.execute(sums_query.group_by(AdAccount.currency))}
    return [CurrencyTotal(currency, counts[currency], found.get(currency, Performance())) for currency in sorted(counts)]
