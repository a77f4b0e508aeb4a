"""The date range picker's reading of the query string (metaads.views.ranges): presets in each
account's own days, custom dates as given, bad input a 400 for JSON and the default on a page."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask, render_template_string

from metaads.models import AdAccount
from metaads.views.ranges import ChosenRange, chosen_range
from plugins.core.http import APIError

# 2026-03-01 05:00 UTC: still 28 February in Los Angeles, already 1 March in Tokyo.
NOW = dt.datetime(2026, 3, 1, 5, 0, tzinfo=dt.UTC)
TOKYO = AdAccount(id=1, meta_account_id="act_1", name="Tokyo", currency="JPY", timezone="Asia/Tokyo")
LA = AdAccount(id=2, meta_account_id="act_2", name="LA", currency="USD", timezone="America/Los_Angeles")
JSON = {"Accept": "application/json"}


def chosen(app: Flask, query: str, *, json: bool = False, **kwargs: object) -> ChosenRange:
    with app.test_request_context(f"/admin/meta-ads/campaigns?{query}", headers=JSON if json else {}):
        return chosen_range(**kwargs)  # type: ignore[arg-type]


def test_no_arguments_is_the_last_30_days_in_each_accounts_own_days(app: Flask) -> None:
    picked = chosen(app, "")
    assert picked == ChosenRange(preset="last_30d")
    assert picked.label == "Last 30 days"
    assert picked.days(TOKYO, NOW) == (dt.date(2026, 1, 30), dt.date(2026, 2, 28))
    assert picked.days(LA, NOW) == (dt.date(2026, 1, 29), dt.date(2026, 2, 27))
    assert picked.days_by_account([TOKYO, LA], NOW) == {1: picked.days(TOKYO, NOW), 2: picked.days(LA, NOW)}


@pytest.mark.parametrize(
    ("preset", "tokyo"),
    [
        ("last_7d", (dt.date(2026, 2, 22), dt.date(2026, 2, 28))),
        ("last_14d", (dt.date(2026, 2, 15), dt.date(2026, 2, 28))),
        ("last_28d", (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
        ("last_90d", (dt.date(2025, 12, 1), dt.date(2026, 2, 28))),
        ("this_month", (dt.date(2026, 3, 1), dt.date(2026, 3, 1))),
        ("last_month", (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
    ],
)
def test_presets_are_metas_names_resolved_in_the_accounts_time_zone(
    app: Flask, preset: str, tokyo: tuple[dt.date, dt.date]
) -> None:
    picked = chosen(app, f"date_preset={preset}")
    assert picked.days(TOKYO, NOW) == tokyo
    assert picked.args() == {"date_preset": preset}


def test_this_month_differs_between_accounts_across_a_month_end(app: Flask) -> None:
    picked = chosen(app, "date_preset=this_month")
    assert picked.days(LA, NOW) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert picked.days(TOKYO, NOW) == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))


def test_custom_dates_are_the_same_local_days_for_every_account(app: Flask) -> None:
    picked = chosen(app, "since=2026-02-01&until=2026-02-14")
    assert picked.custom and picked.label == "2026-02-01 – 2026-02-14"
    assert picked.days(TOKYO, NOW) == picked.days(LA, NOW) == (dt.date(2026, 2, 1), dt.date(2026, 2, 14))
    assert picked.args() == {"since": "2026-02-01", "until": "2026-02-14"}


def test_a_route_whose_default_is_every_stored_day(app: Flask) -> None:
    picked = chosen(app, "", default=None)
    assert picked.days(TOKYO, NOW) == (None, None) and picked.args() == {} and picked.label == "All time"


BAD = [
    ("date_preset=last_2d", "date_preset"),
    ("date_preset=yesterdayish", "date_preset"),
    ("since=2026-02-30&until=2026-03-01", "since"),
    ("since=01/02/2026&until=2026-03-01", "since"),
    ("since=2026-02-01", "until"),
    ("until=2026-02-01", "since"),
    ("since=2026-03-02&until=2026-03-01", "since"),
    ("since=2026-02-01&until=2026-02-02&date_preset=last_7d", "date_preset"),
]


@pytest.mark.parametrize(("query", "field"), BAD)
def test_bad_input_is_a_400_naming_the_argument_for_json(app: Flask, query: str, field: str) -> None:
    with pytest.raises(APIError) as raised:
        chosen(app, query, json=True)
    assert raised.value.code == 400
    assert raised.value.error_code == "validation_error"
    assert field in raised.value.details["fields"]


@pytest.mark.parametrize(("query", "field"), BAD)
def test_bad_input_on_a_page_falls_back_to_the_default_and_says_why(app: Flask, query: str, field: str) -> None:
    picked = chosen(app, query)
    assert picked.preset == "last_30d" and picked.error


def test_blank_arguments_are_not_a_choice(app: Flask) -> None:
    """The custom form's empty inputs and an empty preset select mean "no choice"."""
    assert chosen(app, "since=&until=&date_preset=", json=True) == ChosenRange(preset="last_30d")


def test_the_picker_keeps_the_other_arguments_and_goes_back_to_the_first_page(app: Flask) -> None:
    template = '{% import "metaads/_macros.html" as m %}{{ m.date_range_picker(chosen_range()) }}'
    with app.test_request_context("/admin/meta-ads/campaigns?q=winter&offset=50&since=2026-02-01&until=2026-02-14&sort=-spend"):
        html = render_template_string(template, chosen_range=chosen_range)
    assert "2026-02-01 – 2026-02-14" in html
    assert 'href="/admin/meta-ads/campaigns?date_preset=last_7d&amp;q=winter&amp;sort=-spend"' in html
    assert "offset" not in html
    assert '<input type="hidden" name="q" value="winter">' in html
    assert '<input type="date" id="range-since" name="since" required value="2026-02-01">' in html


def test_the_picker_says_why_it_did_not_use_the_query_string(app: Flask) -> None:
    template = '{% import "metaads/_macros.html" as m %}{{ m.date_range_picker(chosen_range(), days) }}'
    with app.test_request_context("/admin/meta-ads/campaigns?date_preset=last_2d"):
        html = render_template_string(template, chosen_range=chosen_range, days=(dt.date(2026, 1, 30), dt.date(2026, 2, 28)))
    assert "could not be used, so last 30 days is shown" in html
    assert "2026-01-30 – 2026-02-28" in html
