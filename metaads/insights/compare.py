"""A range of days against the previous period of the same length: each period's daily totals
and sums, and how each metric changed (Δ %), with whether that change is for the better.

Days are the account's days (the stored rows'); figures are exact integer sums from
:mod:`metaads.insights.query`, and so are the changes (Decimal, rounded half up).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import typing as t

from metaads.insights import dates
from metaads.insights.query import Kind, Performance, daily, total

#: The metrics compared, and which way is better: +1 more is better, -1 less is (a cost),
#: 0 neither (more spend is a decision, not a result).
SENSE: dict[str, int] = {"spend": 0, "leads": 1, "cost_per_lead": -1, "impressions": 1, "clicks": 1}

Verdict = t.Literal["better", "worse", "same", "neutral", "none"]


@dataclasses.dataclass(frozen=True)
class Period:
    """The days ``since``..``until`` (inclusive) and the object's totals on each day with rows."""

    since: dt.date
    until: dt.date
    days: list[tuple[dt.date, Performance]]

    @property
    def totals(self) -> Performance:
        return total(self.days)

    @property
    def length(self) -> int:
        return dates.days(self.since, self.until)


@dataclasses.dataclass(frozen=True)
class Change:
    """One metric in both periods; ``percent`` is None when the previous figure is 0 or
    undefined (no base to compare with)."""

    metric: str
    current: int | None
    previous: int | None

    @property
    def percent(self) -> decimal.Decimal | None:
        if self.current is None or not self.previous:
            return None
        ratio = decimal.Decimal((self.current - self.previous) * 100) / self.previous
        return ratio.quantize(decimal.Decimal("0.1"), rounding=decimal.ROUND_HALF_UP)

    @property
    def verdict(self) -> Verdict:
        """``better``/``worse`` by the metric's sense; ``neutral`` for spend; ``same`` when equal;
        ``none`` without a base."""
        percent = self.percent
        if percent is None:
            return "none"
        if percent == 0:
            return "same"
        sense = SENSE[self.metric]
        if sense == 0:
            return "neutral"
        return "better" if (percent > 0) == (sense > 0) else "worse"


@dataclasses.dataclass(frozen=True)
class Comparison:
    current: Period
    previous: Period

    def changes(self) -> list[Change]:
        """Every compared metric, in :data:`SENSE`'s order."""
        now, before = self.current.totals.metrics(), self.previous.totals.metrics()
        return [Change(metric, now[metric], before[metric]) for metric in SENSE]


def previous_period(since: dt.date, until: dt.date) -> dates.DateRange:
    """The days just before ``since``, as many as ``since``..``until`` has."""
    length = dt.timedelta(days=dates.days(since, until))
    return since - length, until - length


def compare(kind: Kind, object_id: int, since: dt.date, until: dt.date) -> Comparison:
    """The object's days ``since``..``until`` and the previous period of the same length, read in
    one query."""
    before_since, before_until = previous_period(since, until)
    rows = daily(kind, object_id, before_since, until)
    return Comparison(
        current=Period(since, until, [(day, p) for day, p in rows if day >= since]),
        previous=Period(before_since, before_until, [(day, p) for day, p in rows if day <= before_until]),
    )
