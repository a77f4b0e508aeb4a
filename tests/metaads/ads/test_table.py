"""The campaigns, ad sets and ads lists (metaads.insights.table through the routes): sorting by
any column on the server, paging that stays right under every sort, filters, performance over
each account's own days, and totals per currency that never add two currencies."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from flask import Flask
from flask.testing import FlaskClient

from metaads.insights import dates
from metaads.insights.query import divide_half_up
from metaads.models import Ad, AdAccount, AdCampaign, AdInsight, AdSet
from plugins.core.extensions import db

BASE = "/admin/meta-ads"
SINCE, UNTIL = "2026-03-01", "2026-03-31"
RANGE = f"since={SINCE}&until={UNTIL}"
APRIL, MAY, JUNE = (dt.datetime(2026, month, 1, tzinfo=dt.UTC) for month in (4, 5, 6))
IN_RANGE, BEFORE = dt.date(2026, 3, 10), dt.date(2026, 2, 20)

# name, currency, status, effective_status, objective, daily budget, lifetime budget, stop,
# then (impressions, clicks, spend, leads) in March and in February.
CAMPAIGNS: list[tuple[t.Any, ...]] = [
    ("Leads – Kitchens", "EUR", "ACTIVE", "ACTIVE", "OUTCOME_LEADS", 5000, None, None, (1000, 50, 12000, 6), (5, 1, 9, 1)),
    (
        "leads – solar",
        "EUR",
        "ACTIVE",
        "ACTIVE",
        "OUTCOME_LEADS",
        None,
        None,
        JUNE,
        (800, 80, 8000, 0),
        (0, 0, 0, 0),
    ),
    ("Traffic – Blog 100%", "EUR", "PAUSED", "PAUSED", "OUTCOME_TRAFFIC", 1500, None, None, (3000, 10, 4000, 4), (0, 0, 0, 0)),
    (
        "Brand_awareness",
        "EUR",
        "ACTIVE",
        "WITH_ISSUES",
        "OUTCOME_AWARENESS",
        None,
        90000,
        APRIL,
        (0, 0, 0, 0),
        (7, 7, 7, 7),
    ),
    ("Archived summer", "EUR", "ARCHIVED", "ARCHIVED", "OUTCOME_LEADS", 4000, None, None, (10, 1, 100, 1), (0, 0, 0, 0)),
    ("東京 リード", "JPY", "ACTIVE", "ACTIVE", "OUTCOME_LEADS", 5000, None, None, (2000, 40, 50000, 5), (0, 0, 0, 0)),
    ("大阪", "JPY", "PAUSED", "PAUSED", "OUTCOME_LEADS", None, 300000, MAY, (100, 2, 3000, 2), (0, 0, 0, 0)),
]


@pytest.fixture
def tree(app: Flask) -> dict[str, t.Any]:
    """Seven campaigns in an EUR (Madrid) and a JPY (Tokyo) account, each with an ad set and an
    ad and a day of insights in March and one in February."""
    accounts = {
        "EUR": AdAccount(meta_account_id="act_1", name="Acme EU", currency="EUR", timezone="Europe/Madrid"),
        "JPY": AdAccount(meta_account_id="act_2", name="Acme Japan", currency="JPY", timezone="Asia/Tokyo"),
    }
    db.session.add_all(accounts.values())
    db.session.flush()
    ids: dict[str, t.Any] = {"accounts": {c: a.id for c, a in accounts.items()}, "campaigns": {}, "adsets": {}, "ads": {}}
    for n, (name, currency, status, effective, objective, daily, lifetime, stop, march, february) in enumerate(CAMPAIGNS):
        account = accounts[currency]
        campaign = AdCampaign(
            meta_campaign_id=str(9_000_000_000_000_000 + n),
            name=name,
            ad_account_id=account.id,
            status=status,
            effective_status=effective,
            objective=objective,
            daily_budget=daily,
            lifetime_budget=lifetime,
            stop_time=stop,
        )
        db.session.add(campaign)
        db.session.flush()
        ad_set = AdSet(
            meta_adset_id=str(8_000_000_000_000_000 + n),
            name=f"{name} – set",
            campaign_id=campaign.id,
            daily_budget=100 * (n + 1),
        )
        db.session.add(ad_set)
        db.session.flush()
        ad = Ad(meta_ad_id=str(7_000_000_000_000_000 + n), name=f"{name} – ad", ad_set_id=ad_set.id, effective_status=effective)
        db.session.add(ad)
        db.session.flush()
        for day, (impressions, clicks, spend, leads) in ((IN_RANGE, march), (BEFORE, february)):
            db.session.add(
                AdInsight(
                    ad_id=ad.id,
                    ad_set_id=ad_set.id,
                    campaign_id=campaign.id,
                    ad_account_id=account.id,
                    date=day,
                    impressions=impressions,
                    clicks=clicks,
                    link_clicks=clicks,
                    reach=impressions,
                    spend=spend,
                    leads=leads,
                    currency=currency,
                )
            )
        ids["campaigns"][name], ids["adsets"][name], ids["ads"][name] = campaign.id, ad_set.id, ad.id
    db.session.commit()
    return ids


def listed(client: FlaskClient, headers: dict[str, str], query: str, key: str = "campaigns") -> dict[str, t.Any]:
    response = client.get(f"{BASE}/{key}?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return t.cast(dict[str, t.Any], response.get_json())


def names(answer: dict[str, t.Any], key: str = "campaigns") -> list[str]:
    return [row["name"] for row in answer[key]]


def march(name: str) -> dict[str, int]:
    row = next(c for c in CAMPAIGNS if c[0] == name)
    return dict(zip(("impressions", "clicks", "spend", "leads"), row[8], strict=True))


def expected_order(sort: str) -> list[str]:
    """The order the table must give, worked out here from the fixture's own numbers."""
    descending = sort.startswith("-")
    column = sort.lstrip("-")
    rows = [
        dict(zip(("name", "currency", "status", "effective", "objective", "daily", "lifetime", "stop"), c[:8], strict=True))
        for c in CAMPAIGNS
    ]
    for row, c in zip(rows, CAMPAIGNS, strict=True):
        row.update(march(c[0]))
        row["id"] = CAMPAIGNS.index(c)

    def value(row: dict[str, t.Any]) -> t.Any:
        if column == "name":
            return row["name"].lower()
        if column == "delivery":
            return row["effective"]
        if column == "budget":
            return row["daily"] if row["daily"] is not None else row["lifetime"]
        if column == "ends":
            return row["stop"]
        if column == "results":
            return row["leads"]
        if column == "cost_per_result":
            return row["spend"] / row["leads"] if row["leads"] else None
        return row[column]

    present = [r for r in rows if value(r) is not None]
    empty = [r for r in rows if value(r) is None]
    present.sort(key=lambda r: (value(r), r["id"]), reverse=descending)
    empty.sort(key=lambda r: r["id"], reverse=descending)
    ordered = present + empty  # empty values last, either way
    if column in ("budget", "cost_per_result", "spend"):  # amounts: currency by currency
        ordered.sort(key=lambda r: r["currency"])
    return [r["name"] for r in ordered]


