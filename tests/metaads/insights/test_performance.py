"""The performance panel of account, campaign, ad set and ad pages: the chosen range of the
account's days against the previous period of the same length (exact totals, Δ % and which way
is better), the charts, the table fallback; and bad ranges."""

from __future__ import annotations

import datetime as dt
import decimal
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from metaads.insights import dates
from metaads.insights.compare import Change, compare, previous_period
from metaads.models import Ad, AdAccount, AdCampaign, AdInsight, AdSet
from metaads.views.performance import delta_label
from plugins.core.extensions import db

TODAY = dt.datetime.now(dt.UTC).date()  # the test account's days are UTC's


def add_day(ids: dict[str, int], day: dt.date, spend: int, leads: int, impressions: int = 1000, clicks: int = 10) -> None:
    db.session.add(
        AdInsight(
            ad_id=ids["ad"],
            ad_set_id=ids["adset"],
            campaign_id=ids["campaign"],
            ad_account_id=ids["account"],
            date=day,
            impressions=impressions,
            clicks=clicks,
            link_clicks=clicks,
            reach=impressions // 2,
            spend=spend,
            leads=leads,
            actions=[{"action_type": "lead", "value": str(leads)}],
            currency="JPY",
        )
    )


@pytest.fixture
def tree(app: Flask) -> dict[str, int]:
    """A JPY account in UTC (so its days are the test's days) with one ad; the range 1–7 days
    ago has three days of delivery, the 7 days before it two."""
    account = AdAccount(meta_account_id="act_1", name="Japan", currency="JPY", timezone="UTC")
    campaign = AdCampaign(meta_campaign_id="c1", name="Spring <leads>", ad_account=account)
    ad_set = AdSet(meta_adset_id="s1", name="Tokyo", campaign=campaign)
    ad = Ad(meta_ad_id="a1", name="Video", ad_set=ad_set)
    db.session.add_all([account, campaign, ad_set, ad])
    db.session.flush()
    ids = {"account": account.id, "campaign": campaign.id, "adset": ad_set.id, "ad": ad.id}
    ago = lambda n: TODAY - dt.timedelta(days=n)  # noqa: E731
    add_day(ids, ago(1), spend=3000, leads=3)
    add_day(ids, ago(2), spend=1000, leads=0)  # a day of spend without a lead
    add_day(ids, ago(5), spend=2000, leads=2)
    add_day(ids, ago(8), spend=4000, leads=2, impressions=2000, clicks=30)  # the previous period
    add_day(ids, ago(12), spend=1000, leads=2, impressions=1000, clicks=10)
    db.session.commit()
    return ids


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    assert previous_period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == (dt.date(2026, 1, 29), dt.date(2026, 2, 28))
    assert previous_period(dt.date(2026, 3, 1), dt.date(2026, 3, 1)) == (dt.date(2026, 2, 28), dt.date(2026, 2, 28))


def test_compare_splits_one_read_into_both_periods(tree: dict[str, int]) -> None:
    since, until = TODAY - dt.timedelta(days=7), TODAY - dt.timedelta(days=1)
    comparison = compare("campaign", tree["campaign"], since, until)
    assert comparison.previous.since == TODAY - dt.timedelta(days=14)
    assert [day for day, _ in comparison.current.days] == [TODAY - dt.timedelta(days=n) for n in (5, 2, 1)]
    assert comparison.current.totals.spend == 6000 and comparison.previous.totals.spend == 5000
    changes = {c.metric: c for c in comparison.changes()}
    assert (changes["spend"].percent, changes["spend"].verdict) == (decimal.Decimal("20.0"), "neutral")
    assert (changes["leads"].percent, changes["leads"].verdict) == (decimal.Decimal("25.0"), "better")
    # ¥6000 / 5 leads = ¥1200 against ¥5000 / 4 = ¥1250: a cost that fell is better.
    assert (changes["cost_per_lead"].current, changes["cost_per_lead"].previous) == (1200, 1250)
    assert (changes["cost_per_lead"].percent, changes["cost_per_lead"].verdict) == (decimal.Decimal("-4.0"), "better")
    assert (changes["impressions"].percent, changes["impressions"].verdict) == (decimal.Decimal("0.0"), "same")
    assert (changes["clicks"].percent, changes["clicks"].verdict) == (decimal.Decimal("-25.0"), "worse")


@pytest.mark.parametrize(
    ("metric", "current", "previous", "verdict", "label"),
    [
        ("leads", 5, 0, "none", "—"),
        ("cost_per_lead", 100, None, "none", "—"),
        ("cost_per_lead", 150, 100, "worse", "+50.0 %"),
        ("leads", 1, 3, "worse", "\u221266.7 %"),
        ("clicks", 2, 3, "worse", "\u221233.3 %"),
        ("impressions", 100_000_001, 100_000_000, "same", "0.0 %"),  # rounds to nothing
        ("impressions", 10**12, 1, "better", "+99,999,999,999,900.0 %"),
    ],
)
def test_changes(metric: str, current: int, previous: int | None, verdict: str, label: str) -> None:
    change = Change(metric, current, previous)
    assert (change.verdict, delta_label(change)) == (verdict, label)


