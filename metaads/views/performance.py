"""An object's performance on its page (account, campaign, ad set, ad): the chosen range of the
account's days against the previous period of the same length — totals with Δ %, spend, leads
and cost per lead per day as SVG charts, and the per-day table as their text fallback.

Pages include ``metaads/insights/_performance.html``, which calls :func:`insights_performance`
(a template global, so JSON answers of the same URLs never pay for it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

from babel.dates import format_interval
from flask import url_for
from markupsafe import Markup

from metaads.charts import Series, line_chart
from metaads.insights import dates
from metaads.insights.compare import Change, Comparison, Period, compare
from metaads.insights.query import Kind, Performance, divide_half_up
from metaads.models import AdAccount
from metaads.views import bp
from metaads.views.insights import account_of
from metaads.views.ranges import DEFAULT_PRESET, ChosenRange, chosen_range

#: The compared totals' labels, and whether each is money.
METRICS: dict[str, tuple[str, bool]] = {
    "spend": ("Spend", True),
    "leads": ("Leads", False),
    "cost_per_lead": ("Cost per lead", True),
    "impressions": ("Impressions", False),
    "clicks": ("Clicks", False),
}
INSIGHTS_ENDPOINTS = {
    "account": "metaads.account_insights",
    "campaign": "metaads.campaign_insights",
    "adset": "metaads.adset_insights",
    "ad": "metaads.ad_insights",
}


@dataclasses.dataclass(frozen=True)
class Chart:
    key: str
    heading: str
    svg: Markup


@dataclasses.dataclass(frozen=True)
class PerformancePanel:
    """What ``_performance.html`` shows."""

    kind: Kind
    object_id: int
    account: AdAccount
    chosen: ChosenRange  # for the picker
    comparison: Comparison
    charts: list[Chart]

    @property
    def empty(self) -> bool:
        """No stored day in either period: nothing to chart or compare."""
        return not self.comparison.current.days and not self.comparison.previous.days

    @property
    def currency(self) -> str:
        return self.account.currency

    @property
    def rows(self) -> list[dict[str, t.Any]]:
        """The table fallback's rows, shaped as the ``…/insights`` answer's."""
        return [{"date_start": day, "date_stop": day, **p.metrics()} for day, p in self.comparison.current.days]

    @property
    def totals(self) -> dict[str, t.Any]:
        return self.comparison.current.totals.metrics()

    def tiles(self) -> list[tuple[str, bool, Change]]:
        """(label, is money, change) of every compared total."""
        return [(*METRICS[change.metric], change) for change in self.comparison.changes()]

    @property
    def insights_url(self) -> str:
        current = self.comparison.current
        endpoint = INSIGHTS_ENDPOINTS[self.kind]
        return url_for(endpoint, object_id=self.object_id, since=current.since.isoformat(), until=current.until.isoformat())


def days_label(period: Period) -> str:
    """``Mar 1 – 30, 2026``; ``Dec 30, 2025 – Feb 28, 2026``."""
    return str(format_interval(period.since, period.until, "yMMMd", locale="en_US"))


def delta_label(change: Change) -> str:
    """``+12.3 %``, ``−4.0 %`` (a true minus sign), ``0.0 %``; ``—`` without a base."""
    if change.percent is None:
        return "—"
    if change.percent == 0:  # also -0.0, from a change too small to show
        return "0.0 %"
    return f"{change.percent:+,.1f} %".replace("-", "\u2212")


def chosen_days(account: AdAccount) -> tuple[ChosenRange, dt.date, dt.date]:
    """The range the page's query string chooses (the shared picker's reading of it) as the
    account's days, cut to what Meta keeps: not before 37 months ago, not after today. A range
    with nothing left falls back to the default, saying why under the picker."""
    chosen = chosen_range()
    since, until = chosen.days(account)
    today = dates.account_today(account)
    kept = dates.clamp(since, until, today) if since and until else None
    if kept is None:
        chosen = ChosenRange(preset=DEFAULT_PRESET, error="Those days are all after today or more than 37 months ago.")
        kept = dates.preset(DEFAULT_PRESET, today)
    return chosen, kept[0], kept[1]


bp.add_app_template_filter(days_label, "days_label")
bp.add_app_template_filter(delta_label, "delta_label")


@bp.app_template_global()
def insights_performance(kind: Kind, obj: t.Any) -> PerformancePanel | None:
    """The performance panel of ``obj`` (a ``kind``); None when it has no ad account (so no
    currency and no days to speak of)."""
    account = account_of(kind, obj)
    if account is None:
        return None
    chosen, since, until = chosen_days(account)
    comparison = compare(kind, obj.id, since, until)
    return PerformancePanel(kind, obj.id, account, chosen, comparison, charts(f"{kind}-{obj.id}", comparison, account.currency))


def charts(prefix: str, comparison: Comparison, currency: str) -> list[Chart]:
    """Spend, leads and cost per lead per day, each over the previous period drawn faintly.
    A day without leads has no cost per lead: a gap, not a zero (and no area under a ratio)."""
    current, previous = comparison.current, comparison.previous

    def chart(key: str, heading: str, label: str, value: t.Callable[[Performance], int | None], money: bool) -> Chart:
        ratio = key == "cost-per-lead"
        missing = "no leads" if ratio else "no data"
        series = [
            Series(label, points(current, value), missing=missing, area=not ratio),
            Series("Previous period", points(previous, value), previous=True, shift_days=current.length, missing=missing),
        ]
        svg = line_chart(
            series,
            since=current.since,
            until=current.until,
            title=heading,
            chart_id=f"{prefix}-{key}",
            currency=currency if money else None,
        )
        return Chart(key, heading, svg)

    return [
        chart("spend", "Spend per day", "Spend", lambda p: p.spend, money=True),
        chart("leads", "Leads per day", "Leads", lambda p: p.leads, money=False),
        chart("cost-per-lead", "Cost per lead", "Cost per lead", lambda p: divide_half_up(p.spend, p.leads), money=True),
    ]


def points(period: Period, value: t.Callable[[Performance], int | None]) -> list[tuple[dt.date, int | None]]:
    return [(day, value(p)) for day, p in period.days]
