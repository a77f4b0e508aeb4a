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
from flask import request, url_for
from markupsafe import Markup

from metaads.api.answers import DateRangeQuery
from metaads.charts import Series, line_chart
from metaads.insights import dates
from metaads.insights.compare import Change, Comparison, Period, compare
from metaads.insights.query import Kind, Performance, divide_half_up
from metaads.models import AdAccount
from metaads.views import bp
from metaads.views.insights import DEFAULT_PRESET, account_of, load_args

#: The ranges the picker offers (Meta's preset names), besides a custom one.
PRESETS: dict[str, str] = {
    "last_7d": "Last 7 days",
    "last_14d": "Last 14 days",
    "last_28d": "Last 28 days",
    "last_30d": "Last 30 days",
    "last_90d": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
}
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
    preset: str | None  # None: a custom range
    comparison: Comparison
    charts: list[Chart]

    presets: t.ClassVar[dict[str, str]] = PRESETS

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


def chosen_range(account: AdAccount) -> tuple[dt.date, dt.date, str | None]:
    """The range the page asks for: a preset (``date_preset``) or ``since``/``until`` (a bad
    date → 400), else the last 30 days; in the account's days, cut to what Meta keeps (37
    months, not after today)."""
    today = dates.account_today(account)
    preset = request.args.get("date_preset", "")
    if preset not in PRESETS:
        args = load_args(DateRangeQuery())
        if args.get("since") and args.get("until"):
            chosen = dates.clamp(args["since"], args["until"], today)
            if chosen is not None:
                return chosen[0], chosen[1], None
        preset = DEFAULT_PRESET
    since, until = dates.preset(preset, today)
    return since, until, preset


bp.add_app_template_filter(days_label, "days_label")
bp.add_app_template_filter(delta_label, "delta_label")


@bp.app_template_global()
def insights_performance(kind: Kind, obj: t.Any) -> PerformancePanel | None:
    """The performance panel of ``obj`` (a ``kind``); None when it has no ad account (so no
    currency and no days to speak of)."""
    account = account_of(kind, obj)
    if account is None:
        return None
    since, until, preset = chosen_range(account)
    comparison = compare(kind, obj.id, since, until)
    return PerformancePanel(kind, obj.id, account, preset, comparison, charts(f"{kind}-{obj.id}", comparison, account.currency))


def charts(prefix: str, comparison: Comparison, currency: str) -> list[Chart]:
    """Spend, leads and cost per lead per day, each over the previous period drawn faintly."""
    current, previous = comparison.current, comparison.previous

    def pair(label: str, value: t.Callable[[Performance], int | None], missing: str = "no data") -> list[Series]:
        return [
            Series(label, points(current, value), missing=missing),
            Series("Previous period", points(previous, value), previous=True, shift_days=current.length, missing=missing),
        ]

    def chart(key: str, heading: str, series: list[Series], money: bool) -> Chart:
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
        chart("spend", "Spend per day", pair("Spend", lambda p: p.spend), money=True),
        chart("leads", "Leads per day", pair("Leads", lambda p: p.leads), money=False),
        chart(
            "cost-per-lead",
            "Cost per lead",
            pair("Cost per lead", lambda p: divide_half_up(p.spend, p.leads), "no leads"),
            money=True,
        ),
    ]


def points(period: Period, value: t.Callable[[Performance], int | None]) -> list[tuple[dt.date, int | None]]:
    return [(day, value(p)) for day, p in period.days]
