"""Writes to Meta's campaigns, ad sets and ads through the admin routes, against the sandbox:
what we judge ourselves never reaches Meta (400), Meta's refusal is a 422 in Meta's words, a
dead token a 409 with nothing changed here, a double submit or a lost answer makes one object,
and every write is on the object's page."""

from __future__ import annotations

import typing as t

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metaads.connections import graph_service
from metaads.models import Ad, AdAccount, AdCampaign, AdSet, AdWrite, LeadForm, WriteStatus
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from plugins.socials.models import PlatformStatus, SocialPlatform

BASE = "/admin/meta-ads"


def forget_synced_ads() -> None:
    """Connecting syncs the sandbox's campaigns; these tests count only what they write."""
    for model in (Ad, AdSet, AdCampaign):
        db.session.execute(sa.delete(model))
    db.session.commit()


@pytest.fixture
def account(app: Flask, connected: int, graph: SandboxState) -> AdAccount:
    """The connected EUR ad account (Meta's minimum daily budget there: 100 = 1.00 EUR)."""
    meta_id = graph.seed.ad_accounts["EUR"]
    row = db.session.execute(sa.select(AdAccount).where(AdAccount.meta_account_id == meta_id)).scalar_one()
    forget_synced_ads()
    graph.clear_calls()
    return row


def campaign_body(account: AdAccount, **changes: t.Any) -> dict[str, t.Any]:
    return {"ad_account_id": account.id, "name": "Leads – Winter", "objective": "OUTCOME_LEADS", **changes}


def posts(graph: SandboxState, path_end: str = "") -> list[dict[str, t.Any]]:
    return [c for c in graph.calls if c["method"] == "POST" and c["path"].endswith(path_end)]


def meta_campaigns(graph: SandboxState, account: AdAccount, name: str) -> list[dict[str, t.Any]]:
    return [c for c in graph.store.children_of(account.meta_account_id, "campaign") if c["name"] == name]


def create_campaign(client: FlaskClient, headers: dict[str, str], account: AdAccount, **changes: t.Any) -> dict[str, t.Any]:
    response = client.post(f"{BASE}/campaigns", json=campaign_body(account, **changes), headers=headers)
    assert response.status_code == 201, response.get_json()
    return t.cast(dict[str, t.Any], response.get_json()["campaign"])


# -- creating, as Meta's current rules want it ---------------------------------------------------


def test_a_campaign_is_created_at_meta_and_listed_here_at_once(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    campaign = create_campaign(client, api_headers, account)

    assert campaign["meta_campaign_id"] and campaign["status"] == "PAUSED" and campaign["currency"] == "EUR"
    assert campaign["daily_budget"] is None and campaign["ad_account_id"] == account.id
    sent = posts(graph, "/campaigns")[0]["params"]
    assert sent["special_ad_categories"] == "[]" and sent["is_adset_budget_sharing_enabled"] == "false"
    listed = client.get(f"{BASE}/campaigns", headers=api_headers).get_json()
    assert [c["id"] for c in listed["campaigns"]] == [campaign["id"]] and listed["count"] == 1
    detail = client.get(f"{BASE}/campaigns/{campaign['id']}", headers=api_headers).get_json()
    assert [(w["action"], w["status"]) for w in detail["writes"]] == [("create", "done")]


def test_list_filters_and_paging(client: FlaskClient, api_headers: dict[str, str], account: AdAccount) -> None:
    create_campaign(client, api_headers, account, name="Leads – Spring")
    create_campaign(client, api_headers, account, name="Traffic – Blog", objective="OUTCOME_TRAFFIC", daily_budget=1000)

    def names(query: str) -> list[str]:
        return [c["name"] for c in client.get(f"{BASE}/campaigns?{query}", headers=api_headers).get_json()["campaigns"]]

    assert names("objective=OUTCOME_TRAFFIC") == ["Traffic – Blog"]
    assert names("q=SPRING") == ["Leads – Spring"]
    assert names(f"ad_account_id={account.id}&status=PAUSED&limit=1&offset=1") == ["Traffic – Blog"]
    assert client.get(f"{BASE}/campaigns?ad_account_id=x", headers=api_headers).status_code == 400


BAD_CAMPAIGNS: list[tuple[str, dict[str, t.Any], str]] = [
    ("empty name", {"name": ""}, "name"),
    ("blank name", {"name": "   "}, "name"),
    ("400-character name", {"name": "x" * 400}, "name"),
    ("negative budget", {"daily_budget": -500}, "daily_budget"),
    ("negative budget from a form", {"daily_budget": "-500"}, "daily_budget"),
    ("fractional budget", {"daily_budget": 12.5}, "daily_budget"),
    ("decimal string budget", {"lifetime_budget": "12.50"}, "lifetime_budget"),
    ("absurd budget", {"daily_budget": 10**15}, "daily_budget"),
    ("zero budget", {"daily_budget": 0}, "daily_budget"),
    ("boolean budget", {"daily_budget": True}, "daily_budget"),
    ("both budgets", {"daily_budget": 1000, "lifetime_budget": 50000}, "lifetime_budget"),
    ("legacy objective", {"objective": "LEAD_GENERATION"}, "objective"),
    ("unknown objective", {"objective": "OUTCOME_FAME"}, "objective"),
    ("unknown status", {"status": "RUNNING"}, "status"),
    ("unknown bid strategy", {"bid_strategy": "CHEAPEST"}, "bid_strategy"),
    ("unknown special category", {"special_ad_categories": ["DATING"]}, "special_ad_categories"),
    ("stop before start", {"start_time": "2026-12-10T00:00:00Z", "stop_time": "2026-12-01T00:00:00Z"}, "stop_time"),
    ("bad time", {"start_time": "next tuesday"}, "start_time"),
    ("unknown field", {"budget": 1000}, "budget"),
    ("no such account", {"ad_account_id": 999999}, "ad_account_id"),
]


@pytest.mark.parametrize(("case", "changes", "field"), BAD_CAMPAIGNS, ids=[c[0] for c in BAD_CAMPAIGNS])
def test_bad_campaigns_are_refused_here_without_calling_meta(
    client: FlaskClient,
    api_headers: dict[str, str],
    account: AdAccount,
    graph: SandboxState,
    case: str,
    changes: dict[str, t.Any],
    field: str,
) -> None:
    response = client.post(f"{BASE}/campaigns", json=campaign_body(account, **changes), headers=api_headers)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]["fields"]
    assert graph.calls == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdWrite)) == 0


