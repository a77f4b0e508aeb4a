"""The "New lead ad" wizard's JSON twin against the sandbox: three objects made paused under
Meta's current rules; a step Meta refuses leaves what was made, and the same request again
goes on from that step without making anything twice; input we judge is a 400 with no Graph
call; a dead token is a 409 with nothing made here."""

from __future__ import annotations

import json
import typing as t

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from metaads.models import Ad, AdAccount, AdCampaign, AdSet, AdWrite, LeadForm, WriteStatus
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from plugins.socials.models import PlatformStatus, SocialPlatform

BASE = "/admin/meta-ads"


def forget_synced_ads() -> None:
    """Connecting syncs the sandbox's campaigns; these tests count only what the wizard makes."""
    for model in (Ad, AdSet, AdCampaign):
        db.session.execute(sa.delete(model))
    db.session.commit()


@pytest.fixture
def account(connected: int, graph: SandboxState) -> AdAccount:
    """The connected EUR ad account (Meta's minimum daily budget there: 1.00 EUR)."""
    forget_synced_ads()
    graph.clear_calls()
    meta_id = graph.seed.ad_accounts["EUR"]
    return db.session.execute(sa.select(AdAccount).where(AdAccount.meta_account_id == meta_id)).scalar_one()


@pytest.fixture
def form(account: AdAccount, graph: SandboxState) -> LeadForm:
    meta_id = graph.seed.forms["standard"]
    return db.session.execute(sa.select(LeadForm).where(LeadForm.meta_form_id == meta_id)).scalar_one()


def body(account: AdAccount, form: LeadForm, **changes: t.Any) -> dict[str, t.Any]:
    values = {
        "ad_account_id": account.id,
        "lead_form_id": form.id,
        "name": "Kitchens – Winter",
        "daily_budget_amount": "25.50",
        "countries": ["ES", "PT"],
        "age_min": 25,
        "age_max": 55,
        "headline": "Your new kitchen",
        "message": "Get a free quote in two minutes.",
        "call_to_action": "GET_QUOTE",
        **changes,
    }
    return {key: value for key, value in values.items() if value is not None}


def posts(graph: SandboxState, path_end: str) -> list[dict[str, t.Any]]:
    return [c for c in graph.calls if c["method"] == "POST" and c["path"].endswith(path_end)]


def at_meta(graph: SandboxState, account: AdAccount, kind: str, name_start: str) -> list[dict[str, t.Any]]:
    children = graph.store.children_of(account.meta_account_id, kind)
    return [c for c in children if str(c["name"]).startswith(name_start)]


def count(model: type[t.Any]) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


# -- made as Meta's current rules want it --------------------------------------------------------


def test_a_lead_ad_is_made_paused_in_one_go(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, form: LeadForm, graph: SandboxState
) -> None:
    response = client.post(f"{BASE}/lead-ads", json=body(account, form), headers=api_headers)

    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert [(s["step"], s["status"]) for s in answer["steps"]] == [
        ("campaign", "created"),
        ("adset", "created"),
        ("ad", "created"),
    ]
    assert answer["campaign"]["objective"] == "OUTCOME_LEADS" and answer["campaign"]["daily_budget"] is None
    assert answer["adset"]["daily_budget"] == 2550 and answer["adset"]["currency"] == "EUR"
    assert answer["ad"]["lead_gen_form_id"] == form.meta_form_id and answer["idempotency_key"]

    campaign = posts(graph, "/campaigns")[0]["params"]
    assert campaign["objective"] == "OUTCOME_LEADS" and campaign["status"] == "PAUSED"
    assert campaign["special_ad_categories"] == "[]" and campaign["is_adset_budget_sharing_enabled"] == "false"
    ad_set = posts(graph, "/adsets")[0]["params"]
    assert ad_set["destination_type"] == "ON_AD" and ad_set["optimization_goal"] == "LEAD_GENERATION"
    assert ad_set["billing_event"] == "IMPRESSIONS" and ad_set["status"] == "PAUSED" and ad_set["daily_budget"] == "2550"
    assert json.loads(ad_set["promoted_object"]) == {"page_id": form.page_id}
    assert json.loads(ad_set["targeting"]) == {
        "geo_locations": {"countries": ["ES", "PT"]},
        "age_min": 25,
        "age_max": 55,
        "targeting_automation": {"advantage_audience": 0},
    }
    ad = posts(graph, "/ads")[0]["params"]
    story = json.loads(ad["creative"])["object_story_spec"]
    assert ad["status"] == "PAUSED" and story["page_id"] == form.page_id
    assert story["link_data"]["call_to_action"] == {"type": "GET_QUOTE", "value": {"lead_gen_form_id": form.meta_form_id}}
    assert story["link_data"]["name"] == "Your new kitchen" and story["link_data"]["link"] == "https://fb.me/"

    made = [o["status"] for kind in ("campaign", "adset", "ad") for o in at_meta(graph, account, kind, "Kitchens – Winter")]
    assert made == ["PAUSED", "PAUSED", "PAUSED"]
    writes = db.session.execute(sa.select(AdWrite.object_type, AdWrite.status).order_by(AdWrite.id)).all()
    assert writes == [("campaign", WriteStatus.DONE), ("adset", WriteStatus.DONE), ("ad", WriteStatus.DONE)]
    ad_row = db.session.get(Ad, answer["ad"]["id"])
    assert ad_row is not None and ad_row.ad_set.campaign_id == answer["campaign"]["id"]


