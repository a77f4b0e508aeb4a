"""Ad accounts, campaigns, ad sets and ads (§4, §5): money, visibility and create rules."""

from __future__ import annotations

import json
import typing as t

import pytest

from metaads.sandbox import SandboxState
from tests.metaads.sandbox.conftest import Graph, error_of

CAMPAIGN = {
    "name": "New",
    "objective": "OUTCOME_LEADS",
    "status": "PAUSED",
    "special_ad_categories": "[]",
    "is_adset_budget_sharing_enabled": "false",
}


def campaign(sandbox: Graph, account: str, **changes: t.Any) -> t.Any:
    params = {k: v for k, v in {**CAMPAIGN, **changes}.items() if v is not None}
    return sandbox.post(f"{account}/campaigns", **params)


def test_account_node_money_and_currency(sandbox: Graph, state: SandboxState) -> None:
    fields = "name,currency,amount_spent,spend_cap,balance,account_status,timezone_name,business_name,min_daily_budget"
    jpy = sandbox.get(state.seed.ad_accounts["JPY"], fields=fields).json()
    assert jpy["currency"] == "JPY" and jpy["amount_spent"] == "987654" and jpy["balance"] == "12000"
    assert jpy["timezone_name"] == "Asia/Tokyo" and jpy["business_name"] == "Acme Sandbox S.L."
    default = sandbox.get(state.seed.ad_accounts["EUR"]).json()
    assert set(default) == {"id", "account_id"}  # only default fields without fields=


@pytest.mark.parametrize("currency, written, read", [("EUR", "23.50", "2350"), ("JPY", "2350", "2350")])
def test_spend_cap_written_major_read_minor(sandbox: Graph, state: SandboxState, currency: str, written: str, read: str) -> None:
    account = state.seed.ad_accounts[currency]
    assert sandbox.post(account, spend_cap=written).json() == {"success": True}
    assert sandbox.get(account, fields="spend_cap").json()["spend_cap"] == read


@pytest.mark.parametrize(
    "changes, subcode, blame",
    [
        ({"special_ad_categories": None}, None, "special_ad_categories"),
        ({"objective": "LEAD_GENERATION"}, None, "objective"),
        ({"is_adset_budget_sharing_enabled": None}, 4834011, "is_adset_budget_sharing_enabled"),
        ({"daily_budget": "50"}, 1885272, "daily_budget"),
        ({"daily_budget": "5000", "lifetime_budget": "90000"}, None, "daily_budget"),
        ({"status": "LIVE"}, None, "status"),
    ],
)
def test_campaign_create_refusals(sandbox: Graph, state: SandboxState, changes: dict, subcode: int | None, blame: str) -> None:
    error = error_of(campaign(sandbox, state.seed.ad_accounts["EUR"], **changes))
    assert error["code"] == 100 and error.get("error_subcode") == subcode
    assert error["error_data"]["blame_field_specs"] == [[blame]]


def test_budget_sharing_flag_only_from_v24(sandbox: Graph, state: SandboxState) -> None:
    sandbox.version = "v23.0"
    assert "id" in campaign(sandbox, state.seed.ad_accounts["EUR"], is_adset_budget_sharing_enabled=None).json()