BAD_AD_SETS: list[tuple[str, dict[str, t.Any], str]] = [
    ("targeting not an object", {"targeting": ["ES"]}, "targeting"),
    ("targeting text that is not JSON", {"targeting": "{countries: ES}"}, "targeting"),
    ("targeting without geo_locations", {"targeting": {"age_min": 18}}, "targeting"),
    ("ages out of range", {"targeting": {"geo_locations": {"countries": ["ES"]}, "age_min": 9}}, "targeting"),
    (
        "ages in the wrong order",
        {"targeting": {"geo_locations": {"countries": ["ES"]}, "age_min": 50, "age_max": 20}},
        "targeting",
    ),
    (
        "advantage audience not 0 or 1",
        {"targeting": {"geo_locations": {"countries": ["ES"]}, "targeting_automation": {"advantage_audience": 2}}},
        "targeting",
    ),
    ("unknown optimisation goal", {"optimization_goal": "MOST_LEADS"}, "optimization_goal"),
    ("unknown billing event", {"billing_event": "PER_LEAD"}, "billing_event"),
    ("lead goal that is not a lead goal", {"optimization_goal": "REACH"}, "optimization_goal"),
    ("no promoted page", {"promoted_object": None}, "promoted_object"),
    ("end before start", {"start_time": "2026-12-10T00:00:00Z", "end_time": "2026-12-09T00:00:00Z"}, "end_time"),
    ("lifetime budget without end", {"daily_budget": None, "lifetime_budget": 50000}, "end_time"),
    ("no budget anywhere", {"daily_budget": None}, "daily_budget"),
    ("fractional bid", {"bid_amount": 1.5}, "bid_amount"),
    ("cost cap without bid", {"bid_strategy": "COST_CAP"}, "bid_amount"),
]


def ad_set_body(campaign: dict[str, t.Any], graph: SandboxState, **changes: t.Any) -> dict[str, t.Any]:
    body = {
        "campaign_id": campaign["id"],
        "name": "Spain 25-55",
        "billing_event": "IMPRESSIONS",
        "daily_budget": 2500,
        "promoted_object": {"page_id": graph.seed.page_ids[0]},
        "targeting": {"geo_locations": {"countries": ["ES"]}, "age_min": 25, "age_max": 55},
        **changes,
    }
    return {key: value for key, value in body.items() if value is not None}