def test_a_budget_in_minor_units_and_a_yen_account(
    client: FlaskClient, api_headers: dict[str, str], connected: int, form: LeadForm, graph: SandboxState
) -> None:
    yen = db.session.execute(sa.select(AdAccount).where(AdAccount.meta_account_id == graph.seed.ad_accounts["JPY"])).scalar_one()
    fraction = client.post(f"{BASE}/lead-ads", json=body(yen, form, daily_budget_amount="1500.5"), headers=api_headers)
    whole = client.post(
        f"{BASE}/lead-ads", json=body(yen, form, daily_budget_amount=None, daily_budget=1500), headers=api_headers
    )

    assert fraction.status_code == 400
    assert "daily_budget_amount" in fraction.get_json()["error"]["details"]["fields"]
    assert whole.status_code == 201, whole.get_json()
    assert whole.get_json()["adset"]["daily_budget"] == 1500 and whole.get_json()["adset"]["currency"] == "JPY"


# -- a step Meta refuses, and the retry --------------------------------------------------------------


def test_a_refused_ad_set_keeps_the_campaign_and_a_retry_goes_on_from_the_ad_set(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, form: LeadForm, graph: SandboxState
) -> None:
    headers = {**api_headers, "Idempotency-Key": "wizard-1"}
    refused = client.post(f"{BASE}/lead-ads", json=body(account, form, daily_budget_amount="0.50"), headers=headers)

    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "meta_refused" and error["message"] == "The minimum budget is 1 EUR."
    assert error["details"]["step"] == "adset" and error["details"]["idempotency_key"] == "wizard-1"
    assert error["details"]["meta"]["error_user_title"] == "Your Budget Is Too Low"
    assert [(s["step"], s["status"]) for s in error["details"]["steps"]] == [
        ("campaign", "created"),
        ("adset", "failed"),
        ("ad", "not_started"),
    ]
    campaign_id = error["details"]["steps"][0]["id"]
    assert count(AdCampaign) == 1 and count(AdSet) == 0

    retried = client.post(f"{BASE}/lead-ads", json=body(account, form, daily_budget_amount="30"), headers=headers)

    assert retried.status_code == 201, retried.get_json()
    answer = retried.get_json()
    assert [s["status"] for s in answer["steps"]] == ["existing", "created", "created"]
    assert answer["campaign"]["id"] == campaign_id and answer["adset"]["daily_budget"] == 3000
    assert len(posts(graph, "/campaigns")) == 1
    assert len(at_meta(graph, account, "campaign", "Kitchens – Winter")) == 1
    assert count(AdCampaign) == 1 and count(AdSet) == 1 and count(Ad) == 1


def test_a_refused_ad_keeps_campaign_and_ad_set_and_a_retry_makes_only_the_ad(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, form: LeadForm, graph: SandboxState
) -> None:
    graph.store.objects[form.meta_form_id]["status"] = "ARCHIVED"  # archived at Meta, not synced here yet
    headers = {**api_headers, "Idempotency-Key": "wizard-2"}

    refused = client.post(f"{BASE}/lead-ads", json=body(account, form), headers=headers)

    assert refused.status_code == 422
    details = refused.get_json()["error"]["details"]
    assert details["step"] == "ad" and details["field"] == "object_story_spec"
    assert details["meta"]["error_user_title"] == "Lead Form Not Active"
    assert [s["status"] for s in details["steps"]] == ["created", "created", "failed"]
    assert db.session.execute(sa.select(AdWrite.status).where(AdWrite.object_type == "ad")).scalar_one() == WriteStatus.REFUSED

    graph.store.objects[form.meta_form_id]["status"] = "ACTIVE"
    retried = client.post(f"{BASE}/lead-ads", json=body(account, form), headers=headers)
    again = client.post(f"{BASE}/lead-ads", json=body(account, form), headers=headers)

    assert retried.status_code == 201 and [s["status"] for s in retried.get_json()["steps"]] == [
        "existing",
        "existing",
        "created",
    ]
    assert again.status_code == 201 and [s["status"] for s in again.get_json()["steps"]] == ["existing"] * 3
    assert again.get_json()["ad"]["id"] == retried.get_json()["ad"]["id"]
    assert (len(posts(graph, "/campaigns")), len(posts(graph, "/adsets")), len(posts(graph, "/ads"))) == (1, 1, 2)
    for kind in ("campaign", "adset", "ad"):
        assert len(at_meta(graph, account, kind, "Kitchens – Winter")) == 1, kind
    assert (count(AdCampaign), count(AdSet), count(Ad)) == (1, 1, 1)