SORTS = ["name", "delivery", "budget", "results", "cost_per_result", "impressions", "clicks", "spend", "ends"]


@pytest.mark.parametrize("sort", [*SORTS, *(f"-{s}" for s in SORTS)])
def test_every_column_sorts_on_the_server_and_every_page_follows_the_last(
    client: FlaskClient, api_headers: dict[str, str], tree: dict[str, t.Any], sort: str
) -> None:
    whole = listed(client, api_headers, f"sort={sort}&{RANGE}")
    pages = [listed(client, api_headers, f"sort={sort}&{RANGE}&limit=3&offset={offset}") for offset in (0, 3, 6)]

    assert names(whole) == expected_order(sort)
    assert [name for page in pages for name in names(page)] == names(whole)
    assert {page["count"] for page in pages} == {7}


def test_rows_carry_their_performance_over_the_range_as_design_md_says(
    client: FlaskClient, api_headers: dict[str, str], tree: dict[str, t.Any]
) -> None:
    answer = listed(client, api_headers, f"sort=-spend&{RANGE}")
    kitchens = next(c for c in answer["campaigns"] if c["name"] == "Leads – Kitchens")

    assert {k: kitchens[k] for k in ("impressions", "clicks", "spend", "leads")} == march("Leads – Kitchens")
    assert kitchens["currency"] == "EUR" and kitchens["daily_budget"] == 5000 and kitchens["lifetime_budget"] is None
    assert set(answer) == {"campaigns", "count", "limit", "offset", "totals"}


