"""Tokens, appsecret_proof, versions and login (§9.3, §11, §12)."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from metaads.sandbox import SandboxState, appsecret_proof
from tests.metaads.sandbox.conftest import Graph, error_of


def test_unknown_revoked_and_expired_tokens(sandbox: Graph, state: SandboxState) -> None:
    unknown = sandbox.get("me", token="EAAnonsense")
    assert unknown.status_code == 400
    assert error_of(unknown)["code"] == 190 and "error_subcode" not in error_of(unknown)
    assert "invalid_token" in unknown.headers["WWW-Authenticate"]
    page_token = state.page_tokens[state.seed.page_ids[0]]
    state.revoke_token(page_token, 467)
    assert error_of(sandbox.get("me", token=page_token))["error_subcode"] == 467
    state.expire_token(state.user_token)
    assert (error_of(sandbox.get("me"))["code"], error_of(sandbox.get("me"))["error_subcode"]) == (190, 463)
    assert sandbox.get("me", token=state.system_user_token).json()["name"] == "Sandbox System User"


def test_missing_token_and_bearer_header(sandbox: Graph, state: SandboxState) -> None:
    assert error_of(requests.get(sandbox.url(state.seed.ad_accounts["EUR"]), timeout=5))["code"] == 104
    proof = appsecret_proof(state.config["APP_SECRET"], state.user_token)
    for scheme in ("Bearer", "OAuth"):
        response = requests.get(
            sandbox.url("me"),
            params={"appsecret_proof": proof},
            timeout=5,
            headers={"Authorization": f"{scheme} {state.user_token}"},
        )
        assert response.json()["id"] == state.seed.user_id


def test_appsecret_proof_rules(sandbox: Graph, state: SandboxState) -> None:
    token = state.user_token
    missing = requests.get(sandbox.url("me"), params={"access_token": token}, timeout=5)
    assert error_of(missing)["code"] == 100 and error_of(missing)["type"] == "GraphMethodException"
    wrong = requests.get(sandbox.url("me"), params={"access_token": token, "appsecret_proof": "ab" * 32}, timeout=5)
    assert error_of(wrong)["message"] == "Invalid appsecret_proof provided in the API argument"
    now = int(time.time())
    timed = {
        "access_token": token,
        "appsecret_time": str(now),
        "appsecret_proof": appsecret_proof(state.config["APP_SECRET"], token, now),
    }
    assert requests.get(sandbox.url("me"), params=timed, timeout=5).status_code == 200
    stale = dict(
        timed, appsecret_time=str(now - 301), appsecret_proof=appsecret_proof(state.config["APP_SECRET"], token, now - 301)
    )
    assert error_of(requests.get(sandbox.url("me"), params=stale, timeout=5))["code"] == 100
    app_token = requests.get(
        sandbox.url(f"{state.config['APP_ID']}/subscriptions"), params={"access_token": state.app_token}, timeout=5
    )
    assert app_token.status_code == 200  # "{id}|{secret}" carries the secret itself


@pytest.mark.parametrize("sandbox_config", [{"REQUIRE_APPSECRET_PROOF": False}])
def test_proof_optional_but_checked_when_sent(sandbox: Graph, state: SandboxState) -> None:
    token = state.user_token
    assert requests.get(sandbox.url("me"), params={"access_token": token}, timeout=5).status_code == 200
    wrong = requests.get(sandbox.url("me"), params={"access_token": token, "appsecret_proof": "00"}, timeout=5)
    assert wrong.status_code == 400


@pytest.mark.parametrize("sandbox_config", [{"EXPIRED_VERSIONS": {"v24.0"}}])
def test_versions(sandbox: Graph, state: SandboxState) -> None:
    ok = sandbox.get("me")
    assert ok.headers["facebook-api-version"] == "v26.0"
    for version, code in (("v24.0", 2635), ("v18.0", 2635), ("v99.0", 2500)):
        sandbox.version = version
        assert error_of(sandbox.get("me"))["code"] == code
    sandbox.version = "v27.0"
    assert sandbox.get("me").headers["facebook-api-version"] == "v27.0"
    unversioned = requests.get(sandbox.base_url + "me", params=sandbox.auth(), timeout=5)
    assert unversioned.headers["facebook-api-version"] == state.config["DEFAULT_VERSION"]


def test_every_response_has_usage_headers(sandbox: Graph, state: SandboxState) -> None:
    import json

    for response in (sandbox.get("me"), sandbox.get("me", token="bad"), sandbox.get(f"{state.seed.ad_accounts['JPY']}/insights")):
        usage = json.loads(response.headers["X-App-Usage"])
        assert set(usage) == {"call_count", "total_cputime", "total_time"}
    insights = sandbox.get(f"{state.seed.ad_accounts['JPY']}/insights")
    assert "ads_api_access_tier" in json.loads(insights.headers["X-FB-Ads-Insights-Throttle"])
    buc = json.loads(insights.headers["X-Business-Use-Case-Usage"])
    assert buc[state.seed.ad_accounts["JPY"][4:]][0]["type"] == "ads_insights"


def test_page_tokens_from_me_accounts(sandbox: Graph, state: SandboxState) -> None:
    pages = sandbox.get("me/accounts").json()["data"]
    assert {p["id"]: p["access_token"] for p in pages} == state.page_tokens
    assert all("ADVERTISE" in p["tasks"] for p in pages)
    page = pages[0]
    assert sandbox.get("me", token=page["access_token"]).json()["id"] == page["id"]
    assert error_of(sandbox.get("me/accounts", token=state.app_token))["code"] == 2500


def test_debug_token(sandbox: Graph, state: SandboxState) -> None:
    page = state.seed.page_ids[0]
    data = sandbox.get("debug_token", token=state.app_token, input_token=state.page_tokens[page]).json()["data"]
    assert data["type"] == "PAGE" and data["expires_at"] == 0 and data["profile_id"] == page
    assert data["is_valid"] is True and "leads_retrieval" in data["scopes"]
    grants = {g["scope"]: g.get("target_ids") for g in data["granular_scopes"]}
    assert page in grants["pages_show_list"]
    user = sandbox.get("debug_token", token=state.app_token, input_token=state.user_token).json()["data"]
    assert user["type"] == "USER" and user["expires_at"] > time.time() and user["user_id"] == state.seed.user_id
    state.revoke_token(state.user_token, 460)
    revoked = sandbox.get("debug_token", token=state.app_token, input_token=state.user_token).json()["data"]
    assert revoked["is_valid"] is False and revoked["error"]["subcode"] == 460


def _dialog_form(sandbox: Graph, state: SandboxState, scope: str) -> tuple[str, dict[str, str]]:
    params = {
        "client_id": state.config["APP_ID"],
        "redirect_uri": "https://platform.example/cb",
        "state": "csrf123",
        "scope": scope,
        "response_type": "code",
        "return_scopes": "true",
    }
    page = requests.get(sandbox.base_url + "v26.0/dialog/oauth", params=params, timeout=5)
    assert page.status_code == 200 and 'id="approve"' in page.text
    assert "Acme Sandbox S.L." in page.text
    hidden = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    return page.url, hidden


def _redirect(response: requests.Response) -> dict[str, list[str]]:
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("https://platform.example/cb?") and location.endswith("#_=_")
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize("sandbox_config", [{"DECLINE_SCOPES": {"leads_retrieval"}}])
def test_oauth_dialog_code_exchange_and_long_lived(sandbox: Graph, state: SandboxState) -> None:
    url, hidden = _dialog_form(sandbox, state, "ads_read,leads_retrieval,pages_show_list")
    query = _redirect(requests.post(url.split("?")[0], data={**hidden, "decision": "approve"}, allow_redirects=False, timeout=5))
    assert query["state"] == ["csrf123"] and query["denied_scopes"] == ["leads_retrieval"]
    exchange = {
        "client_id": state.config["APP_ID"],
        "client_secret": state.config["APP_SECRET"],
        "redirect_uri": "https://platform.example/cb",
        "code": query["code"][0],
    }
    token = requests.get(sandbox.url("oauth/access_token"), params=exchange, timeout=5).json()
    assert token["token_type"] == "bearer" and token["expires_in"] > 50 * 86400
    again = requests.get(sandbox.url("oauth/access_token"), params=exchange, timeout=5)
    assert error_of(again)["error_subcode"] == 36009  # codes are single-use
    form = state.seed.forms["standard"]
    assert error_of(sandbox.get(f"{form}/leads", token=token["access_token"]))["code"] == 200  # declined scope
    permissions = sandbox.get("me/permissions", token=token["access_token"]).json()["data"]
    assert {"permission": "leads_retrieval", "status": "declined"} in permissions
    longer = requests.get(
        sandbox.url("oauth/access_token"),
        params={
            "grant_type": "fb_exchange_token",
            "client_id": state.config["APP_ID"],
            "client_secret": state.config["APP_SECRET"],
            "fb_exchange_token": token["access_token"],
        },
        timeout=5,
    ).json()
    assert longer["access_token"] != token["access_token"]
    assert sandbox.get("me", token=longer["access_token"]).json()["id"] == state.seed.user_id


def test_oauth_dialog_cancel_and_bad_client(sandbox: Graph, state: SandboxState) -> None:
    url, hidden = _dialog_form(sandbox, state, "ads_read")
    query = _redirect(requests.post(url.split("?")[0], data={**hidden, "decision": "cancel"}, allow_redirects=False, timeout=5))
    assert query["error"] == ["access_denied"] and query["error_reason"] == ["user_denied"]
    assert query["state"] == ["csrf123"] and "code" not in query
    bad = requests.get(
        sandbox.base_url + "v26.0/dialog/oauth", timeout=5, params={"client_id": "123", "redirect_uri": "https://x.example/"}
    )
    assert bad.status_code == 400
    wrong_secret = requests.get(
        sandbox.url("oauth/access_token"),
        timeout=5,
        params={"client_id": state.config["APP_ID"], "client_secret": "nope", "code": "x", "redirect_uri": "y"},
    )
    assert error_of(wrong_secret)["code"] == 1


def test_client_credentials_app_token(sandbox: Graph, state: SandboxState) -> None:
    reply = requests.post(
        sandbox.url("oauth/access_token"),
        timeout=5,
        data={
            "grant_type": "client_credentials",
            "client_id": state.config["APP_ID"],
            "client_secret": state.config["APP_SECRET"],
        },
    ).json()
    assert reply["access_token"].startswith(state.config["APP_ID"] + "|")
    listed = sandbox.get(f"{state.config['APP_ID']}/subscriptions", token=reply["access_token"])
    assert listed.status_code == 200 and listed.json() == {"data": []}
