"""``GET /admin/meta-ads/`` as JSON: design.md's fixed shape with exact integer sums (minor units,
whole yen), totals per currency (never across), each account's own days, cumulative stages,
the funnel with the cost of each stage, Conversions API signals, forms and pipeline health."""

from __future__ import annotations

import typing as t

from flask.testing import FlaskClient

from metaads.insights import dates
from metaads.models import AdAccount
from plugins.core.extensions import db
from tests.metaads.dashboard.conftest import ACCOUNTS, EXPECTED, RANGE, RECEIVED, SINCE, UNTIL, World

DASHBOARD = "/admin/meta-ads/"
FIXED_METRICS = {"spend", "impressions", "clicks", "leads", "leads_received", "contacted", "qualified", "converted"}


def get(client: FlaskClient, headers: dict[str, str], query: str = RANGE) -> dict[str, t.Any]:
    answer = client.get(f"{DASHBOARD}?{query}", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return t.cast(dict[str, t.Any], answer.get_json())


def by_name(rows: list[dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    return {row["name"]: row for row in rows}


def test_the_fixed_shape(client: FlaskClient, api_headers: dict[str, str], world: World) -> None:
    body = get(client, api_headers)
    assert {"accounts", "totals", "since", "until"} <= set(body)
    assert (body["since"], body["until"]) == (SINCE.isoformat(), UNTIL.isoformat())
    for account in body["accounts"]:
        assert {"id", "name", "currency"} | FIXED_METRICS <= set(account)
    for total in body["totals"]:
        assert {"currency"} | FIXED_METRICS <= set(total)


def test_accounts_are_exact_sums_in_minor_units_and_their_own_days(
    client: FlaskClient, api_headers: dict[str, str], world: World
) -> None:
    accounts = by_name(get(client, api_headers)["accounts"])
    for key, (name, currency, _) in ACCOUNTS.items():
        row = accounts[name]
        assert row["currency"] == currency and row["id"] == world.accounts[key]
        assert {metric: row[metric] for metric in EXPECTED[key]} == EXPECTED[key], name
        # Leads are judged by the account's local midnights: Tokyo's Nov 1 begins at 15:00 UTC
        # on Oct 31, Los Angeles' Nov 30 ends at 08:00 UTC on Dec 1 (PST, after the DST change).
        assert {metric: row[metric] for metric in RECEIVED[key]} == RECEIVED[key], name
    assert accounts["Acme JP"]["spend"] == 1203  # ¥1,203: whole yen, not 120,300


def test_totals_are_per_currency_never_across(client: FlaskClient, api_headers: dict[str, str], world: World) -> None:
    totals = {row["currency"]: row for row in get(client, api_headers)["totals"]}
    assert set(totals) == {"EUR", "JPY", "USD"}
    assert totals["EUR"]["spend"] == EXPECTED["de"]["spend"] + EXPECTED["fr"]["spend"] == 9601
    assert totals["EUR"]["leads_received"] == 6
    assert totals["JPY"]["spend"] == 1203 and totals["USD"]["spend"] == 999
    assert totals["EUR"]["cost_per_lead"] == 1067  # 9601 / 9 = 1066.8, half up
    assert totals["EUR"]["ctr"] == round(96 * 100 / 6600, 4)


def test_stages_are_cumulative(client: FlaskClient, api_headers: dict[str, str], world: World) -> None:
    """A lead moved from new straight to converted counts as contacted and qualified too."""
    jp = by_name(get(client, api_headers)["accounts"])["Acme JP"]
    assert (jp["leads_received"], jp["contacted"], jp["qualified"], jp["converted"]) == (2, 1, 1, 1)


def test_the_funnel_of_a_campaign_with_the_cost_of_each_stage_and_meta_s_signals(
    client: FlaskClient, api_headers: dict[str, str], world: World
) -> None:
    body = get(client, api_headers)
    funnel = by_name(body["campaigns"])["DE Leads"]
    assert funnel["id"] == world.campaigns["de_leads"] and funnel["currency"] == "EUR" and funnel["status"] == "ACTIVE"
    assert (funnel["spend"], funnel["leads"], funnel["leads_received"]) == (7000, 8, 5)
    assert (funnel["contacted"], funnel["qualified"], funnel["converted"]) == (2, 2, 1)
    assert (funnel["cost_per_lead"], funnel["cost_per_received"]) == (875, 1400)
    assert (funnel["cost_per_contacted"], funnel["cost_per_qualified"], funnel["cost_per_converted"]) == (3500, 3500, 7000)
    # Meta accepted both qualified stages; the converted one it refused does not count.
    assert (funnel["qualified_signals"], funnel["converted_signals"]) == (2, 0)
    jp = by_name(body["campaigns"])["JP Leads"]
    assert (jp["qualified_signals"], jp["converted_signals"]) == (0, 1)
    assert body["campaigns_count"] == 5
    assert [c["name"] for c in body["campaigns"]][:2] == ["DE Leads", "DE Brand"]  # most spend first


def test_top_campaigns(client: FlaskClient, api_headers: dict[str, str], world: World) -> None:
    body = get(client, api_headers)
    assert [c["name"] for c in body["top_by_leads"]] == ["DE Leads", "JP Leads", "US Leads", "FR Leads"]
    # Cheapest converted lead, ranked within each currency (amounts of two currencies do not compare).
    assert [(c["name"], c["cost_per_converted"]) for c in body["top_by_cost_per_converted"]] == [
        ("DE Leads", 7000),
        ("JP Leads", 1203),
    ]


def test_limit_shortens_the_funnel_only(client: FlaskClient, api_headers: dict[str, str], world: World) -> None:
    body = get(client, api_headers, RANGE + "&limit=1")
    assert [c["name"] for c in body["campaigns"]] == ["DE Leads"] and body["campaigns_count"] == 5
    assert len(body["top_by_leads"]) == 4


def test_trend_has_every_day_per_currency(client: FlaskClient, api_headers: dict[str, str], world: World) -> None:
    trend = {row["currency"]: row["days"] for row in get(client, api_headers)["trend"]}
    assert set(trend) == {"EUR", "JPY", "USD"}
    eur = trend["EUR"]
    assert len(eur) == 30 and eur[0]["date"] == "2026-11-01" and eur[-1]["date"] == "2026-11-30"
    assert eur[0] == {
        "date": "2026-11-01",
        "spend": 1234,
        "impressions": 1000,
        "clicks": 20,
        "leads": 3,
        "leads_received": 2,  # 00:30 and 11:00 in Berlin
    }
    assert sum(day["leads_received"] for day in eur) == 6
    assert trend["JPY"][29]["leads_received"] == 1  # Nov 30 23:00 in Tokyo


def test_forms_with_their_lead_counts(client: FlaskClient, api_headers: dict[str, str], world: World) -> None:
    forms = by_name(get(client, api_headers)["lead_forms"])
    # Every real lead through the form in its account's days: with an ad, organic, or with a
    # campaign not synced yet; test leads never.
    assert forms["Acme DE form"]["leads_received"] == 7
    assert forms["Acme JP form"]["leads_received"] == 2
    assert forms["Acme DE form"]["id"] == world.forms["de"]


def test_pipeline_health(client: FlaskClient, api_headers: dict[str, str], world: World) -> None:
    assert get(client, api_headers)["health"] == {
        "leads_waiting": 1,
        "leads_failed": 1,
        "connections_needing_reauth": 1,
        "sync_runs_failed": 1,
        "conversions_failed": 1,
    }


def test_default_range_is_the_last_30_days_on_the_latest_account_today(
    client: FlaskClient, api_headers: dict[str, str], world: World
) -> None:
    body = get(client, api_headers, "")
    accounts = db.session.query(AdAccount).all()
    latest = max(dates.account_today(account) for account in accounts)
    since, until = dates.preset("last_30d", latest)
    assert (body["since"], body["until"]) == (since.isoformat(), until.isoformat())


def test_a_preset(client: FlaskClient, api_headers: dict[str, str], world: World) -> None:
    body = get(client, api_headers, "date_preset=last_7d")
    assert len(body["trend"][0]["days"]) == 7


def test_nothing_yet(client: FlaskClient, api_headers: dict[str, str]) -> None:
    body = get(client, api_headers)
    assert body["accounts"] == [] and body["totals"] == [] and body["campaigns"] == [] and body["trend"] == []
