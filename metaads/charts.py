"""Server-rendered SVG line charts of daily figures: one day per band on the x axis, exact
integer values (money in the currency's minor units, or counts) on the y axis.

Why SVG written here rather than a JavaScript chart library: the pages are server-rendered
Jinja under a strict CSP, must work offline, and are tested in Python; an SVG needs no script,
no build step and no network, prints, scales, and is readable by screen readers through its
``<title>``/``<desc>`` (the per-day numbers are in the table beside it).

The whole API is :class:`Series` and :func:`line_chart`::

    svg = line_chart(
        [Series("Spend", [(day, 1234), ...]),
         Series("Previous period", earlier_points, previous=True, shift_days=30)],
        since=day_one, until=day_thirty, title="Spend per day", chart_id="spend", currency="EUR",
    )

and the result is ``Markup`` for a template. Looks come from CSS classes only (``chart``,
``chart-grid``, ``chart-line``, ``chart-area``, ``chart-dot``, ``chart-previous``,
``chart-series-N``, ``chart-hit``, ``chart-empty`` …; platform.css has them): no inline styles,
which the CSP forbids. Geometry is in a ``viewBox`` of ``width`` × ``height`` user units, so the
chart scales to its container.

Days are whatever the caller's days are (the account's time zone for insights). A day missing
from a series, or whose value is ``None``, is a gap: the line breaks there instead of falling to
zero, because "no delivery" and "nothing known" are not a measured 0. Amounts of different
currencies never meet in one chart: a chart has one ``currency``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator, Sequence

from babel.dates import format_date, format_skeleton
from babel.numbers import format_compact_currency, format_compact_decimal, format_currency
from markupsafe import Markup, escape

from metaads.formatting import money
from metaads.graph.money import currency_offset

#: Locale of every label, as metaads.formatting formats money on pages.
LOCALE = "en_US"
#: Intervals the y axis aims for (so 4 or 5 labelled lines).
Y_INTERVALS = 4
#: Above this many days, only isolated days get a dot (a line of 90 dots is a blur).
DOTS_UP_TO = 31
#: From this tick on (in major units), labels are compact: "€12K", "¥1.5M".
COMPACT_FROM = 10_000

# Layout in user units (the CSS sets 13px text, about 7.5 units a character).
FONT = 13
CHAR = 7.5
TOP, RIGHT, BOTTOM = 10, 10, 24

Point = tuple[dt.date, int | None]


@dataclasses.dataclass(frozen=True)
class Series:
    """One line: a value per day (minor units when the chart has a currency, else a count).

    ``previous``: the period compared with, drawn faint and dashed, without an area.
    ``shift_days``: drawn that many days later than its own days, which puts the previous
    period under the current one; tooltips still name its own days.
    """

    label: str
    points: Sequence[Point]
    previous: bool = False
    shift_days: int = 0
    #: What a tooltip says for a day without a value ("no leads" for a cost per lead).
    missing: str = "no data"
    #: Shade the area under the line (for amounts that add up; not for a ratio such as a cost
    #: per lead). The previous period never has one.
    area: bool = True

    def values(self) -> dict[dt.date, int]:
        """Day (as drawn, after the shift) → value; gaps left out."""
        shift = dt.timedelta(days=self.shift_days)
        return {day + shift: value for day, value in self.points if value is not None}


def nice_ticks(maximum: int, floor: int = 1, intervals: int = Y_INTERVALS) -> list[int]:
    """Y-axis ticks from 0 to at least ``maximum`` (and at least ``floor``), at most
    ``intervals`` steps of 1, 2, 2.5 or 5 × 10ⁿ — integers only, since values are whole minor
    units or counts (no tick at ¥0.5 or at 1.5 leads). Exact for any size of int."""
    top = max(maximum, floor, 1)
    step = _nice_step(top, intervals)
    return [step * n for n in range(-(-top // step) + 1)]


def _nice_step(top: int, intervals: int) -> int:
    magnitude = 1
    while True:
        candidates = (magnitude, 2 * magnitude, 25 * magnitude // 10 if magnitude >= 10 else 0, 5 * magnitude)
        for step in candidates:
            if step and step * intervals >= top:
                return step
        magnitude *= 10


def tick_label(value: int, currency: str | None, step: int) -> str:
    """An axis label: money in ``currency`` (``value`` in minor units; decimals only when the
    axis steps by fractions of a unit; compact from 10,000 units), or a count."""
    if currency is None:
        if value >= COMPACT_FROM:
            return str(format_compact_decimal(value, locale=LOCALE, fraction_digits=2))
        return f"{value:,}"
    offset = currency_offset(currency)
    major = value / offset if value % offset else value // offset
    if value // offset >= COMPACT_FROM and value % offset == 0:
        return str(format_compact_currency(major, currency, locale=LOCALE, fraction_digits=2))
    if step % offset == 0:
        return str(format_currency(major, currency, format="¤#,##0", locale=LOCALE, currency_digits=False))
    return str(format_currency(major, currency, format="¤#,##0.00", locale=LOCALE, currency_digits=False))


def value_text(value: int | None, currency: str | None, missing: str = "no data") -> str:
    """A value as tooltips and descriptions say it, exactly (no compact form)."""
    if value is None:
        return missing
    return money(value, currency) if currency else f"{value:,}"


def line_chart(
    series: Sequence[Series],
    *,
    since: dt.date,
    until: dt.date,
    title: str,
    chart_id: str,
    currency: str | None = None,
    width: int = 400,
    height: int = 200,
) -> Markup:
    """An accessible SVG line chart of ``series`` over the days ``since``..``until`` (inclusive).

    ``chart_id`` must be unique on the page (the ``<title>``/``<desc>`` ids derive from it).
    ``currency``: values are minor units of it; None: counts. With no value in any series the
    axes are drawn with "No data for these days" across them.
    """
    if until < since:
        raise ValueError(f"until {until} is before since {since}")
    plot = _Plot.layout(series, since, until, currency, width, height)
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(describe(series, since, until, currency))}</desc>',
        *plot.y_axis(),
        *plot.hit_bands(series),
        *plot.x_axis(),
    ]
    ordered = sorted(enumerate(series), key=lambda pair: not pair[1].previous)  # previous ones underneath
    for index, one in ordered:
        parts += plot.line(one, index)
    if not any(one.values() for one in series):
        middle = f'x="{plot.left + plot.plot_width / 2:.1f}" y="{plot.top + plot.plot_height / 2:.1f}"'
        parts.append(f'<text class="chart-empty" {middle}>No data for these days</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text in it went through escape())


def describe(series: Sequence[Series], since: dt.date, until: dt.date, currency: str | None) -> str:
    """What the chart shows, in words (its ``<desc>``): per series the days with data, the
    highest and the lowest day. No sums: a sum of daily cost per lead means nothing."""
    sentences = [f"{_long(since)} to {_long(until)}."]
    for one in series:
        own = {day: value for day, value in one.points if value is not None}
        if not own:
            sentences.append(f"{one.label}: no data.")
            continue
        high = max(own, key=lambda day: (own[day], -day.toordinal()))
        low = min(own, key=lambda day: (own[day], day.toordinal()))
        sentences.append(
            f"{one.label}: {len(own)} of {(until - since).days + 1} days with data; "
            f"highest {value_text(own[high], currency)} on {_long(high)}, "
            f"lowest {value_text(own[low], currency)} on {_long(low)}."
        )
    return " ".join(sentences)


def _long(day: dt.date) -> str:
    return str(format_date(day, "EEE, MMM d, y", locale=LOCALE))


def _short(day: dt.date) -> str:
    return str(format_skeleton("MMMd", day, locale=LOCALE))


def _runs(indexes: Sequence[int]) -> Iterator[list[int]]:
    """Consecutive day indexes, grouped: [1, 2, 3, 7, 8] → [1, 2, 3], [7, 8]."""
    run: list[int] = []
    for index in indexes:
        if run and index != run[-1] + 1:
            yield run
            run = []
        run.append(index)
    if run:
        yield run


@dataclasses.dataclass(frozen=True)
class _Plot:
    """The chart's geometry: where day ``i`` and value ``v`` are drawn."""

    since: dt.date
    days: int
    ticks: list[int]
    labels: list[str]
    currency: str | None
    width: int
    height: int
    left: float
    top: float = TOP

    @classmethod
    def layout(
        cls, series: Sequence[Series], since: dt.date, until: dt.date, currency: str | None, width: int, height: int
    ) -> _Plot:
        days = (until - since).days + 1
        shown = [value for one in series for day, value in one.values().items() if 0 <= (day - since).days < days]
        floor = currency_offset(currency) if currency else 1
        ticks = nice_ticks(max([0, *shown]), floor)
        step = ticks[1] - ticks[0]
        labels = [tick_label(tick, currency, step) for tick in ticks]
        left = 8 + CHAR * max(len(label) for label in labels)
        return cls(since, days, ticks, labels, currency, width, height, left)

    @property
    def plot_width(self) -> float:
        return self.width - self.left - RIGHT

    @property
    def plot_height(self) -> float:
        return self.height - self.top - BOTTOM

    @property
    def band(self) -> float:
        return self.plot_width / self.days

    @property
    def baseline(self) -> float:
        return self.top + self.plot_height

    def x(self, index: int) -> float:
        return self.left + self.band * (index + 0.5)

    def y(self, value: int) -> float:
        # Floats only for positions: values and ticks stay exact integers.
        return self.baseline - self.plot_height * (value / self.ticks[-1])

    def y_axis(self) -> Iterator[str]:
        for tick, label in zip(self.ticks, self.labels, strict=True):
            y = self.y(tick)
            kind = "chart-axis" if tick == 0 else "chart-grid"
            yield f'<line class="{kind}" x1="{self.left:.1f}" x2="{self.width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            yield f'<text class="chart-tick chart-tick-y" x="{self.left - 6:.1f}" y="{y + FONT / 3:.1f}">{escape(label)}</text>'

    def x_axis(self) -> Iterator[str]:
        """Day labels that fit: every day when few, else every k-th day from the first."""
        widest = CHAR * 6  # "Mar 30"
        every = max(1, math.ceil(self.days / max(1, int(self.plot_width // (widest + 14)))))
        y = self.baseline + FONT + 6
        for index in range(0, self.days, every):
            x = self.x(index)
            anchor = ""
            if x + widest / 2 > self.width:
                anchor = " chart-tick-end"
            label = _short(self.since + dt.timedelta(days=index))
            yield f'<text class="chart-tick chart-tick-x{anchor}" x="{x:.1f}" y="{y:.1f}">{escape(label)}</text>'

    def hit_bands(self, series: Sequence[Series]) -> Iterator[str]:
        """A band per day whose tooltip names the day and every series' value on it (each on
        its own day: the previous period's day, not the day it is drawn on)."""
        own = [dict(one.points) for one in series]
        for index in range(self.days):
            day = self.since + dt.timedelta(days=index)
            lines = [_long(day)]
            for one, values in zip(series, own, strict=True):
                own_day = day - dt.timedelta(days=one.shift_days)
                when = f" ({_short(own_day)})" if one.shift_days else ""
                lines.append(f"{one.label}{when}: {value_text(values.get(own_day), self.currency, one.missing)}")
            x = self.left + self.band * index
            yield (
                f'<rect class="chart-hit" x="{x:.1f}" y="{self.top}" width="{self.band:.2f}" height="{self.plot_height:.1f}">'
                f"<title>{escape(chr(10).join(lines))}</title></rect>"
            )

    def line(self, one: Series, index: int) -> Iterator[str]:
        """The series as a line per run of days with data (an area under it unless it is the
        previous period), and a dot for a day alone between gaps or when days are few."""
        values = one.values()
        drawn = sorted(i for day in values if 0 <= (i := (day - self.since).days) < self.days)
        kind = "chart-previous" if one.previous else f"chart-series-{index}"
        at = {i: (self.x(i), self.y(values[self.since + dt.timedelta(days=i)])) for i in drawn}
        for run in _runs(drawn):
            points = " ".join(f"{at[i][0]:.1f},{at[i][1]:.1f}" for i in run)
            if len(run) > 1:
                if one.area and not one.previous:
                    first, last = at[run[0]][0], at[run[-1]][0]
                    area = f"{first:.1f},{self.baseline:.1f} {points} {last:.1f},{self.baseline:.1f}"
                    yield f'<polygon class="chart-area {kind}" points="{area}"/>'
                yield f'<polyline class="chart-line {kind}" points="{points}"/>'
            if len(run) == 1 or (self.days <= DOTS_UP_TO and not one.previous):
                for i in run:
                    yield f'<circle class="chart-dot {kind}" cx="{at[i][0]:.1f}" cy="{at[i][1]:.1f}" r="3"/>'
