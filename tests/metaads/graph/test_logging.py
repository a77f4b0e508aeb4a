"""Tokens and secrets never reach a log line or an exception string."""

from __future__ import annotations

import json
import logging

import pytest

from metaads.graph import BatchRequest, GraphClient, GraphError
from metaads.graph.types import OAuthToken, PageData
from metaads.service import MetaAdsService
from tests.metaads.graph.fakegraph import APP_SECRET, TOKEN, TOKEN_PROOF, Reply, ScriptedGraph, graph_error

INPUT_TOKEN = "EAAinputtokenunderinspection"
CODE = "AQDoauthcodefromdialog"
PAGE_TOKEN = "EAApagetokenforthepage"


def script_everything(graph: ScriptedGraph) -> None:
    graph.on("GET", "/v25.0/me", Reply(json={"id": "10203040", "name": "Ada"}))
    graph.on(
        "GET",
        "/v25.0/me/accounts",
        lambda r: (
            Reply(
                json={
                    "data": [{"id": "1", "access_token": PAGE_TOKEN}],
                    "paging": {"next": f"{graph.url}/v25.0/me/accounts?access_token={TOKEN}&after=x"},
                }
            )
            if r.arg("after") is None
            else Reply(json={"data": [], "paging": {"cursors": {"after": "y"}}})
        ),
    )
    graph.on("GET", "/v25.0/debug_token", Reply(json={"data": {"is_valid": True, "app_id": "1234"}}))
    graph.on(
        "GET",
        "/v25.0/oauth/access_token",
        Reply(json={"access_token": "EAAnewlonglived", "token_type": "bearer", "expires_in": 5183976}),
    )
    graph.on(
        "POST",
        "/v25.0/",
        Reply(json=[{"code": 400, "body": json.dumps({"error": {"message": f"Malformed access token {TOKEN}", "code": 190}})}]),
    )
    graph.on("GET", "/v25.0/act_1/campaigns", graph_error(190, f"Malformed access token {TOKEN}"))


def test_no_secret_in_any_log_line_or_error(client: GraphClient, graph: ScriptedGraph, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    script_everything(graph)
    service = MetaAdsService(client)
    errors: list[str] = []

    service.get_me(TOKEN)
    pages = service.list_pages(TOKEN)
    service.debug_token(INPUT_TOKEN)
    exchanged = service.exchange_code(CODE, "https://app.example/callback")
    (result,) = client.batch([BatchRequest.get("769224190664558", fields="id")], TOKEN)
    errors.append(str(result.error))
    with pytest.raises(GraphError) as caught:
        service.list_campaigns("1", TOKEN)
    errors += [str(caught.value), repr(caught.value)]

    text = caplog.text + "\n".join(errors) + repr(pages) + repr(exchanged)
    assert "graph GET /v25.0/me -> 200" in caplog.text  # there are logs, just not secrets
    assert "urllib3.connectionpool" in {r.name for r in caplog.records}
    for secret in (TOKEN, TOKEN_PROOF, APP_SECRET, INPUT_TOKEN, CODE, PAGE_TOKEN, "EAAnewlonglived"):
        assert secret not in text, secret
    assert pages[0].access_token == PAGE_TOKEN and exchanged.access_token == "EAAnewlonglived"


def test_connection_errors_do_not_leak_query_secrets(sleeps: list[float], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    from tests.metaads.graph.fakegraph import make_client

    with make_client("http://127.0.0.1:9", sleeps, max_retries=0) as client, pytest.raises(GraphError) as caught:
        MetaAdsService(client).debug_token(INPUT_TOKEN)

    for secret in (INPUT_TOKEN, APP_SECRET, "1234|"):
        assert secret not in str(caught.value)
        assert secret not in caplog.text


def test_token_fields_stay_out_of_reprs() -> None:
    assert PAGE_TOKEN not in repr(PageData(id="1", name="Acme", access_token=PAGE_TOKEN))
    assert "EAAsecret" not in repr(OAuthToken(access_token="EAAsecret", token_type="bearer"))
