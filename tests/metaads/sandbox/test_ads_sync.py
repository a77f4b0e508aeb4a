"""What an ads sync and bulk writes lean on (issue 11): big account-level pages, the
updated_time filter, deletions seen through the control API, BUC enforcement, mid-paging
faults, validate_only, the v23+ ad set and lead-ad rules."""

from __future__ import annotations

import json
import typing as t

import pytest
import requests

from metaads.sandbox import SandboxState
from tests.metaads.sandbox.conftest import Graph, error_of

ADVANTAGE_OFF = {"geo_locations": {"countries": ["ES"]}, "targeting_automation": {"advantage_audience": 0}}


def all_rows(sandbox: Graph, path: str, **params: t.Any) -> tuple[list[dict], int]:
    body = sandbox.get(path, **params).json()
    rows, calls = list(body["data"]), 1
    while "next" in body["paging"]:
        body = sandbox.get(path, **params, after=body["paging"]["cursors"]["after"]).json()
        rows, calls = rows + body["data"], calls + 1
    return rows, calls


@pytest.fixture
def bulk(sandbox: Graph, state: SandboxState) -> dict[str, t.Any]:
    made = requests.post(
        f"{sandbox.base_url}_sandbox/ads/bulk",
        json={"account_id": state.seed.ad_accounts["EUR"], "campaigns": 100, "adsets": 4, "ads": 5},
        timeout=30,
    ).json()
    assert (made["campaigns"], made["adsets"], made["ads"]) == (100, 400, 2000)
    return t.cast("dict[str, t.Any]", made)


def test_two_thousand_ads_in_a_handful_of_500_row_pages(sandbox: Graph, state: SandboxState, bulk: dict) -> None:
    account = state.seed.ad_accounts["EUR"]
    ads, calls = all_rows(sandbox, f"{account}/ads", fields="id,name,updated_time,effective_status", limit=500)
    assert calls == 5 and len({row["id"] for row in ads}) == len(ads) >= 2000
    read = sandbox.get(bulk["ids"]["ads"][0], fields="creative{object_story_spec},campaign{objective}").json()
    cta = read["creative"]["object_story_spec"]["link_data"]["call_to_action"]
    assert cta["value"]["lead_gen_form_id"] == state.seed.forms["standard"]


def test_updated_time_filter_and_deletions_at_meta(sandbox: Graph, state: SandboxState, bulk: dict) -> None:
    account = state.seed.ad_accounts["EUR"]
    state.advance_clock(60)
    mark = int(state.now())
    state.advance_clock(60)
    changed = bulk["ids"]["campaigns"][:3]
    assert sandbox.post(changed[0], status="PAUSED").json() == {"success": True}
    control = f"{sandbox.base_url}_sandbox/objects/"
    assert requests.post(control + changed[1], json={"status": "DELETED"}, timeout=5).json()["status"] == "DELETED"
    requests.post(control + changed[2], json={"status": "ARCHIVED"}, timeout=5)
    since = json.dumps([{"field": "campaign.updated_time", "operator": "GREATER_THAN", "value": mark}])
    default = sandbox.get(f"{account}/campaigns", fields="id,status", filtering=since).json()["data"]
    assert [row["id"] for row in default] == [changed[0]]  # archived and deleted are hidden by default
    every = json.dumps(
        [
            {"field": "campaign.updated_time", "operator": "GREATER_THAN", "value": mark},
            {"field": "campaign.effective_status", "operator": "IN", "value": ["ACTIVE", "PAUSED", "ARCHIVED"]},
        ]
    )
    rows = sandbox.get(f"{account}/campaigns", fields="id,effective_status", filtering=every).json()["data"]
    assert {row["id"]: row["effective_status"] for row in rows} == {changed[0]: "PAUSED", changed[2]: "ARCHIVED"}
    # Deleted objects leave the edges but stay readable by id (§5.1).
    assert sandbox.get(changed[1], fields="effective_status").json()["effective_status"] == "DELETED"
    adsets = sandbox.get(f"{account}/adsets", updated_since=str(mark), fields="id").json()["data"]
    assert adsets == []
    bad = json.dumps([{"field": "campaign.name", "operator": "GREATER_THAN", "value": 1}])
    assert error_of(sandbox.get(f"{account}/campaigns", filtering=bad))["code"] == 100