def test_totals_are_per_currency_over_every_matching_row_never_added(
    client: FlaskClient, api_headers: dict[str, str], tree: dict[str, t.Any]
) -> None:
    answer = listed(client, api_headers, f"{RANGE}&limit=2")
    totals = {total["currency"]: total for total in answer["totals"]}

    assert list(totals) == ["EUR", "JPY"]
    eur = [march(c[0]) for c in CAMPAIGNS if c[1] == "EUR"]
    assert totals["EUR"]["count"] == 5 and totals["JPY"]["count"] == 2
    assert totals["EUR"]["spend"] == sum(m["spend"] for m in eur) == 24100
    assert totals["EUR"]["leads"] == 11 and totals["EUR"]["cost_per_lead"] == divide_half_up(24100, 11)
    assert totals["JPY"]["spend"] == 53000 and totals["JPY"]["cost_per_lead"] == divide_half_up(53000, 7)
    assert totals["EUR"]["impressions"] == 4810 and totals["JPY"]["clicks"] == 42


def test_totals_follow_the_filters(client: FlaskClient, api_headers: dict[str, str], tree: dict[str, t.Any]) -> None:
    answer = listed(client, api_headers, f"{RANGE}&objective=OUTCOME_LEADS&effective_status=ACTIVE")

    assert sorted(names(answer)) == sorted(["Leads – Kitchens", "leads – solar", "東京 リード"])
    assert [(t["currency"], t["count"], t["spend"]) for t in answer["totals"]] == [("EUR", 2, 20000), ("JPY", 1, 50000)]


def test_without_a_range_the_json_totals_every_stored_day(
    client: FlaskClient, api_headers: dict[str, str], tree: dict[str, t.Any]
) -> None:
    answer = listed(client, api_headers, "q=kitchens")
    assert answer["campaigns"][0]["spend"] == 12009 and answer["totals"][0]["spend"] == 12009


def test_a_preset_is_each_accounts_own_days(client: FlaskClient, api_headers: dict[str, str], tree: dict[str, t.Any]) -> None:
    """``last_7d`` ends yesterday in Madrid and yesterday in Tokyo: a row on Tokyo's yesterday
    counts for the JPY account, whatever day it is in UTC."""
    tokyo = db.session.get(AdAccount, tree["accounts"]["JPY"])
    madrid = db.session.get(AdAccount, tree["accounts"]["EUR"])
    tokyo_days = dates.preset("last_7d", dates.account_today(tokyo))
    madrid_days = dates.preset("last_7d", dates.account_today(madrid))
    for account, (since, until), name in ((tokyo, tokyo_days, "東京 リード"), (madrid, madrid_days, "Leads – Kitchens")):
        for day, spend in ((since - dt.timedelta(days=1), 1), (since, 10), (until, 100), (until + dt.timedelta(days=1), 1000)):
            ids = (tree["ads"][name], tree["adsets"][name], tree["campaigns"][name])
            db.session.add(
                AdInsight(
                    ad_id=ids[0], ad_set_id=ids[1], campaign_id=ids[2], ad_account_id=account.id, date=day,
                    impressions=1, clicks=0, link_clicks=0, reach=1, spend=spend, leads=0, currency=account.currency,
                )
            )  # fmt: skip
    db.session.commit()

    answer = listed(client, api_headers, "date_preset=last_7d&sort=-spend")

    spend = {c["name"]: c["spend"] for c in answer["campaigns"]}
    assert spend["東京 リード"] == 110 and spend["Leads – Kitchens"] == 110
    assert {t["currency"]: t["spend"] for t in answer["totals"]} == {"EUR": 110, "JPY": 110}


