"""Sums of stored ad-day rows for accounts, campaigns, ad sets and ads: the performance fields
of every object, the ``…/insights`` answers, and later the dashboard — one home for all of them.

Every figure is an exact integer sum (spend in minor units); ratios are computed from the sums:
``ctr`` a percentage, ``cpc``/``cpm``/``cost_per_lead`` minor units rounded half up, ``None``
where the divisor is 0.

Reach is not additive (one person reached on two days, or by two ads, is one person), so no
figure here shows it: it is stored per ad and day only, and a sum of it would be wrong.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t
from collections.abc import Collection, Mapping

import sqlalchemy as sa

from metaads.capture.upsert import among
from metaads.models import AdInsight
from plugins.core.extensions import db

Kind = t.Literal["account", "campaign", "adset", "ad"]
COLUMN_OF: dict[str, t.Any] = {
    "account": AdInsight.ad_account_id,
    "campaign": AdInsight.campaign_id,
    "adset": AdInsight.ad_set_id,
    "ad": AdInsight.ad_id,
}
METRICS = ("impressions", "clicks", "spend", "leads")
#: A range of account days, both inclusive; None leaves that end open.
OpenRange = tuple[dt.date | None, dt.date | None]


@dataclasses.dataclass(frozen=True)
class Performance:
    """Totals of stored rows: counts, and spend in minor units."""

    impressions: int = 0
    clicks: int = 0
    spend: int = 0
    leads: int = 0

    def fields(self) -> dict[str, int]:
        """The performance fields of a campaign, ad set or ad."""
        return dataclasses.asdict(self)

    def metrics(self) -> dict[str, t.Any]:
        """The metrics of an insights row: the totals and the ratios derived from them."""
        return {
            **self.fields(),
            "ctr": round(self.clicks * 100 / self.impressions, 4) if self.impressions else None,
            "cpc": divide_half_up(self.spend, self.clicks),
            "cpm": divide_half_up(self.spend * 1000, self.impressions),
            "cost_per_lead": divide_half_up(self.spend, self.leads),
        }


def divide_half_up(numerator: int, denominator: int) -> int | None:
    """``numerator / denominator`` rounded half up, in integers (no float drift); None for /0."""
    if not denominator:
        return None
    return (2 * numerator + denominator) // (2 * denominator)


def sums() -> list[t.Any]:
    """The exact totals of the selected rows, labelled by metric (0 when there are none)."""
    return [sa.func.coalesce(sa.func.sum(getattr(AdInsight, name)), 0).label(name) for name in METRICS]


def _in_range(query: sa.Select[t.Any], since: dt.date | None, until: dt.date | None) -> sa.Select[t.Any]:
    if since is not None:
        query = query.where(AdInsight.date >= since)
    if until is not None:
        query = query.where(AdInsight.date <= until)
    return query


def performance_of(row: t.Any) -> Performance:
    return Performance(*(int(getattr(row, name) or 0) for name in METRICS))


def performance_for(
    kind: Kind, ids: Collection[int], since: dt.date | None = None, until: dt.date | None = None
) -> dict[int, Performance]:
    """Totals per object of ``kind`` (our ids) over ``since``..``until`` (the account's days,
    both inclusive; None: every stored day), in one query. Every id asked for is in the answer;
    one without rows has zeros."""
    column = COLUMN_OF[kind]
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    query = _in_range(sa.select(column.label("id"), *sums()).where(among(column, wanted)), since, until).group_by(column)
    found = {row.id: performance_of(row) for row in db.session.execute(query)}
    return {object_id: found.get(object_id, Performance()) for object_id in wanted}


def daily(kind: Kind, object_id: int, since: dt.date, until: dt.date) -> list[tuple[dt.date, Performance]]:
    """The object's totals per day with delivery (days without rows are absent), oldest first."""
    column = COLUMN_OF[kind]
    query = _in_range(sa.select(AdInsight.date, *sums()).where(column == object_id), since, until)
    rows = db.session.execute(query.group_by(AdInsight.date).order_by(AdInsight.date)).all()
    return [(row.date, performance_of(row)) for row in rows]


def total(rows: Collection[tuple[dt.date, Performance]]) -> Performance:
    """The sum of daily totals (exact: integers)."""
    return Performance(*(sum(getattr(p, name) for _, p in rows) for name in METRICS))


def in_ranges(ranges: Mapping[int, OpenRange]) -> sa.ColumnElement[bool] | None:
    """Rows on each ad account's own days: ``ranges`` maps our account id to its range (a
    preset like "last 7 days" ends on a different date in Tokyo than in Los Angeles). Accounts
    sharing a range share one condition; None when every account is open at both ends."""
    groups: dict[OpenRange, list[int]] = {}
    for account_id, days in ranges.items():
        groups.setdefault(days, []).append(account_id)
    if not groups or set(groups) == {(None, None)}:
        return None
    clauses = []
    for (since, until), account_ids in groups.items():
        parts: list[sa.ColumnElement[bool]] = [] if len(groups) == 1 else [among(AdInsight.ad_account_id, account_ids)]
        if since is not None:
            parts.append(AdInsight.date >= since)
        if until is not None:
            parts.append(AdInsight.date <= until)
        clauses.append(sa.and_(sa.true(), *parts))
    return sa.or_(*clauses)


def per_object(kind: Kind, ranges: Mapping[int, OpenRange]) -> dict[int, Performance]:
    """Totals of every object of ``kind`` that has rows on its account's days (see
    :func:`in_ranges`), in one pass; objects without rows are left out."""
    column = COLUMN_OF[kind]
    query = sa.select(column.label("id"), *sums())
    if (condition := in_ranges(ranges)) is not None:
        query = query.where(condition)
    return {row.id: performance_of(row) for row in db.session.execute(query.group_by(column))}


def version() -> dt.datetime | None:
    """When stored insights last changed: the newest row's ``synced_at`` (an index lookup).
    Rows only change by being stored again, which stamps them, so sums computed at one version
    hold until it moves."""
    return t.cast("dt.datetime | None", db.session.scalar(sa.select(sa.func.max(AdInsight.synced_at))))
