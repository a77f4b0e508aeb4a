"""Insights (§6): strings, major-unit spend, leads in actions, dates, levels, async runs."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from metaads.sandbox import SandboxState
from tests.metaads.sandbox.conftest import Graph, error_of

FIELDS = "campaign_id,ad_id,impressions,clicks,spend,reach,ctr,cpc,cpm,frequency,actions,cost_per_action_type"


def rows(sandbox: Graph, node: str, **params: str) -> list[dict]:
    body = sandbox.get(f"{node}/insights", **params).json()
    assert "data" in body, body
    out = body["data"]
    while "next" in body["paging"]:
        body = sandbox.get(f"{node}/insights", **params, after=body["paging"]["cursors"]["after"]).json()
        out += body["data"]
    return out


def test_every_metric_is_a_string_and_spend_is_major_units(sandbox: Graph, state: SandboxState) -> None:
    eur = rows(sandbox, state.seed.ad_accounts["EUR"], fields=FIELDS, level="ad", date_preset="last_30d")
    jpy = rows(sandbox, state.seed.ad_accounts["JPY"], fields=FIELDS, level="ad", date_preset="last_30d")
    assert eur and jpy
    for row in eur + jpy:
        for name in ("impressions", "clicks", "spend", "reach", "ctr", "frequency"):
            assert isinstance(row[name], str)
    assert all("." in row["spend"] and len(row["spend"].split(".")[1]) == 2 for row in eur)
    assert all(row["spend"].isdigit() for row in jpy)  # JPY has offset 1: no decimals


def test_lead_actions_match_the_leads(sandbox: Graph, state: SandboxState) -> None:
    ad = state.seed.ads["kitchens_carousel"]
    [row] = rows(
        sandbox,
        ad,
        fields="actions,cost_per_action_type,spend",
        date_preset="last_30d",
        action_attribution_windows='["7d_click","1d_view"]',
    )
    actions = {a["action_type"]: a for a in row["actions"]}
    tz = zoneinfo.ZoneInfo("Europe/Madrid")
    today = dt.datetime.fromtimestamp(state.now(), tz).date()
    leads = [state.lead(i) for i in state.seed.lead_ids if state.lead(i).get("ad_id") == ad]
    in_range = [
        lead
        for lead in leads
        if today - dt.timedelta(days=30) <= dt.datetime.fromtimestamp(lead["created_timestamp"], tz).date() < today
    ]
    assert actions["lead"]["value"] == actions["onsite_conversion.lead_grouped"]["value"] == str(len(in_range))
    assert actions["lead"]["7d_click"] == str(len(in_range)) and actions["lead"]["1d_view"] == "0"
    costs = {a["action_type"]: float(a["value"]) for a in row["cost_per_action_type"]}
    assert abs(costs["lead"] * len(in_range) - float(row["spend"])) < 0.01


def test_daily_rows_and_time_range(sandbox: Graph, state: SandboxState) -> None:
    campaign = state.seed.campaigns["solar"]
    daily = rows(sandbox, campaign, fields="impressions,date_start,date_stop", date_preset="last_7d", time_increment="1")
    assert len(daily) == 7 and all(r["date_start"] == r["date_stop"] for r in daily)
    total = rows(sandbox, campaign, fields="impressions", date_preset="last_7d")
    assert int(total[0]["impressions"]) == sum(int(r["impressions"]) for r in daily)
    since, until = daily[0]["date_start"], daily[2]["date_start"]
    ranged = rows(sandbox, campaign, fields="impressions", time_range=json.dumps({"since": since, "until": until}))
    assert (ranged[0]["date_start"], ranged[0]["date_stop"]) == (since, until)


def test_levels_and_archived_filter(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    by_campaign = rows(sandbox, account, fields="campaign_id,campaign_name,impressions", level="campaign", date_preset="maximum")
    ids = {row["campaign_id"] for row in by_campaign}
    assert state.seed.campaigns["kitchens"] in ids and state.seed.campaigns["summer"] not in ids
    archived = rows(
        sandbox,
        account,
        fields="campaign_id",
        level="campaign",
        date_preset="maximum",
        filtering=json.dumps([{"field": "ad.effective_status", "operator": "IN", "value": ["ARCHIVED"]}]),
    )
    assert {row["campaign_id"] for row in archived} == {state.seed.campaigns["summer"]}


def test_insights_errors(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    old = json.dumps({"since": "2020-01-01", "until": "2020-01-31"})
    assert error_of(sandbox.get(f"{account}/insights", time_range=old))["code"] == 3018
    assert error_of(sandbox.get(f"{account}/insights", date_preset="lifetime"))["code"] == 100
    assert error_of(sandbox.get(f"{account}/insights", fields="impressions,bogus"))["code"] == 100
    assert error_of(sandbox.get(f"{state.seed.ads['solar_static']}/insights", level="campaign"))["code"] == 100


def test_async_report_run(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["JPY"]
    run = sandbox.post(f"{account}/insights", fields="ad_id,spend", level="ad", date_preset="last_7d").json()
    run_id = run["report_run_id"]
    statuses = [sandbox.get(run_id).json() for _ in range(3)]
    assert [s["async_status"] for s in statuses] == ["Job Running", "Job Completed", "Job Completed"]
    assert statuses[-1]["async_percent_completion"] == 100
    result = sandbox.get(f"{run_id}/insights").json()["data"]
    assert result == rows(sandbox, account, fields="ad_id,spend", level="ad", date_preset="last_7d")
