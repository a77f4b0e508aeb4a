"""Insights as a sync reads them (issue 12): daily ad rows, restatement, too much data, the
throttle header on every insights response, and async jobs that fail, stall or are skipped."""

from __future__ import annotations

import json

import requests

from metaads.sandbox import SandboxState
from tests.metaads.sandbox.conftest import Graph, error_of

FIELDS = "ad_id,impressions,clicks,spend,actions,date_start,date_stop"


def throttle(response: requests.Response) -> dict:
    value = json.loads(response.headers["X-FB-Ads-Insights-Throttle"])
    assert set(value) == {"app_id_util_pct", "acc_id_util_pct", "ads_api_access_tier"}
    return value


def start(sandbox: Graph, account: str, **params: str) -> str:
    return str(
        sandbox.post(f"{account}/insights", fields=FIELDS, level="ad", time_increment="1", **params).json()["report_run_id"]
    )


def poll(sandbox: Graph, run_id: str, times: int) -> list[tuple[str, int]]:
    out = []
    for _ in range(times):
        response = sandbox.get(run_id, fields="async_status,async_percent_completion")
        throttle(response)
        body = response.json()
        out.append((body["async_status"], body["async_percent_completion"]))
    return out


def test_restated_day_replaces_the_numbers(sandbox: Graph, state: SandboxState) -> None:
    ad, account = state.seed.ads["kitchens_carousel"], state.seed.ad_accounts["EUR"]
    params = {"fields": FIELDS, "level": "ad", "time_increment": "1", "date_preset": "last_7d"}
    before = {
        r["date_start"]: r for r in sandbox.get(f"{account}/insights", **params, limit=100).json()["data"] if r["ad_id"] == ad
    }
    day = sorted(before)[2]
    answer = requests.post(
        f"{sandbox.base_url}_sandbox/insights/restate",
        json={"ad_id": ad, "day": day, "impressions": 1000, "spend": 1234, "leads": 3},
        timeout=5,
    )
    assert answer.json() == {"success": True}
    after = {
        r["date_start"]: r for r in sandbox.get(f"{account}/insights", **params, limit=100).json()["data"] if r["ad_id"] == ad
    }
    assert (after[day]["impressions"], after[day]["spend"]) == ("1000", "12.34")
    assert {a["action_type"]: a["value"] for a in after[day]["actions"]}["lead"] == "3"
    assert all(after[d] == before[d] for d in before if d != day)


def test_throttle_header_on_every_insights_response_errors_included(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    throttle(sandbox.get(f"{account}/insights"))
    refused = sandbox.get(f"{account}/insights", date_preset="lifetime")
    assert refused.status_code == 400 and throttle(refused)["ads_api_access_tier"]
    state.add_fault(kind="rate_limit", code=80000, path="/insights$")
    limited = sandbox.get(f"{account}/insights")
    assert error_of(limited)["code"] == 80000 and throttle(limited)["acc_id_util_pct"] == 100


def test_too_much_data_sync_and_async(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    requests.post(
        f"{sandbox.base_url}_sandbox/config",
        json={"SYNC_INSIGHTS_MAX_AD_DAYS": 20, "ASYNC_INSIGHTS_MAX_AD_DAYS": 60},
        timeout=5,
    )
    error = error_of(sandbox.get(f"{account}/insights", level="ad", date_preset="last_30d"))
    assert (error["code"], error["error_subcode"]) == (100, 1487534)
    assert "data" in sandbox.get(f"{account}/insights", level="ad", date_preset="yesterday").json()
    run_id = start(sandbox, account, date_preset="last_30d")
    assert poll(sandbox, run_id, 2)[-1][0] == "Job Failed"
    run = sandbox.get(run_id, fields="error_code,error_subcode,error_message,error_user_title").json()
    assert (run["error_code"], run["error_subcode"]) == (100, 1487534)
    assert error_of(sandbox.get(f"{run_id}/insights"))["code"] == 100  # no rows from a failed job


def test_job_that_fails_once_then_completes(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    state.add_fault(kind="report_failed", path="/insights$", method="POST", times=1)
    failed = start(sandbox, account, date_preset="last_7d")
    assert poll(sandbox, failed, 2) == [("Job Running", 50), ("Job Failed", 50)]
    run = sandbox.get(failed, fields="error_code,error_subcode,error_user_msg").json()
    assert (run["error_code"], run["error_subcode"]) == (-2, 2490547) and run["error_user_msg"]
    retried = start(sandbox, account, date_preset="last_7d")
    assert poll(sandbox, retried, 2)[-1] == ("Job Completed", 100)
    body = sandbox.get(f"{retried}/insights", limit=5).json()
    assert len(body["data"]) == 5 and "next" in body["paging"]


def test_stalled_skipped_and_running_at_100(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["JPY"]
    state.add_fault(kind="report_stalled", path="/insights$", method="POST", percent=35)
    stalled = start(sandbox, account, date_preset="last_7d")
    assert poll(sandbox, stalled, 4) == [("Job Started", 35)] + [("Job Running", 35)] * 3
    state.clear_faults()
    state.add_fault(kind="report_skipped", path="/insights$", method="POST")
    assert poll(sandbox, start(sandbox, account, date_preset="last_7d"), 2) == [("Job Skipped", 0)] * 2
    state.add_fault(kind="report_running_at_100", path="/insights$", method="POST")
    early = start(sandbox, account, date_preset="last_7d")
    assert poll(sandbox, early, 2) == [("Job Running", 50), ("Job Running", 100)]
    assert error_of(sandbox.get(f"{early}/insights"))["code"] == 100  # 100 % is not done yet
    assert poll(sandbox, early, 1) == [("Job Completed", 100)]
    assert sandbox.get(f"{early}/insights").json()["data"]


def test_run_carries_its_range_and_rows_are_a_snapshot(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    requests.post(f"{sandbox.base_url}_sandbox/config", json={"ASYNC_REPORT_STEPS": 4}, timeout=5)
    since_until = {"since": "2026-11-01", "until": "2026-11-03"}
    run_id = start(sandbox, account, time_range=json.dumps(since_until))
    assert poll(sandbox, run_id, 4) == [("Job Started", 25), ("Job Running", 50), ("Job Running", 75), ("Job Completed", 100)]
    run = sandbox.get(run_id, fields="date_start,date_stop,time_completed").json()
    assert (run["date_start"], run["date_stop"]) == ("2026-11-01", "2026-11-03") and run["time_completed"]
