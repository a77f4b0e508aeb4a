"""metaads.charts: SVG line charts of daily figures — scales, gaps, no data, one day, a currency
without minor units, huge values, and what screen readers get."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from metaads.charts import Series, line_chart, nice_ticks, tick_label

SVG = "{http://www.w3.org/2000/svg}"
MAR1 = dt.date(2026, 3, 1)


def day(n: int) -> dt.date:
    return MAR1 + dt.timedelta(days=n - 1)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output; parsing proves it is well-formed XML)


def chart(*series: Series, first: int = 1, last: int, currency: str | None = None) -> ET.Element:
    """The parsed chart of ``series`` over days ``first``..``last`` of March 2026."""
    return parse(line_chart(series, since=day(first), until=day(last), title="Chart", chart_id="c", currency=currency))


def elements(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(SVG + tag) if cls in (e.get("class") or "").split()]


def y_labels(root: ET.Element) -> list[str]:
    return [e.text or "" for e in elements(root, "text", "chart-tick-y")]


def polyline_points(element: ET.Element) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in (element.get("points") or "").split())]


# --- scales -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 5, 10]),
        (95, [0, 25, 50, 75, 100]),
        (8000, [0, 2000, 4000, 6000, 8000]),
        (8001, [0, 2500, 5000, 7500, 10000]),
    ],
)
def test_ticks_are_round_integers_from_zero_past_the_maximum(maximum: int, expected: list[int]) -> None:
    assert nice_ticks(maximum) == expected


def test_ticks_never_step_by_a_fraction_of_a_unit() -> None:
    for maximum in range(1, 200):
        ticks = nice_ticks(maximum)
        step = ticks[1]
        assert all(isinstance(t, int) for t in ticks)
        assert ticks[-1] >= maximum and ticks[-2] < maximum
        assert len(ticks) <= 5 and all(b - a == step for a, b in itertools.pairwise(ticks))


def test_a_floor_keeps_a_flat_zero_line_readable() -> None:
    assert nice_ticks(0, floor=100) == [0, 25, 50, 75, 100]  # €0.00 … €1.00, not €0.00 … €0.01


def test_points_sit_on_their_value_and_day() -> None:
    root = chart(Series("Leads", [(day(1), 0), (day(2), 4), (day(3), 2)]), last=3)
    assert y_labels(root) == ["0", "1", "2", "3", "4"]
    (line,) = elements(root, "polyline", "chart-line")
    (x1, y1), (x2, y2), (x3, y3) = polyline_points(line)
    grid = {label: float(e.get("y1") or 0) for label, e in zip(y_labels(root), root.iter(SVG + "line"), strict=True)}
    assert (y1, y2, y3) == pytest.approx((grid["0"], grid["4"], grid["2"]), abs=0.11)  # drawn to 0.1 unit
    assert x1 < x2 < x3 and x2 - x1 == pytest.approx(x3 - x2, abs=0.11)


# --- gaps -------------------------------------------------------------------------------------


def test_days_without_data_break_the_line_instead_of_dropping_to_zero() -> None:
    points = [(day(1), 100), (day(2), 200), (day(4), 300), (day(5), None), (day(6), 50), (day(7), 60)]
    root = chart(Series("Spend", points), last=7, currency="EUR")
    lines = elements(root, "polyline", "chart-line")
    assert [len(polyline_points(line)) for line in lines] == [2, 2]  # days 1–2 and 6–7
    lonely = [e for e in elements(root, "circle", "chart-dot")]
    assert len(lonely) == 5  # few days: every day with data has its dot, day 4 included
    assert len(elements(root, "polygon", "chart-area")) == 2
    zero_y = float(next(e for e in root.iter(SVG + "line") if e.get("class") == "chart-axis").get("y1") or 0)
    assert all(y < zero_y for line in lines for _, y in polyline_points(line))


def test_a_day_alone_between_gaps_still_shows_on_a_long_range() -> None:
    points = [(day(n), 10) for n in range(1, 40) if n != 20 and n != 22]
    root = chart(Series("Leads", points), last=60)
    assert len(elements(root, "polyline", "chart-line")) == 2
    dots = elements(root, "circle", "chart-dot")
    assert len(dots) == 1  # day 21, between the gaps; a long range has no dot per day


def test_tooltips_name_the_day_and_each_series_on_its_own_day() -> None:
    current = Series("Spend", [(day(1), 1234)])
    previous = Series("Previous period", [(day(1) - dt.timedelta(days=2), 999)], previous=True, shift_days=2)
    root = chart(current, previous, last=2, currency="EUR")
    tips = [e.findtext(SVG + "title") for e in elements(root, "rect", "chart-hit")]
    assert tips == [
        "Sun, Mar 1, 2026\nSpend: €12.34\nPrevious period (Feb 27): €9.99",
        "Mon, Mar 2, 2026\nSpend: no data\nPrevious period (Feb 28): no data",
    ]
    assert len(elements(root, "polygon", "chart-area")) == 0 and elements(root, "circle", "chart-previous")


def test_points_outside_the_range_are_not_drawn() -> None:
    points = [(day(0), 10**9), (day(1), 5), (day(3), 10**9)]
    root = chart(Series("Leads", points), last=2)
    assert y_labels(root)[-1] == "6"  # the scale is set by the 5 inside, not the 10⁹ outside
    assert len(elements(root, "circle", "chart-dot")) == 1


# --- no data, one day -------------------------------------------------------------------------


def test_no_data_draws_the_axes_and_says_so() -> None:
    root = chart(Series("Spend", []), Series("Previous period", [], previous=True), last=30, currency="EUR")
    assert [e.text for e in elements(root, "text", "chart-empty")] == ["No data for these days"]
    assert not elements(root, "polyline", "chart-line") and not elements(root, "circle", "chart-dot")
    assert y_labels(root) == ["€0.00", "€0.25", "€0.50", "€0.75", "€1.00"]
    assert "Spend: no data." in (root.findtext(SVG + "desc") or "")


def test_zeros_are_data_not_a_gap() -> None:
    root = chart(Series("Leads", [(day(1), 0), (day(2), 0)]), last=2)
    assert not elements(root, "text", "chart-empty")
    assert y_labels(root) == ["0", "1"]
    assert len(elements(root, "polyline", "chart-line")) == 1


def test_one_day_is_a_dot_in_the_middle() -> None:
    root = chart(Series("Leads", [(day(1), 3)]), last=1)
    assert not elements(root, "polyline", "chart-line")
    (dot,) = elements(root, "circle", "chart-dot")
    (band,) = elements(root, "rect", "chart-hit")
    middle = float(band.get("x") or 0) + float(band.get("width") or 0) / 2
    assert float(dot.get("cx") or 0) == pytest.approx(middle, abs=0.1)
    assert [e.text for e in elements(root, "text", "chart-tick-x")] == ["Mar 1"]


def test_until_before_since_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        line_chart([], since=day(2), until=day(1), title="x", chart_id="c")


# --- currencies and sizes ---------------------------------------------------------------------


def test_jpy_has_no_minor_units() -> None:
    # ¥ values are whole yen: 5000 is ¥5,000, never ¥50.00.
    root = chart(Series("Spend", [(day(1), 5000), (day(2), 1)]), last=2, currency="JPY")
    assert y_labels(root) == ["¥0", "¥2,000", "¥4,000", "¥6,000"]
    tips = [e.findtext(SVG + "title") for e in elements(root, "rect", "chart-hit")]
    assert tips[0].endswith("Spend: ¥5,000") and tips[1].endswith("Spend: ¥1")
    flat = chart(Series("Spend", [(day(1), 0)]), last=1, currency="JPY")
    assert y_labels(flat) == ["¥0", "¥1"]  # no ¥0.25 ticks


def test_cents_show_decimals_only_when_the_axis_needs_them() -> None:
    assert [tick_label(v, "EUR", 2000) for v in (0, 2000, 8000)] == ["€0", "€20", "€80"]
    assert [tick_label(v, "EUR", 50) for v in (0, 50, 100)] == ["€0.00", "€0.50", "€1.00"]
    assert tick_label(900000, "USD", 300000) == "$9,000"
    assert tick_label(2500000, "EUR", 500000) == "€25K"


def test_huge_values_stay_exact_and_labels_compact() -> None:
    huge = 10**15 + 7  # minor units: ten trillion euros and seven cents
    root = chart(Series("Spend", [(day(1), huge), (day(2), huge - 1)]), last=2, currency="EUR")
    assert y_labels(root) == ["€0", "€5T", "€10T", "€15T"]
    tips = [e.findtext(SVG + "title") for e in elements(root, "rect", "chart-hit")]
    assert tips[0].endswith("Spend: €10,000,000,000,000.07")
    counts = chart(Series("Impressions", [(day(1), 123_456_789)]), last=1)
    assert y_labels(counts) == ["0", "50M", "100M", "150M"]


def test_a_long_range_labels_a_few_days_that_fit() -> None:
    root = chart(Series("Leads", [(day(1), 1)]), last=90)
    labels = [e.text for e in elements(root, "text", "chart-tick-x")]
    assert 3 <= len(labels) <= 8 and labels[0] == "Mar 1"
    xs = [float(e.get("x") or 0) for e in elements(root, "text", "chart-tick-x")]
    assert all(b - a >= 50 for a, b in itertools.pairwise(xs))
    assert len(elements(root, "rect", "chart-hit")) == 90


# --- markup -----------------------------------------------------------------------------------


def test_accessible_and_styled_by_classes_only() -> None:
    svg = line_chart(
        [Series('Spend <"&">', [(day(1), 1)])],
        since=day(1),
        until=day(3),
        title="Spend & <co>",
        chart_id="spend-7",
        currency="EUR",
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "spend-7-title spend-7-desc"
    assert root.find(SVG + "title").get("id") == "spend-7-title"  # type: ignore[union-attr]
    assert root.findtext(SVG + "title") == "Spend & <co>"
    desc = root.findtext(SVG + "desc") or ""
    assert desc.startswith("Sun, Mar 1, 2026 to Tue, Mar 3, 2026.") and "highest €0.01 on Sun, Mar 1, 2026" in desc
    assert not re.search(r"\sstyle=|<style|fill=|stroke=", svg)
    assert root.get("viewBox") == "0 0 400 200" and root.get("width") is None