def test_deleted_filter_listed_only_when_allowed_and_asked_for(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    deleted = json.dumps([{"field": "campaign.effective_status", "operator": "IN", "value": ["DELETED"]}])
    assert error_of(sandbox.get(f"{account}/campaigns", filtering=deleted))["code"] == 100
    requests.post(f"{sandbox.base_url}_sandbox/config", json={"ALLOW_DELETED_FILTER": True}, timeout=5)
    rows = sandbox.get(f"{account}/campaigns", filtering=deleted, fields="status").json()["data"]
    assert [row["id"] for row in rows] == [state.seed.campaigns["old"]]


def test_updates_move_updated_time_and_validate_only_changes_nothing(sandbox: Graph, state: SandboxState) -> None:
    camp = state.seed.campaigns["brand"]
    before = sandbox.get(camp, fields="updated_time,status").json()
    assert sandbox.post(camp, status="PAUSED", execution_options='["validate_only"]').json() == {"success": True}
    assert sandbox.get(camp, fields="updated_time,status").json() == before
    state.advance_clock(5)
    sandbox.post(camp, status="PAUSED")
    after = sandbox.get(camp, fields="updated_time,status").json()
    assert after["status"] == "PAUSED" and after["updated_time"] > before["updated_time"]


def test_buc_budget_spent_answers_80004_with_the_wait(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    requests.post(f"{sandbox.base_url}_sandbox/config", json={"USAGE_BUDGETS": {"ads_management": 4}}, timeout=5)
    for _ in range(4):
        ok = sandbox.get(f"{account}/campaigns")
        assert ok.status_code == 200 and "ads_management" in ok.headers["X-Business-Use-Case-Usage"]
    refused = sandbox.get(f"{account}/campaigns")
    error = error_of(refused)
    assert (error["code"], error["error_subcode"], error["is_transient"]) == (80004, 2446079, True)
    [entry] = json.loads(refused.headers["X-Business-Use-Case-Usage"])[account.removeprefix("act_")]
    assert entry["type"] == "ads_management" and entry["call_count"] == 100
    assert 1 <= entry["estimated_time_to_regain_access"] <= 60
    state.advance_clock(3601)
    assert sandbox.get(f"{account}/campaigns").status_code == 200


def test_transient_fault_on_the_second_page_only(sandbox: Graph, state: SandboxState, bulk: dict) -> None:
    account = state.seed.ad_accounts["EUR"]
    state.add_fault(kind="transient", path="/ads$", params="after=", times=1)
    first = sandbox.get(f"{account}/ads", limit=500).json()
    after = first["paging"]["cursors"]["after"]
    failed = sandbox.get(f"{account}/ads", limit=500, after=after)
    assert error_of(failed)["code"] == 2 and failed.status_code == 500
    assert len(sandbox.get(f"{account}/ads", limit=500, after=after).json()["data"]) == 500
    state.add_fault(kind="transient", path="/campaigns$", skip=1, times=1)
    assert sandbox.get(f"{account}/campaigns").status_code == 200
    assert error_of(sandbox.get(f"{account}/campaigns"))["code"] == 2


def test_bulk_pause_through_the_batch_api(sandbox: Graph, state: SandboxState, bulk: dict) -> None:
    campaigns = bulk["ids"]["campaigns"]
    for start in range(0, 200 if len(campaigns) >= 200 else len(campaigns), 50):
        batch = [
            {"method": "POST", "relative_url": campaign, "body": "status=PAUSED"} for campaign in campaigns[start : start + 50]
        ]
        answers = sandbox.post("", batch=json.dumps(batch), include_headers="false").json()
        assert all(a["code"] == 200 and json.loads(a["body"]) == {"success": True} for a in answers)
    assert {state.store.objects[c]["status"] for c in campaigns} == {"PAUSED"}


def test_latency_is_settable_live(sandbox: Graph, state: SandboxState) -> None:
    requests.post(f"{sandbox.base_url}_sandbox/config", json={"LATENCY_MS": 30}, timeout=5)
    response = sandbox.get("me")
    assert response.elapsed.total_seconds() >= 0.03
    assert requests.post(f"{sandbox.base_url}_sandbox/config", json={"NOPE": 1}, timeout=5).status_code == 400


def adset_params(state: SandboxState, campaign: str, **changes: t.Any) -> dict[str, t.Any]:
    params = {
        "name": "Leads ES",
        "campaign_id": campaign,
        "billing_event": "IMPRESSIONS",
        "optimization_goal": "LEAD_GENERATION",
        "destination_type": "ON_AD",
        "promoted_object": json.dumps({"page_id": state.seed.page_ids[0]}),
        "targeting": json.dumps(ADVANTAGE_OFF),
        "daily_budget": "1500",
        "status": "PAUSED",
    }
    return {k: v for k, v in {**params, **changes}.items() if v is not None}


@pytest.mark.parametrize(
    "changes, subcode, blame",
    [
        ({"targeting": json.dumps({"geo_locations": {"countries": ["ES"]}})}, 1870227, "targeting"),
        ({"optimization_goal": "REACH"}, None, "optimization_goal"),
        ({"promoted_object": None}, 1815430, "promoted_object"),
        ({"daily_budget": "99"}, 1885272, "daily_budget"),
    ],
)
def test_lead_ad_set_rules(sandbox: Graph, state: SandboxState, changes: dict, subcode: int | None, blame: str) -> None:
    account, campaign = state.seed.ad_accounts["EUR"], state.seed.campaigns["solar"]
    error = error_of(sandbox.post(f"{account}/adsets", **adset_params(state, campaign, **changes)))
    assert error["code"] == 100 and error.get("error_subcode") == subcode and error["error_user_title"]
    assert error["error_data"]["blame_field_specs"] == [[blame]]


def test_advantage_audience_not_required_before_v23(sandbox: Graph, state: SandboxState) -> None:
    sandbox.version = "v22.0"
    params = adset_params(state, state.seed.campaigns["solar"], targeting=json.dumps({"geo_locations": {"countries": ["ES"]}}))
    assert "id" in sandbox.post(f"{state.seed.ad_accounts['EUR']}/adsets", **params).json()


def creative(state: SandboxState, form: str, page: int = 0) -> str:
    story = {
        "page_id": state.seed.page_ids[page],
        "link_data": {
            "link": "https://fb.me/",
            "message": "Get a quote",
            "call_to_action": {"type": "SIGN_UP", "value": {"lead_gen_form_id": form}},
        },
    }
    return json.dumps({"object_story_spec": story})


def test_lead_ad_creative_rules(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    adset = sandbox.post(f"{account}/adsets", **adset_params(state, state.seed.campaigns["solar"])).json()["id"]
    ad = {"name": "Ad", "adset_id": adset, "status": "PAUSED"}
    forms = state.seed.forms
    wrong_page = error_of(sandbox.post(f"{account}/ads", **ad, creative=creative(state, forms["choice"])))
    assert wrong_page["error_user_title"] == "Invalid Lead Form"  # the choice form is on the other Page
    archived = error_of(sandbox.post(f"{account}/ads", **ad, creative=creative(state, forms["archived"])))
    assert archived["error_user_title"] == "Lead Form Not Active"
    other_page = error_of(sandbox.post(f"{account}/ads", **ad, creative=creative(state, forms["custom"], page=1)))
    assert other_page["error_subcode"] == 1885029
    no_form = json.dumps({"object_story_spec": {"page_id": state.seed.page_ids[0], "link_data": {"link": "https://a.b/"}}})
    assert error_of(sandbox.post(f"{account}/ads", **ad, creative=no_form))["error_user_title"] == "Lead Form Required"
    before = len(state.store.by_kind["creative"])
    checked = sandbox.post(
        f"{account}/ads", **ad, creative=creative(state, forms["standard"]), execution_options='["validate_only"]'
    )
    assert checked.json() == {"success": True} and len(state.store.by_kind["creative"]) == before
    made = sandbox.post(f"{account}/ads", **ad, creative=creative(state, forms["standard"])).json()
    assert sandbox.get(made["id"], fields="effective_status").json()["effective_status"] == "PAUSED"