def test_create_with_read_after_write_and_validate_only(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    created = campaign(
        sandbox,
        account,
        daily_budget="2000",
        is_adset_budget_sharing_enabled=None,
        fields="id,name,daily_budget,effective_status",
    ).json()
    assert created["daily_budget"] == "2000" and created["effective_status"] == "PAUSED"
    before = len(state.store.by_kind["campaign"])
    assert campaign(sandbox, account, execution_options='["validate_only"]').json() == {"success": True}
    assert len(state.store.by_kind["campaign"]) == before


def test_full_lead_ad_chain(sandbox: Graph, state: SandboxState) -> None:
    account, page = state.seed.ad_accounts["EUR"], state.seed.page_ids[0]
    camp = campaign(sandbox, account, daily_budget="3000", is_adset_budget_sharing_enabled=None).json()["id"]
    adset_params = {
        "name": "Set",
        "campaign_id": camp,
        "billing_event": "IMPRESSIONS",
        "optimization_goal": "LEAD_GENERATION",
        "destination_type": "ON_AD",
        "targeting": json.dumps({"geo_locations": {"countries": ["ES"]}, "targeting_automation": {"advantage_audience": 0}}),
        "status": "PAUSED",
    }
    both = error_of(
        sandbox.post(f"{account}/adsets", **adset_params, daily_budget="1000", promoted_object=json.dumps({"page_id": page}))
    )
    assert both["error_subcode"] == 1885621 and both["error_user_title"]
    no_page = error_of(sandbox.post(f"{account}/adsets", **adset_params))
    assert no_page["error_subcode"] == 1815430
    adset = sandbox.post(f"{account}/adsets", **adset_params, promoted_object=json.dumps({"page_id": page}))
    creative = {
        "object_story_spec": {
            "page_id": page,
            "link_data": {
                "link": "https://a.example",
                "call_to_action": {"type": "SIGN_UP", "value": {"lead_gen_form_id": state.seed.forms["standard"]}},
            },
        }
    }
    ad = sandbox.post(
        f"{account}/ads", name="Ad", adset_id=adset.json()["id"], creative=json.dumps(creative), status="ACTIVE"
    ).json()
    read = sandbox.get(ad["id"], fields="effective_status,adset{id,effective_status},campaign{objective},creative{id}")
    body = read.json()
    assert body["effective_status"] == "CAMPAIGN_PAUSED" and body["adset"]["effective_status"] == "PAUSED"
    assert body["campaign"]["objective"] == "OUTCOME_LEADS" and body["creative"]["id"].isdigit()
    lead = state.create_lead(state.seed.forms["standard"], ad=ad["id"])
    assert lead["campaign_id"] == camp


def test_effective_status_inherits_and_edges_hide(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    adsets = sandbox.get(f"{account}/adsets", fields="id,effective_status", limit=50).json()["data"]
    statuses = {row["id"]: row["effective_status"] for row in adsets}
    assert statuses[state.seed.adsets["blog_readers"]] == "CAMPAIGN_PAUSED"
    assert state.seed.adsets["summer_all"] not in statuses and state.seed.adsets["old_all"] not in statuses
    ads = sandbox.get(f"{account}/ads", fields="effective_status", effective_status='["ADSET_PAUSED"]').json()
    assert [row["id"] for row in ads["data"]] == [state.seed.ads["solar_bcn_static"]]
    refused = sandbox.get(f"{account}/campaigns", effective_status='["DELETED"]')
    assert error_of(refused)["code"] == 100
    assert sandbox.get(state.seed.campaigns["old"], fields="status").json()["status"] == "DELETED"


def test_update_delete_and_archived_rules(sandbox: Graph, state: SandboxState) -> None:
    camp = state.seed.campaigns["brand"]
    assert sandbox.post(camp, status="PAUSED", name="Brand paused").json() == {"success": True}
    assert sandbox.get(camp, fields="name,status").json() == {"name": "Brand paused", "status": "PAUSED", "id": camp}
    archived = state.seed.ads["summer_form"]
    error = error_of(sandbox.post(archived, status="ACTIVE"))
    assert error["error_subcode"] == 1885088
    assert sandbox.post(archived, name="renamed").json() == {"success": True}
    assert sandbox.delete(camp).json() == {"success": True}
    assert sandbox.get(camp, fields="effective_status").json()["effective_status"] == "DELETED"
    adset = state.seed.adsets["brand_es"]
    assert sandbox.get(adset, fields="effective_status").json()["effective_status"] == "DELETED"
    cbo = error_of(sandbox.post(state.seed.adsets["kitchens_es"], daily_budget="5000"))
    assert cbo["error_subcode"] == 1885621


def test_fields_syntax_and_unknown_fields(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    body = sandbox.get(account, fields="campaigns.limit(1){name,adsets{name}}").json()
    assert len(body["campaigns"]["data"]) == 1 and "next" in body["campaigns"]["paging"]
    unknown = error_of(sandbox.get(account, fields="id,bogus"))
    assert unknown["code"] == 100 and "(bogus)" in unknown["message"]
    assert error_of(sandbox.get(account, fields="id,{name"))["code"] == 2500
    assert error_of(sandbox.get(f"{account}/nonsense"))["code"] == 2500
    assert error_of(sandbox.get("12345"))["error_subcode"] == 33
