"""Smaller promises: an empty sandbox, Page tokens by field, the command-line entry point."""

from __future__ import annotations

import flask
import pytest
import requests

from metaads.sandbox import SandboxState
from metaads.sandbox.__main__ import describe, main
from tests.metaads.sandbox.conftest import Graph, error_of


@pytest.mark.parametrize("sandbox_config", [{"SEED": False}])
def test_without_seed_only_the_identity_exists(sandbox: Graph, state: SandboxState) -> None:
    assert sandbox.get("me").json()["id"] == state.seed.user_id
    assert sandbox.get("me/adaccounts").json()["data"] == []
    assert state.seed.forms == {} and state.seed.lead_ids == []


def test_page_token_by_field_and_businesses(sandbox: Graph, state: SandboxState) -> None:
    page = state.seed.page_ids[1]
    assert sandbox.get(page, fields="access_token").json() == {"access_token": state.page_tokens[page], "id": page}
    assert "access_token" not in sandbox.get(page, token=state.page_tokens[page], fields="access_token").json()
    assert sandbox.get("me/businesses").json()["data"][0]["id"] == state.seed.business_id


def test_control_seed_calls_and_reset(sandbox: Graph, state: SandboxState) -> None:
    seed = requests.get(sandbox.base_url + "_sandbox/seed", timeout=5).json()
    assert seed["user_token"] == state.user_token and seed["forms"] == state.seed.forms
    sandbox.get("me", fields="id")
    calls = requests.get(sandbox.base_url + "_sandbox/calls", params={"path": "/me$"}, timeout=5).json()["calls"]
    assert calls[-1]["params"] == {"fields": "id"} and calls[-1]["status"] == 200
    requests.post(sandbox.base_url + "_sandbox/tokens/revoke", json={"token": state.user_token}, timeout=5)
    assert error_of(sandbox.get("me"))["error_subcode"] == 460
    assert requests.post(sandbox.base_url + "_sandbox/reset", timeout=5).json() == {"success": True}
    assert sandbox.get("me").status_code == 200  # same seed, same tokens, revocation forgotten
    assert requests.delete(sandbox.base_url + "_sandbox/calls", timeout=5).json() == {"success": True}
    assert state.calls == []


def test_public_url_is_used_for_paging() -> None:
    from metaads.sandbox import create_sandbox_app

    app = create_sandbox_app({"PUBLIC_URL": "https://graph.sandbox.example"})
    client = app.test_client()
    token = app.extensions["sandbox"].user_token
    body = client.get(
        f"/v26.0/{app.extensions['sandbox'].seed.forms['standard']}/leads",
        query_string={"access_token": token, "limit": 2, "appsecret_proof": _proof(app, token)},
    ).json
    assert body["paging"]["next"].startswith("https://graph.sandbox.example/v26.0/")


def _proof(app: flask.Flask, token: str) -> str:
    from metaads.sandbox import appsecret_proof

    return appsecret_proof(app.config["APP_SECRET"], token)


def test_command_line_entry_point() -> None:
    served: list[tuple[flask.Flask, str, int]] = []
    main(["--port", "0", "--no-seed", "--latency-ms", "5"], serve=lambda app, host, port: served.append((app, host, port)))
    app, host, port = served[0]
    assert (host, port) == ("127.0.0.1", 0) and app.config["LATENCY_MS"] == 5 and app.config["SEED"] is False
    lines = describe(app, "http://127.0.0.1:8765/")
    assert "FACEBOOK_GRAPH_URL=http://127.0.0.1:8765" in lines
    assert any(app.extensions["sandbox"].user_token in line for line in lines)