def test_a_retry_may_not_move_the_campaign_to_another_account(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, form: LeadForm, graph: SandboxState
) -> None:
    headers = {**api_headers, "Idempotency-Key": "wizard-3"}
    client.post(f"{BASE}/lead-ads", json=body(account, form, daily_budget_amount="0.10"), headers=headers)
    yen = db.session.execute(sa.select(AdAccount).where(AdAccount.meta_account_id == graph.seed.ad_accounts["JPY"])).scalar_one()
    graph.clear_calls()

    moved = client.post(f"{BASE}/lead-ads", json=body(yen, form, daily_budget_amount="3000"), headers=headers)

    assert moved.status_code == 400 and "ad_account_id" in moved.get_json()["error"]["details"]["fields"]
    assert graph.calls == []


# -- input we judge: 400, and Meta is never called --------------------------------------------------

BAD_INPUTS: list[tuple[str, dict[str, t.Any], str]] = [
    ("no name", {"name": None}, "name"),
    ("blank name", {"name": "   "}, "name"),
    ("201-character name", {"name": "x" * 201}, "name"),
    ("no budget", {"daily_budget_amount": None}, "daily_budget_amount"),
    ("negative amount", {"daily_budget_amount": "-5"}, "daily_budget_amount"),
    ("zero amount", {"daily_budget_amount": "0"}, "daily_budget_amount"),
    ("three decimals", {"daily_budget_amount": "10.005"}, "daily_budget_amount"),
    ("absurd amount", {"daily_budget_amount": "999999999999"}, "daily_budget_amount"),
    ("amount as a number", {"daily_budget_amount": 12.5}, "daily_budget_amount"),
    ("fractional minor units", {"daily_budget_amount": None, "daily_budget": 12.5}, "daily_budget"),
    ("negative minor units", {"daily_budget_amount": None, "daily_budget": -100}, "daily_budget"),
    ("both budgets", {"daily_budget": 2500}, "daily_budget_amount"),
    ("no countries", {"countries": []}, "countries"),
    ("unknown country", {"countries": ["Narnia"]}, "countries"),
    ("countries not a list", {"countries": {"ES": True}}, "countries"),
    ("a region code for a country", {"countries": ["EU"]}, "countries"),
    ("too young", {"age_min": 9}, "age_min"),
    ("too old", {"age_max": 99}, "age_max"),
    ("ages the wrong way round", {"age_min": 50, "age_max": 20}, "age_max"),
    ("fractional age", {"age_min": 18.5}, "age_min"),
    ("no text", {"message": "  "}, "message"),
    ("text too long", {"message": "x" * 5001}, "message"),
    ("headline too long", {"headline": "x" * 256}, "headline"),
    ("image not a URL", {"image_url": "kitchen.jpg"}, "image_url"),
    ("link not http", {"link": "javascript:alert(1)"}, "link"),
    ("unknown button", {"call_to_action": "BUY_NOW"}, "call_to_action"),
    ("unknown special category", {"special_ad_categories": ["DATING"]}, "special_ad_categories"),
    ("unknown field", {"objective": "OUTCOME_SALES"}, "objective"),
    ("no such account", {"ad_account_id": 999999}, "ad_account_id"),
    ("no such form", {"lead_form_id": 999999}, "lead_form_id"),
    ("account id not a number", {"ad_account_id": "act_1"}, "ad_account_id"),
]