@pytest.mark.parametrize(
    ("kind", "path"), [("account", "accounts"), ("campaign", "campaigns"), ("adset", "adsets"), ("ad", "ads")]
)
def test_every_detail_page_shows_the_panel(admin_client: FlaskClient, tree: dict[str, int], kind: str, path: str) -> None:
    since, until = TODAY - dt.timedelta(days=7), TODAY - dt.timedelta(days=1)
    page = admin_client.get(f"/admin/meta-ads/{path}/{tree[kind]}?date_preset=last_7d")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('<svg class="chart"') == 3
    assert f'id="{kind}-{tree[kind]}-spend"' in html and f'id="{kind}-{tree[kind]}-cost-per-lead"' in html
    assert re.search(r'date_preset=last_7d" aria-current="true">Last 7 days<', html)
    # Totals with their change; yen without decimals.
    assert re.search(r'data-metric="spend">.*?¥6,000.*?delta-neutral.*?\+20\.0 %.*?Previous: .*?¥5,000', html, re.S)
    assert re.search(r'data-metric="cost_per_lead">.*?¥1,200.*?delta-better.*?\u22124\.0 %', html, re.S)
    # The table fallback lists the days with delivery and the total.
    table = html[html.index('<details class="chart-table">') :]
    assert [str(TODAY - dt.timedelta(days=n)) in table for n in (5, 2, 1, 3)] == [True, True, True, False]
    assert f"?since={since}&amp;until={until}" in table
    assert "style=" not in html


def test_cost_per_lead_breaks_on_a_day_without_leads(admin_client: FlaskClient, tree: dict[str, int]) -> None:
    html = admin_client.get(f"/admin/meta-ads/campaigns/{tree['campaign']}?date_preset=last_7d").get_data(as_text=True)
    cpl = html[html.index('data-chart="cost-per-lead"') :]
    cpl = cpl[: cpl.index("</svg>")]
    two_days_ago = (TODAY - dt.timedelta(days=2)).strftime("%b %-d, %Y")
    assert f"{two_days_ago}\nCost per lead: no leads" in cpl


def test_custom_range_and_default(admin_client: FlaskClient, tree: dict[str, int]) -> None:
    since, until = TODAY - dt.timedelta(days=2), TODAY - dt.timedelta(days=1)
    html = admin_client.get(f"/admin/meta-ads/ads/{tree['ad']}?since={since}&until={until}").get_data(as_text=True)
    assert 'aria-current="true"' not in html
    assert f'name="since" required value="{since}"' in html
    assert re.search(r'data-metric="spend">.*?¥4,000', html, re.S)
    # Nothing chosen: the last 30 days, as Meta's default.
    html = admin_client.get(f"/admin/meta-ads/ads/{tree['ad']}").get_data(as_text=True)
    assert re.search(r'date_preset=last_30d" aria-current="true">', html)
    assert re.search(r'data-metric="spend">.*?¥11,000', html, re.S)


def test_a_long_range_is_cut_to_what_meta_keeps(admin_client: FlaskClient, tree: dict[str, int]) -> None:
    html = admin_client.get(f"/admin/meta-ads/ads/{tree['ad']}?since=1999-01-01&until=2999-12-31").get_data(as_text=True)
    assert f'name="since" required value="{dates.earliest(TODAY)}"' in html
    assert f'name="until" required value="{TODAY}"' in html
    assert html.count('class="chart-hit"') == 3 * dates.days(dates.earliest(TODAY), TODAY)


def test_a_range_in_the_future_falls_back_to_the_default_and_says_why(admin_client: FlaskClient, tree: dict[str, int]) -> None:
    later = TODAY + dt.timedelta(days=400)
    html = admin_client.get(f"/admin/meta-ads/ads/{tree['ad']}?since={later}&until={later}").get_data(as_text=True)
    assert re.search(r'date_preset=last_30d" aria-current="true">', html)
    assert "all after today" in html


@pytest.mark.parametrize(
    "query", ["since=2026-13-01&until=2026-12-01", "since=2026-03-02&until=2026-03-01", "date_preset=last_3y"]
)
def test_a_bad_range_shows_the_default_and_the_reason(admin_client: FlaskClient, tree: dict[str, int], query: str) -> None:
    answer = admin_client.get(f"/admin/meta-ads/adsets/{tree['adset']}?{query}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "range-error" in html
    assert re.search(r'date_preset=last_30d" aria-current="true">', html)


def test_json_answers_do_not_carry_the_panel(admin_client: FlaskClient, tree: dict[str, int]) -> None:
    answer = admin_client.get(f"/admin/meta-ads/accounts/{tree['account']}", headers={"Accept": "application/json"})
    assert answer.status_code == 200 and set(answer.get_json()) == {"account"}


def test_no_delivery_in_either_period_says_so_instead_of_empty_charts(admin_client: FlaskClient, tree: dict[str, int]) -> None:
    since, until = TODAY - dt.timedelta(days=400), TODAY - dt.timedelta(days=370)
    html = admin_client.get(f"/admin/meta-ads/ads/{tree['ad']}?since={since}&until={until}").get_data(as_text=True)
    assert "No delivery stored for these days or the 31 before them." in html
    assert '<svg class="chart"' not in html and 'class="compare"' not in html
    assert 'class="range-picker"' in html  # other days can still be chosen