FILTERS = [
    ("q=LEADS", ["Leads – Kitchens", "leads – solar"]),
    ("q=100%25", ["Traffic – Blog 100%"]),  # % is a character, not a wildcard
    ("q=_", ["Brand_awareness"]),
    ("status=PAUSED", ["Traffic – Blog 100%", "大阪"]),
    ("effective_status=WITH_ISSUES", ["Brand_awareness"]),
    ("objective=OUTCOME_TRAFFIC", ["Traffic – Blog 100%"]),
    ("status=ACTIVE&objective=OUTCOME_LEADS&q=東京", ["東京 リード"]),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_filters(
    client: FlaskClient, api_headers: dict[str, str], tree: dict[str, t.Any], query: str, expected: list[str]
) -> None:
    assert sorted(names(listed(client, api_headers, query))) == sorted(expected)


def test_the_account_filter(client: FlaskClient, api_headers: dict[str, str], tree: dict[str, t.Any]) -> None:
    answer = listed(client, api_headers, f"ad_account_id={tree['accounts']['JPY']}")
    assert sorted(names(answer)) == ["大阪", "東京 リード"] and [t["currency"] for t in answer["totals"]] == ["JPY"]


def test_a_campaigns_ad_sets_and_an_ad_sets_ads_are_the_same_table(
    client: FlaskClient, api_headers: dict[str, str], tree: dict[str, t.Any]
) -> None:
    campaign_id = tree["campaigns"]["Leads – Kitchens"]
    adsets = listed(client, api_headers, f"campaign_id={campaign_id}&{RANGE}", "adsets")
    ads = listed(client, api_headers, f"ad_set_id={tree['adsets']['Leads – Kitchens']}&{RANGE}", "ads")
    ads_of_campaign = listed(client, api_headers, f"campaign_id={campaign_id}&sort=-spend", "ads")
    all_adsets = listed(client, api_headers, f"sort=-budget&{RANGE}", "adsets")

    assert names(adsets, "adsets") == ["Leads – Kitchens – set"] and adsets["adsets"][0]["spend"] == 12000
    assert adsets["adsets"][0]["campaign_id"] == campaign_id and adsets["totals"][0]["leads"] == 6
    assert names(ads, "ads") == ["Leads – Kitchens – ad"] and ads["ads"][0]["leads"] == 6
    assert ads_of_campaign["ads"][0]["spend"] == 12009  # no range: every stored day
    budgets = [(s["currency"], s["daily_budget"]) for s in all_adsets["adsets"]]
    assert budgets == sorted(budgets, key=lambda b: (b[0], -b[1]))  # within a currency, biggest first


BAD = [
    "sort=budget_remaining",
    "sort=ends",  # ads have no schedule of their own
    "status=RUNNING",
    "effective_status=LIVE",
    "ad_account_id=abc",
    "ad_set_id=-1",
    "campaign_id=99999999999999999999999",
    "limit=0",
    "limit=501",
    "offset=-1",
    "since=2026-03-01",
    "date_preset=last_2d",
    "since=2026-03-31&until=2026-03-01",
]


@pytest.mark.parametrize("query", BAD)
def test_bad_arguments_are_a_400_for_json(
    client: FlaskClient, api_headers: dict[str, str], tree: dict[str, t.Any], query: str
) -> None:
    response = client.get(f"{BASE}/ads?{query}", headers=api_headers)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "validation_error"


def test_a_page_with_bad_arguments_shows_the_defaults_and_says_why(admin_client: FlaskClient, tree: dict[str, t.Any]) -> None:
    response = admin_client.get(f"{BASE}/campaigns?sort=bogus&date_preset=last_2d")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Some of these arguments could not be used" in page and "sort:" in page
    assert "This date range could not be used, so last 30 days is shown" in page


def test_the_page_shows_names_delivery_budgets_and_a_totals_row_per_currency(
    admin_client: FlaskClient, tree: dict[str, t.Any]
) -> None:
    page = admin_client.get(f"{BASE}/campaigns?{RANGE}&sort=-spend").get_data(as_text=True)

    assert "Total · EUR" in page and "Total · JPY" in page
    assert "€241.00" in page and "¥53,000" in page  # the totals, each in its own currency
    assert "Not delivering" in page and "With issues" in page  # Brand_awareness's delivery and reason
    assert "Using ad set budget" in page and "€900.00" in page  # a lifetime budget of 90000 cents
    assert 'aria-sort="descending"' in page and "2026-03-01 – 2026-03-31" in page


def test_totals_follow_insights_stored_again(client: FlaskClient, api_headers: dict[str, str], tree: dict[str, t.Any]) -> None:
    """The sums over a range are kept between pages until stored insights change: a day Meta
    restated (stored again, so stamped anew) shows on the next page."""
    before = listed(client, api_headers, f"{RANGE}&q=kitchens")
    row = db.session.get(AdInsight, (tree["ads"]["Leads – Kitchens"], IN_RANGE))
    row.spend, row.synced_at = 15000, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    db.session.commit()

    after = listed(client, api_headers, f"{RANGE}&q=kitchens")

    assert before["campaigns"][0]["spend"] == 12000 and after["campaigns"][0]["spend"] == 15000
    assert after["totals"][0]["spend"] == 15000
