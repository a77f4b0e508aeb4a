"""Campaigns, ad sets and ads as Ads Manager's table lists them — one home for the three lists,
their pages and their JSON: filters, sorting by any column, offset paging, the performance of
each row over the chosen days and the totals row per currency.

Each object's totals over the range come from one pass over the range's stored rows
(:func:`metaads.insights.query.per_object`), kept until stored insights change
(:func:`range_sums`): the totals row, a sort by a performance column and the page's figures all
read them. Filters and the other columns sort in SQL; performance columns sort the matching ids
by those totals on the server, in the same order SQL would give. Every order ends with the row's
id, so equal values keep one order and page 50 follows page 49. Amounts sort currency by
currency, and totals are per currency (two currencies are never added) over every row the
filters match, not just the page.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
import typing as t
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm

from metaads.insights.query import OpenRange, Performance, per_object, version
from metaads.models import Ad, AdAccount, AdCampaign, AdSet
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
#: An object's (impressions, clicks, spend, leads) over a range, by our id.
Sums = Mapping[int, tuple[int, int, int, int]]
NOTHING = (0, 0, 0, 0)
#: Where the app keeps the sums of the last few ranges (``app.extensions``).
CACHE_EXTENSION = "metaads.table_sums"


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
    sums = range_sums(kind, query.ranges)
    matching = db.session.execute(base.with_only_columns(model.id, AdAccount.currency).order_by(None)).all()
    if query.sort in PERFORMANCE_SORTS:
        ids = _ordered_by_performance(matching, sums, query)[query.offset : query.offset + query.limit]
        found = {o.id: o for o in db.session.execute(base.where(model.id.in_(ids))).unique().scalars()} if ids else {}
        objects = [found[object_id] for object_id in ids if object_id in found]
    else:
        page = base.order_by(*_order(kind, query)).limit(query.limit).offset(query.offset)
        objects = list(db.session.execute(page).unique().scalars())
    rows = [Row(o, account_of(o), Performance(*sums.get(o.id, NOTHING))) for o in objects]
    return Table(rows, len(matching), _totals(matching, sums))


def range_sums(kind: Kind, ranges: Mapping[int, OpenRange]) -> Sums:
    """Every object's totals over the range — ``(impressions, clicks, spend, leads)`` by our id
    — computed once per range and insights version (a pass over the range's rows) and kept until
    stored insights change: a list sorted by spend or paged 80 deep then costs what its first
    page does."""
    key = (kind, tuple(sorted(ranges.items())), version())
    cache = t.cast(_Cache, current_app.extensions.setdefault(CACHE_EXTENSION, _Cache()))
    return cache.get(key, lambda: {i: dataclasses.astuple(p) for i, p in per_object(kind, ranges).items()})


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


def _sort_key(kind: str, sort: str) -> t.Any:
    model = MODEL[kind]
    if sort == "name":
        return sa.func.lower(model.name)
    if sort == "delivery":
        return sa.func.coalesce(model.effective_status, model.status)
    if sort == "budget":
        return sa.func.coalesce(model.daily_budget, model.lifetime_budget)
    return AdCampaign.stop_time if kind == "campaign" else AdSet.end_time  # "ends"


def _order(kind: str, query: ListQuery) -> list[t.Any]:
    """SQL's order for a column that is not a performance one."""
    key = _sort_key(kind, query.sort)
    model = MODEL[kind]
    # Empty values (no budget, no end) last either way; the id keeps pages stable.
    first = sa.nulls_last(key.desc() if query.descending else key.asc())
    order = [first, model.id.desc() if query.descending else model.id.asc()]
    # Amounts are compared within a currency only: ¥5,000 is not "more" than €50.
    return [AdAccount.currency, *order] if query.sort in MONEY_SORTS else order


def _ordered_by_performance(matching: Sequence[t.Any], sums: Sums, query: ListQuery) -> list[int]:
    """The ids in the order :func:`_order` gives in SQL: the value (empty ones last, either way),
    then the id; amounts currency by currency. Stable sorts, one key at a time, so a page of
    5,000 rows allocates no tuple per row."""
    descending = query.descending
    if query.sort == "cost_per_result":
        ratio = {i: s[2] / s[3] for i, s in ((i, sums.get(i, NOTHING)) for i, _ in matching) if s[3]}
        present = [i for i, _ in matching if i in ratio]
        empty = sorted((i for i, _ in matching if i not in ratio), reverse=descending)
        present.sort(reverse=descending)
        present.sort(key=ratio.__getitem__, reverse=descending)
        ordered = present + empty
    else:
        index = {"impressions": 0, "clicks": 1, "spend": 2, "results": 3}[query.sort]
        ordered = sorted((i for i, _ in matching), reverse=descending)
        ordered.sort(key=lambda i: sums.get(i, NOTHING)[index], reverse=descending)
    if query.sort in MONEY_SORTS:
        currency = dict(matching)
        ordered.sort(key=currency.__getitem__)  # stable: the order within each currency stays
    return ordered


def _totals(matching: Sequence[t.Any], sums: Sums) -> list[CurrencyTotal]:
    """Per currency: how many rows match, and the sums of their stored days in the range."""
    counts: dict[str, int] = {}
    figures: dict[str, list[int]] = {}
    for object_id, currency in matching:
        counts[currency] = counts.get(currency, 0) + 1
        found = sums.get(object_id)
        if found is not None:
            total = figures.get(currency)
            if total is None:
                total = figures[currency] = [0, 0, 0, 0]
            total[0] += found[0]
            total[1] += found[1]
            total[2] += found[2]
            total[3] += found[3]
    return [CurrencyTotal(c, counts[c], Performance(*figures.get(c, NOTHING))) for c in sorted(counts)]


class _Cache:
    """A few ranges' sums, newest kept (an admin pages and sorts one range at a time)."""

    SIZE = 8

    def __init__(self) -> None:
        self.entries: collections.OrderedDict[t.Any, Sums] = collections.OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: t.Any, compute: t.Callable[[], Sums]) -> Sums:
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        value = compute()
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > self.SIZE:
                self.entries.popitem(last=False)
        return value
