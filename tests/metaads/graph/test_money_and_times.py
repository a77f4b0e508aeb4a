"""Money into integer minor units with Meta's offsets; Graph times into aware UTC."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from metaads.graph.money import currency_offset, parse_minor_units, to_minor_units
from metaads.graph.times import parse_graph_date, parse_graph_time, to_unix


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("85.42", "USD", 8542),
        ("2352.45", "EUR", 235245),
        ("0.5", "EUR", 50),
        ("1234", "JPY", 1234),
        ("1234.5", "JPY", 1235),  # half up
        ("1500", "HUF", 1500),  # offset 1 at Meta, though ISO 4217 gives HUF two decimals
        ("99", "KRW", 99),
        ("10.005", "USD", 1001),
        (" 7 ", "gbp", 700),
        (decimal.Decimal("1.10"), "USD", 110),
        (3, "USD", 300),
        ("0", "USD", 0),
    ],
)
def test_to_minor_units(amount: str, currency: str, minor: int) -> None:
    assert to_minor_units(amount, currency) == minor


def test_offsets_come_from_metas_table() -> None:
    assert {c: currency_offset(c) for c in ("USD", "EUR", "JPY", "TWD", "IDR", "COP", "VND", "BRL")} == {
        "USD": 100,
        "EUR": 100,
        "JPY": 1,
        "TWD": 1,
        "IDR": 1,
        "COP": 1,
        "VND": 1,
        "BRL": 100,
    }


@pytest.mark.parametrize(
    ("amount", "error"), [(85.42, TypeError), (True, TypeError), ("abc", ValueError), ("NaN", ValueError), ("", ValueError)]
)
def test_to_minor_units_refuses_inexact_or_bad_input(amount: object, error: type) -> None:
    with pytest.raises(error):
        to_minor_units(amount, "USD")  # type: ignore[arg-type]


def test_to_minor_units_refuses_bad_currencies() -> None:
    with pytest.raises(ValueError):
        to_minor_units("1", "dollars")


def test_parse_minor_units() -> None:
    assert parse_minor_units("1500") == 1500
    assert parse_minor_units(2000) == 2000
    assert parse_minor_units("-12") == -12
    for bad in ("12.5", "", True, None, 1.0):
        with pytest.raises(ValueError):
            parse_minor_units(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-06-24T02:26:12+0000", dt.datetime(2016, 6, 24, 2, 26, 12, tzinfo=dt.UTC)),
        ("2026-07-01T00:00:00-0700", dt.datetime(2026, 7, 1, 7, 0, 0, tzinfo=dt.UTC)),
        ("2021-12-30T14:59:02Z", dt.datetime(2021, 12, 30, 14, 59, 2, tzinfo=dt.UTC)),
        (1640876342, dt.datetime(2021, 12, 30, 14, 59, 2, tzinfo=dt.UTC)),
        ("1640876342", dt.datetime(2021, 12, 30, 14, 59, 2, tzinfo=dt.UTC)),
    ],
)
def test_parse_graph_time_is_aware_utc(value: object, expected: dt.datetime) -> None:
    parsed = parse_graph_time(value)
    assert parsed == expected
    assert parsed.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("value", ["2016-06-24T02:26:12", "2016-06-24", "yesterday", True, None])
def test_parse_graph_time_refuses_naive_or_odd_values(value: object) -> None:
    with pytest.raises(ValueError):
        parse_graph_time(value)


def test_dates_and_unix() -> None:
    assert parse_graph_date("2026-06-01") == dt.date(2026, 6, 1)
    assert to_unix(dt.datetime(2021, 12, 30, 14, 59, 2, tzinfo=dt.UTC)) == 1640876342
    assert to_unix(1640876342) == 1640876342
    with pytest.raises(ValueError, match="aware"):
        to_unix(dt.datetime(2021, 12, 30))