@pytest.mark.parametrize(("case", "changes", "field"), BAD_AD_SETS, ids=[c[0] for c in BAD_AD_SETS])
def test_bad_ad_sets_are_refused_here_without_calling_meta(
    client: FlaskClient,
    api_headers: dict[str, str],
    account: AdAccount,
    graph: SandboxState,
    case: str,
    changes: dict[str, t.Any],
    field: str,
) -> None:
    campaign = create_campaign(client, api_headers, account)
    graph.clear_calls()

    response = client.post(f"{BASE}/adsets", json=ad_set_body(campaign, graph, **changes), headers=api_headers)

    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["details"]["fields"]
    assert graph.calls == []


def test_a_lead_ad_set_and_a_lead_ad_follow_metas_current_rules(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    campaign = create_campaign(client, api_headers, account)
    response = client.post(f"{BASE}/adsets", json=ad_set_body(campaign, graph), headers=api_headers)
    assert response.status_code == 201, response.get_json()
    ad_set = response.get_json()["adset"]

    sent = posts(graph, "/adsets")[0]["params"]
    assert sent["destination_type"] == "ON_AD" and sent["optimization_goal"] == "LEAD_GENERATION"
    assert '"advantage_audience": 0' in sent["targeting"] or '"advantage_audience":0' in sent["targeting"]
    assert ad_set["campaign_id"] == campaign["id"] and ad_set["daily_budget"] == 2500 and ad_set["currency"] == "EUR"

    form = db.session.execute(sa.select(LeadForm).where(LeadForm.meta_form_id == graph.seed.forms["standard"])).scalar_one()
    body = {
        "ad_set_id": ad_set["id"],
        "name": "Kitchens – static",
        "creative": {"lead_form_id": form.id, "message": "Get a quote"},
    }
    response = client.post(f"{BASE}/ads", json=body, headers=api_headers)
    assert response.status_code == 201, response.get_json()
    ad = response.get_json()["ad"]
    meta_ad = graph.store.get(ad["meta_ad_id"], "ad")
    assert meta_ad is not None and meta_ad["form_id"] == form.meta_form_id
    assert ad["ad_set_id"] == ad_set["id"] and ad["campaign_id"] == campaign["id"] and ad["creative_id"]

    listed = client.get(f"{BASE}/ads?campaign_id={campaign['id']}", headers=api_headers).get_json()
    assert [a["id"] for a in listed["ads"]] == [ad["id"]]
    assert client.get(f"{BASE}/adsets?campaign_id={campaign['id']}", headers=api_headers).get_json()["count"] == 1


def test_an_unknown_lead_form_is_refused_here(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    campaign = create_campaign(client, api_headers, account)
    ad_set = client.post(f"{BASE}/adsets", json=ad_set_body(campaign, graph), headers=api_headers).get_json()["adset"]
    graph.clear_calls()

    body = {"ad_set_id": ad_set["id"], "name": "Ad", "creative": {"lead_form_id": 987654, "message": "Hi"}}
    response = client.post(f"{BASE}/ads", json=body, headers=api_headers)

    assert response.status_code == 400 and "creative" in response.get_json()["error"]["details"]["fields"]
    assert graph.calls == []


# -- Meta's refusals, checks, dead tokens --------------------------------------------------------


def test_metas_refusal_is_a_422_in_metas_words_and_nothing_is_stored(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    response = client.post(f"{BASE}/campaigns", json=campaign_body(account, daily_budget=50), headers=api_headers)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "meta_refused" and error["message"] == "The minimum budget is 1 EUR."
    assert error["details"]["meta"] == {
        "code": 100,
        "error_subcode": 1885272,
        "error_user_title": "Your Budget Is Too Low",
        "error_user_msg": "The minimum budget is 1 EUR.",
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdCampaign)) == 0
    write = db.session.execute(sa.select(AdWrite)).scalar_one()
    assert write.status == WriteStatus.REFUSED and write.meta["error_subcode"] == 1885272


def test_check_with_meta_creates_nothing(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    ok = client.post(f"{BASE}/campaigns", json={**campaign_body(account), "validate_only": True}, headers=api_headers)
    refused = client.post(
        f"{BASE}/campaigns", json={**campaign_body(account, daily_budget=50), "validate_only": True}, headers=api_headers
    )

    assert ok.status_code == 200 and ok.get_json()["valid"] is True
    assert refused.status_code == 422 and refused.get_json()["error"]["details"]["meta"]["error_subcode"] == 1885272
    assert all('"validate_only"' in c["params"]["execution_options"] for c in posts(graph, "/campaigns"))
    assert meta_campaigns(graph, account, "Leads – Winter") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdCampaign)) == 0


def test_a_token_revoked_during_a_write_is_a_409_and_nothing_changes_here(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState, connected: int
) -> None:
    campaign = create_campaign(client, api_headers, account, daily_budget=1000)
    graph.revoke_token(graph.user_token)

    update = client.patch(f"{BASE}/campaigns/{campaign['id']}", json={"daily_budget": 2000}, headers=api_headers)
    created = client.post(f"{BASE}/campaigns", json=campaign_body(account, name="Another"), headers=api_headers)

    assert update.status_code == 409 and update.get_json()["error"]["code"] == "needs_reauth"
    assert created.status_code == 409 and created.get_json()["error"]["code"] == "needs_reauth"
    db.session.expire_all()
    assert db.session.get(SocialPlatform, connected).status == PlatformStatus.NEEDS_REAUTH
    assert db.session.get(AdCampaign, campaign["id"]).daily_budget == 1000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdCampaign)) == 1


