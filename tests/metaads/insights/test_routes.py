"""``…/insights`` routes and the performance fields, served from stored rows: exact integer sums
(minor units, rounded half up), ctr a percentage, null where undefined; and the command."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from metaads.insights.query import divide_half_up, performance_for
from metaads.models import Ad, AdAccount, AdCampaign, AdInsight, AdSet, SyncRun
from metaads.models.enums import SyncRunStatus
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from tests.metaads.insights.helpers import FAST, assert_matches_meta

DAY1, DAY2, DAY3 = dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3)


@pytest.fixture
def tree(app: Flask) -> dict[str, int]:
    """A JPY account, a campaign with two ad sets of one ad each, and three days of rows."""
    account = AdAccount(meta_account_id="act_1", name="Japan", currency="JPY", timezone="Asia/Tokyo")
    db.session.add(account)
    db.session.flush()
    campaign = AdCampaign(meta_campaign_id="c1", name="Leads", ad_account_id=account.id)
    db.session.add(campaign)
    db.session.flush()
    ids = {"account": account.id, "campaign": campaign.id}
    for n in (1, 2):
        ad_set = AdSet(meta_adset_id=f"s{n}", name=f"Set {n}", campaign_id=campaign.id)
        db.session.add(ad_set)
        db.session.flush()
        ad = Ad(meta_ad_id=f"a{n}", name=f"Ad {n}", ad_set_id=ad_set.id)
        db.session.add(ad)
        db.session.flush()
        ids[f"adset{n}"], ids[f"ad{n}"] = ad_set.id, ad.id
    rows = [  # ad, day, impressions, clicks, spend (whole yen), leads
        (1, DAY1, 1000, 30, 1001, 3),
        (1, DAY2, 2000, 0, 500, 0),
        (2, DAY1, 999, 7, 3, 1),
        (2, DAY3, 0, 0, 0, 0),
    ]
    for n, day, impressions, clicks, spend, leads in rows:
        db.session.add(
            AdInsight(
                ad_id=ids[f"ad{n}"],
                ad_set_id=ids[f"adset{n}"],
                campaign_id=campaign.id,
                ad_account_id=account.id,
                date=day,
                impressions=impressions,
                clicks=clicks,
                link_clicks=clicks,
                reach=impressions // 2,
                spend=spend,
                leads=leads,
                actions=[
                    {"action_type": "lead", "value": str(leads)},
                    {"action_type": "onsite_conversion.lead_grouped", "value": str(leads)},
                ],
                currency="JPY",
            )
        )
    db.session.commit()
    return ids


def test_half_up_division_in_integers() -> None:
    assert [divide_half_up(a, b) for a, b in [(5, 2), (7, 2), (1, 3), (2, 3), (10, 0), (1504, 1000)]] == [3, 4, 0, 1, None, 2]


def test_campaign_insights_daily_with_totals_and_ratios(
    client: FlaskClient, api_headers: dict[str, str], tree: dict[str, int]
) -> None:
    answer = client.get(
        f"/admin/meta-ads/campaigns/{tree['campaign']}/insights?since=2026-11-01&until=2026-11-03", headers=api_headers
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["currency"], body["since"], body["until"]) == ("JPY", "2026-11-01", "2026-11-03")
    first = body["insights"][0]
    assert first == {
        "date_start": "2026-11-01",
        "date_stop": "2026-11-01",
        "impressions": 1999,
        "clicks": 37,
        "spend": 1004,
        "leads": 4,
        "ctr": round(37 * 100 / 1999, 4),
        "cpc": 27,  # 1004 / 37 = 27.1
        "cpm": 502,  # 1004 * 1000 / 1999 = 502.25
        "cost_per_lead": 251,
    }
    assert body["insights"][1]["cpc"] is None and body["insights"][1]["cost_per_lead"] is None
    assert body["insights"][2]["ctr"] is None  # a day with no impressions: undefined, not 0
    assert body["totals"] == {
        "impressions": 3999,
        "clicks": 37,
        "spend": 1504,
        "leads": 4,
        "ctr": round(3700 / 3999, 4),
        "cpc": 41,  # 40.65 rounds up
        "cpm": 376,  # 376.09
        "cost_per_lead": 376,
    }


def test_levels_add_up_and_all_days_is_one_row(client: FlaskClient, api_headers: dict[str, str], tree: dict[str, int]) -> None:
    def totals(path: str) -> dict[str, t.Any]:
        body = client.get(
            f"/admin/meta-ads/{path}/insights?since=2026-11-01&until=2026-11-03&time_increment=all_days", headers=api_headers
        ).get_json()
        assert len(body["insights"]) == 1 and body["insights"][0]["date_start"] == "2026-11-01"
        assert body["insights"][0]["date_stop"] == "2026-11-03"
        return t.cast(dict[str, t.Any], body["totals"])

    account, campaign = totals(f"accounts/{tree['account']}"), totals(f"campaigns/{tree['campaign']}")
    ad_sets = [totals(f"adsets/{tree['adset1']}"), totals(f"adsets/{tree['adset2']}")]
    ads = [totals(f"ads/{tree['ad1']}"), totals(f"ads/{tree['ad2']}")]
    assert account == campaign
    for metric in ("impressions", "clicks", "spend", "leads"):
        assert campaign[metric] == sum(a[metric] for a in ad_sets) == sum(a[metric] for a in ads)
    assert campaign["leads"] == 4, "the lead action, not the sum of every action type"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=2026-13-01&until=2026-11-03", "since"),
        ("since=2026-11-03&until=2026-11-01", "since"),
        ("since=2026-11-01", "until"),
        ("date_preset=last_million_days", "date_preset"),
        ("date_preset=last_7d&since=2026-11-01&until=2026-11-02", "date_preset"),
        ("time_increment=7", "time_increment"),
    ],
)
def test_bad_arguments_are_400_with_the_envelope(
    client: FlaskClient, api_headers: dict[str, str], tree: dict[str, int], query: str, field: str
) -> None:
    answer = client.get(f"/admin/meta-ads/campaigns/{tree['campaign']}/insights?{query}", headers=api_headers)
    assert answer.status_code == 400
    assert field in answer.get_json()["error"]["details"]["fields"]


def test_unknown_object_is_404_and_a_preset_is_in_the_accounts_days(
    client: FlaskClient, api_headers: dict[str, str], tree: dict[str, int]
) -> None:
    assert client.get("/admin/meta-ads/ads/999999/insights", headers=api_headers).status_code == 404
    body = client.get(f"/admin/meta-ads/ads/{tree['ad1']}/insights?date_preset=yesterday", headers=api_headers).get_json()
    assert body["since"] == body["until"] and body["insights"] == []


def test_insights_page_renders_for_a_browser(admin_client: FlaskClient, tree: dict[str, int]) -> None:
    page = admin_client.get(f"/admin/meta-ads/campaigns/{tree['campaign']}/insights?since=2026-11-01&until=2026-11-03")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2026-11-03" in html and "Total" in html


def test_campaigns_list_and_detail_total_stored_rows_over_since_until(
    client: FlaskClient, api_headers: dict[str, str], tree: dict[str, int]
) -> None:
    listed = client.get("/admin/meta-ads/campaigns", headers=api_headers).get_json()["campaigns"][0]
    assert (listed["impressions"], listed["clicks"], listed["spend"], listed["leads"]) == (3999, 37, 1504, 4)
    ranged = client.get("/admin/meta-ads/campaigns?since=2026-11-02&until=2026-11-03", headers=api_headers).get_json()
    assert ranged["campaigns"][0]["spend"] == 500
    detail = client.get(f"/admin/meta-ads/campaigns/{tree['campaign']}?since=2026-11-01&until=2026-11-01", headers=api_headers)
    assert detail.get_json()["campaign"]["spend"] == 1004
    bad = client.get("/admin/meta-ads/campaigns?since=nope", headers=api_headers)
    assert bad.status_code == 400


def test_performance_for_answers_every_id_asked(app: Flask, tree: dict[str, int]) -> None:
    found = performance_for("adset", [tree["adset1"], tree["adset2"], 424242], DAY1, DAY1)
    assert found[tree["adset1"]].spend == 1001 and found[tree["adset2"]].leads == 1 and found[424242].spend == 0


@pytest.fixture
def config_overrides(config_overrides: dict[str, t.Any]) -> dict[str, t.Any]:
    return {**config_overrides, **FAST}


def test_sync_insights_command_prints_what_it_did(
    app: Flask, runner: FlaskCliRunner, graph: SandboxState, connected: int
) -> None:
    today = dt.date.today()
    result = runner.invoke(args=["metaads", "sync-insights", "--since", (today - dt.timedelta(days=5)).isoformat()])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output and "rows" in result.output
    db.session.expire_all()
    run = db.session.query(SyncRun).filter_by(kind="insights").one()
    assert run.status == SyncRunStatus.SUCCEEDED and run.trigger == "cli"
    eur = db.session.query(AdAccount).filter_by(currency="EUR").one()
    since, until = (dt.date.fromisoformat(run.progress["ranges"][str(eur.id)][k]) for k in ("since", "until"))
    assert_matches_meta(graph, "EUR", since, until)


def test_sync_insights_command_fails_in_one_line(app: Flask, runner: FlaskCliRunner, graph: SandboxState, connected: int) -> None:
    result = runner.invoke(args=["metaads", "sync-insights", "--since", "2026-11-05", "--until", "2026-11-01"])
    assert result.exit_code != 0 and "--since must not be after --until" in result.output
    graph.add_fault(kind="permission", path="/insights$", times=None)
    failed = runner.invoke(args=["metaads", "sync-insights"])
    assert failed.exit_code == 1 and failed.output.strip().splitlines()[-1].startswith("Error: ")