@pytest.mark.parametrize(("case", "changes", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_a_400_and_meta_is_never_called(
    client: FlaskClient,
    api_headers: dict[str, str],
    account: AdAccount,
    form: LeadForm,
    graph: SandboxState,
    case: str,
    changes: dict[str, t.Any],
    field: str,
) -> None:
    response = client.post(f"{BASE}/lead-ads", json=body(account, form, **changes), headers=api_headers)

    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]["fields"], error
    assert graph.calls == []
    assert count(AdWrite) == 0


def test_an_archived_form_of_ours_is_refused_here(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    archived = db.session.execute(sa.select(LeadForm).where(LeadForm.meta_form_id == graph.seed.forms["archived"])).scalar_one()

    response = client.post(f"{BASE}/lead-ads", json=body(account, archived), headers=api_headers)

    assert response.status_code == 400 and "lead_form_id" in response.get_json()["error"]["details"]["fields"]
    assert graph.calls == []


def test_an_idempotency_key_too_long_for_the_steps_is_a_400(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, form: LeadForm, graph: SandboxState
) -> None:
    headers = {**api_headers, "Idempotency-Key": "k" * 201}
    response = client.post(f"{BASE}/lead-ads", json=body(account, form), headers=headers)

    assert response.status_code == 400 and graph.calls == []


# -- dead tokens ------------------------------------------------------------------------------------


def test_a_revoked_token_is_a_409_and_nothing_is_made_here(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, form: LeadForm, graph: SandboxState, connected: int
) -> None:
    graph.revoke_token(graph.user_token)

    response = client.post(f"{BASE}/lead-ads", json=body(account, form), headers=api_headers)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "needs_reauth" and error["details"]["step"] == "campaign"
    db.session.expire_all()
    assert db.session.get(SocialPlatform, connected).status == PlatformStatus.NEEDS_REAUTH
    assert (count(AdCampaign), count(AdSet), count(Ad)) == (0, 0, 0)
    assert db.session.scalar(sa.select(sa.func.count()).where(AdWrite.status == WriteStatus.DONE)) == 0

    again = client.post(f"{BASE}/lead-ads", json=body(account, form), headers=api_headers)
    assert again.status_code == 409 and "step" not in again.get_json()["error"]["details"]  # stopped before any step


def test_a_token_revoked_between_steps_keeps_the_campaign_and_makes_nothing_else(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, form: LeadForm, graph: SandboxState
) -> None:
    graph.add_fault(kind="token_revoked", path=r"/adsets$", method="POST")

    response = client.post(f"{BASE}/lead-ads", json=body(account, form), headers={**api_headers, "Idempotency-Key": "w-5"})

    assert response.status_code == 409
    details = response.get_json()["error"]["details"]
    assert [s["status"] for s in details["steps"]] == ["created", "failed", "not_started"]
    assert (count(AdCampaign), count(AdSet), count(Ad)) == (1, 0, 0)


# -- "Check with Meta" --------------------------------------------------------------------------------


def test_check_with_meta_asks_about_every_step_and_makes_nothing(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, form: LeadForm, graph: SandboxState
) -> None:
    response = client.post(f"{BASE}/lead-ads", json={**body(account, form), "validate_only": True}, headers=api_headers)

    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["valid"] is True
    assert [(s["step"], s["status"]) for s in answer["steps"]] == [
        ("campaign", "checked"),
        ("adset", "unchecked"),
        ("ad", "checked"),
    ]
    sent = [c for c in graph.calls if c["method"] == "POST"]
    assert [c["path"].rsplit("/", 1)[-1] for c in sent] == ["campaigns", "adcreatives"]
    assert all('"validate_only"' in c["params"]["execution_options"] for c in sent)
    assert (count(AdCampaign), count(AdWrite)) == (0, 0)
    assert at_meta(graph, account, "campaign", "Kitchens – Winter") == []


def test_check_with_meta_after_a_made_campaign_asks_about_the_ad_set_under_it(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, form: LeadForm, graph: SandboxState
) -> None:
    headers = {**api_headers, "Idempotency-Key": "w-6"}
    client.post(f"{BASE}/lead-ads", json=body(account, form, daily_budget_amount="0.50"), headers=headers)
    graph.clear_calls()

    still_low = client.post(
        f"{BASE}/lead-ads", json={**body(account, form, daily_budget_amount="0.50"), "validate_only": True}, headers=headers
    )
    enough = client.post(
        f"{BASE}/lead-ads", json={**body(account, form, daily_budget_amount="5"), "validate_only": True}, headers=headers
    )

    assert still_low.status_code == 422
    details = still_low.get_json()["error"]["details"]
    assert [s["status"] for s in details["steps"]] == ["existing", "failed", "checked"]
    assert enough.status_code == 200 and [s["status"] for s in enough.get_json()["steps"]] == ["existing", "checked", "checked"]
    assert count(AdSet) == 0


def test_check_with_meta_shows_a_refused_creative(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, form: LeadForm, graph: SandboxState
) -> None:
    graph.store.objects[form.meta_form_id]["status"] = "ARCHIVED"

    response = client.post(f"{BASE}/lead-ads", json={**body(account, form), "validate_only": True}, headers=api_headers)

    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert details["step"] == "ad" and details["meta"]["error_user_title"] == "Lead Form Not Active"
    assert count(AdWrite) == 0