# -- never twice ---------------------------------------------------------------------------------


def test_a_double_submitted_create_makes_one_campaign(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    headers = {**api_headers, "Idempotency-Key": "form-nonce-1"}
    first = client.post(f"{BASE}/campaigns", json=campaign_body(account), headers=headers)
    second = client.post(f"{BASE}/campaigns", json=campaign_body(account), headers=headers)

    assert first.status_code == second.status_code == 201
    assert first.get_json()["campaign"]["id"] == second.get_json()["campaign"]["id"]
    assert len(meta_campaigns(graph, account, "Leads – Winter")) == 1
    assert len(posts(graph, "/campaigns")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdCampaign)) == 1


def test_a_submit_while_the_first_is_still_running_is_a_409(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    db.session.add(AdWrite(object_type="campaign", action="create", status=WriteStatus.PENDING, idempotency_key="k-2"))
    db.session.commit()

    response = client.post(f"{BASE}/campaigns", json=campaign_body(account), headers={**api_headers, "Idempotency-Key": "k-2"})

    assert response.status_code == 409 and response.get_json()["error"]["code"] == "write_in_progress"
    assert graph.calls == []


def lose_answers(app: Flask, monkeypatch: pytest.MonkeyPatch, *, send: bool, path_end: str = "/campaigns") -> None:
    """Make the app's POSTs to ``path_end`` time out after (``send``) or before reaching Meta."""
    with app.app_context():
        session = graph_service().client._session
    real = session.request

    def request(method: str, url: str, **kwargs: t.Any) -> requests.Response:
        if method == "POST" and url.endswith(path_end):
            if send:
                real(method, url, **kwargs)
            raise requests.ReadTimeout("read timed out")
        return real(method, url, **kwargs)

    monkeypatch.setattr(session, "request", request)


def test_a_create_whose_answer_was_lost_is_found_by_reading_back(
    app: Flask,
    client: FlaskClient,
    api_headers: dict[str, str],
    account: AdAccount,
    graph: SandboxState,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lose_answers(app, monkeypatch, send=True)

    response = client.post(f"{BASE}/campaigns", json=campaign_body(account), headers={**api_headers, "Idempotency-Key": "k-3"})

    assert response.status_code == 201, response.get_json()
    at_meta = meta_campaigns(graph, account, "Leads – Winter")
    assert len(at_meta) == 1 and response.get_json()["campaign"]["meta_campaign_id"] == at_meta[0]["id"]
    assert len(posts(graph, "/campaigns")) == 1  # read back, never sent again
    again = client.post(f"{BASE}/campaigns", json=campaign_body(account), headers={**api_headers, "Idempotency-Key": "k-3"})
    assert again.status_code == 201 and len(posts(graph, "/campaigns")) == 1


def test_a_lost_create_that_meta_does_not_show_is_not_sent_again(
    app: Flask,
    client: FlaskClient,
    api_headers: dict[str, str],
    account: AdAccount,
    graph: SandboxState,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lose_answers(app, monkeypatch, send=False)
    headers = {**api_headers, "Idempotency-Key": "k-4"}

    first = client.post(f"{BASE}/campaigns", json=campaign_body(account), headers=headers)
    second = client.post(f"{BASE}/campaigns", json=campaign_body(account), headers=headers)

    assert first.status_code == second.status_code == 502
    assert first.get_json()["error"]["code"] == "answer_lost"
    assert db.session.execute(sa.select(AdWrite.status)).scalar_one() == WriteStatus.UNKNOWN
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdCampaign)) == 0


def test_an_update_whose_answer_was_lost_is_read_back(
    app: Flask,
    client: FlaskClient,
    api_headers: dict[str, str],
    account: AdAccount,
    graph: SandboxState,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    campaign = create_campaign(client, api_headers, account, daily_budget=1000)
    lose_answers(app, monkeypatch, send=True, path_end=campaign["meta_campaign_id"])

    response = client.patch(f"{BASE}/campaigns/{campaign['id']}", json={"daily_budget": 1500}, headers=api_headers)

    assert response.status_code == 200 and response.get_json()["campaign"]["daily_budget"] == 1500


# -- changes, pause and resume, the audit trail ------------------------------------------------


def test_pause_resume_and_update_are_recorded_with_before_and_after(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState, admin: t.Any
) -> None:
    campaign = create_campaign(client, api_headers, account, daily_budget=1000)

    resumed = client.post(f"{BASE}/campaigns/{campaign['id']}/resume", headers=api_headers)
    assert resumed.status_code == 200 and resumed.get_json()["campaign"]["status"] == "ACTIVE"
    assert graph.store.get(campaign["meta_campaign_id"])["status"] == "ACTIVE"
    paused = client.post(f"{BASE}/campaigns/{campaign['id']}/pause", headers=api_headers)
    assert paused.status_code == 200 and paused.get_json()["campaign"]["status"] == "PAUSED"
    changed = client.patch(
        f"{BASE}/campaigns/{campaign['id']}", json={"name": "Leads – Winter 2", "daily_budget": 2000}, headers=api_headers
    )
    assert changed.status_code == 200 and changed.get_json()["campaign"]["daily_budget"] == 2000

    writes = client.get(f"{BASE}/campaigns/{campaign['id']}", headers=api_headers).get_json()["writes"]
    assert [w["action"] for w in writes] == ["update", "pause", "resume", "create"]
    assert all(w["status"] == "done" and w["actor_user_id"] == admin.id for w in writes)
    assert writes[0]["before"]["daily_budget"] == 1000 and writes[0]["after"]["daily_budget"] == 2000
    assert writes[0]["after"]["name"] == "Leads – Winter 2"
    assert client.patch(f"{BASE}/campaigns/{campaign['id']}", json={}, headers=api_headers).status_code == 400


def test_ad_sets_and_ads_pause_and_change(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    campaign = create_campaign(client, api_headers, account)
    ad_set = client.post(f"{BASE}/adsets", json=ad_set_body(campaign, graph, status="ACTIVE"), headers=api_headers).get_json()[
        "adset"
    ]

    paused = client.post(f"{BASE}/adsets/{ad_set['id']}/pause", headers=api_headers)
    changed = client.patch(f"{BASE}/adsets/{ad_set['id']}", json={"daily_budget": 3000}, headers=api_headers)
    refused = client.patch(f"{BASE}/adsets/{ad_set['id']}", json={"daily_budget": 10}, headers=api_headers)

    assert paused.get_json()["adset"]["status"] == "PAUSED"
    assert changed.status_code == 200 and changed.get_json()["adset"]["daily_budget"] == 3000
    assert refused.status_code == 422
    assert db.session.get(AdSet, ad_set["id"]).daily_budget == 3000


def test_unknown_ids_are_404(client: FlaskClient, api_headers: dict[str, str], account: AdAccount) -> None:
    for path in ("campaigns/999", "adsets/999", "ads/999"):
        assert client.get(f"{BASE}/{path}", headers=api_headers).status_code == 404
        assert client.post(f"{BASE}/{path}/pause", headers=api_headers).status_code == 404


# -- nothing a client sends is a 500 -------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
CAMPAIGN_FIELDS = [
    "name",
    "objective",
    "status",
    "daily_budget",
    "lifetime_budget",
    "special_ad_categories",
    "bid_strategy",
    "start_time",
    "stop_time",
    "validate_only",
]
AD_SET_FIELDS = [
    "name",
    "optimization_goal",
    "billing_event",
    "targeting",
    "daily_budget",
    "bid_amount",
    "promoted_object",
    "destination_type",
    "end_time",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(CAMPAIGN_FIELDS + AD_SET_FIELDS + ["creative"]), JSON_VALUES, max_size=4))
def test_no_body_is_a_500(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState, changes: dict[str, t.Any]
) -> None:
    for path, body in (
        ("campaigns", {**campaign_body(account), **changes}),
        ("adsets", {"campaign_id": 1, "name": "x", "billing_event": "IMPRESSIONS", "targeting": {}, **changes}),
        ("ads", {"ad_set_id": 1, "name": "x", **changes}),
    ):
        response = client.post(f"{BASE}/{path}", json=body, headers=api_headers)
        assert response.status_code in (200, 201, 400, 409, 422), (path, body, response.get_json())
        assert "error" in response.get_json() or response.status_code < 300
