"""What every request carries: token placement, appsecret_proof, fields, encoding, safe paths."""

from __future__ import annotations

import json

import pytest

from metaads.graph import NO_FIELDS, GraphClient, GraphResponseError, InMemoryUsageStore, appsecret_proof
from tests.metaads.graph.fakegraph import APP_ID, APP_SECRET, TOKEN, TOKEN_PROOF, Reply, ScriptedGraph, make_client


def test_proof_matches_the_documented_test_vector() -> None:
    assert appsecret_proof(APP_SECRET, TOKEN) == TOKEN_PROOF


def test_get_sends_token_in_header_proof_and_fields_never_token_in_url(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("GET", "/v25.0/me", Reply(json={"id": "10203040", "name": "Ada"}))

    assert client.get("me", TOKEN, fields=["id", "name"]) == {"id": "10203040", "name": "Ada"}

    (hit,) = graph.requests
    assert hit.headers["Authorization"] == f"Bearer {TOKEN}"
    assert hit.proof == TOKEN_PROOF
    assert hit.arg("fields") == "id,name"
    assert TOKEN not in hit.url


def test_post_sends_token_and_proof_in_the_form_body(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("POST", "/v25.0/120210000000000001", Reply(json={"success": True}))

    client.post("120210000000000001", TOKEN, {"status": "PAUSED"})

    (hit,) = graph.requests
    assert hit.form["access_token"] == [TOKEN]
    assert hit.form["appsecret_proof"] == [TOKEN_PROOF]
    assert hit.form["status"] == ["PAUSED"]
    assert TOKEN not in hit.url and "Authorization" not in hit.headers


def test_delete_carries_proof(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("DELETE", "/v25.0/769224190664558", Reply(json={"success": True}))

    assert client.delete("769224190664558", TOKEN) == {"success": True}
    assert graph.requests[0].proof == TOKEN_PROOF


def test_a_bare_true_answer_reads_as_success(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("DELETE", "/v25.0/1", Reply(json=True))
    assert client.delete("1", TOKEN) == {"success": True}


def test_nested_params_are_json_strings_in_form_fields(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("POST", "/v25.0/act_123/adsets", Reply(json={"id": "42"}))
    targeting = {"geo_locations": {"countries": ["US"]}, "age_min": 18}

    client.post(
        "act_123/adsets",
        TOKEN,
        {
            "targeting": targeting,
            "special_ad_categories": [],
            "is_adset_budget_sharing_enabled": False,
            "daily_budget": 2000,
            "name": "Leads - US",
            "skipped": None,
        },
    )

    form = graph.requests[0].form
    assert json.loads(form["targeting"][0]) == targeting
    assert form["targeting"][0] == '{"geo_locations":{"countries":["US"]},"age_min":18}'
    assert form["special_ad_categories"] == ["[]"]
    assert form["is_adset_budget_sharing_enabled"] == ["false"]
    assert form["daily_budget"] == ["2000"]
    assert form["name"] == ["Leads - US"]
    assert "skipped" not in form


def test_query_params_are_encoded_the_same_way(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("GET", "/v25.0/act_1/campaigns", Reply(json={"data": []}))

    client.get("act_1/campaigns", TOKEN, {"effective_status": ["ACTIVE", "PAUSED"], "summary": True}, fields="id")

    hit = graph.requests[0]
    assert hit.arg("effective_status") == '["ACTIVE","PAUSED"]'
    assert hit.arg("summary") == "true"


def test_reads_require_fields(client: GraphClient, graph: ScriptedGraph) -> None:
    with pytest.raises(TypeError):
        client.get("me", TOKEN)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="fields"):
        client.get("me", TOKEN, fields=[])
    with pytest.raises(ValueError, match="fields"):
        client.get("me", TOKEN, fields=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fields"):
        list(client.paginate("me/accounts", TOKEN, fields=""))
    with pytest.raises(ValueError, match="fields"):
        client.get("me", TOKEN, {"fields": "id"}, fields="name")
    assert graph.requests == []


def test_no_fields_is_an_explicit_opt_out(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("GET", "/v25.0/debug_token", Reply(json={"data": {"is_valid": True}}))

    client.get("debug_token", TOKEN, {"input_token": "EAAother"}, fields=NO_FIELDS)

    assert "fields" not in graph.requests[0].query


@pytest.mark.parametrize(
    "path",
    [
        "../admin",
        "me/../../etc",
        "https://evil.test/v25.0/me",
        "//evil.test/me",
        "me?access_token=x",
        "me#frag",
        "me\\x",
        "a b",
        "me/",
    ],
)
def test_paths_that_could_leave_the_graph_root_are_refused(client: GraphClient, graph: ScriptedGraph, path: str) -> None:
    with pytest.raises(ValueError, match="not a Graph path"):
        client.get(path, TOKEN, fields="id")
    assert graph.requests == []


def test_redirects_are_not_followed(client: GraphClient, graph: ScriptedGraph, evil: ScriptedGraph) -> None:
    graph.on("GET", "/v25.0/me", Reply(status=302, headers={"Location": f"{evil.url}/v25.0/stolen"}, body=b""))

    with pytest.raises(GraphResponseError) as caught:
        client.get("me", TOKEN, fields="id")

    assert caught.value.http_status == 302
    assert evil.requests == []


def test_no_app_secret_means_no_proof(graph: ScriptedGraph, sleeps: list[float]) -> None:
    graph.on("GET", "/v25.0/me", Reply(json={"id": "1"}))
    with GraphClient(graph.url, "v25.0", APP_ID, None, sleep=sleeps.append) as no_secret:
        no_secret.get("me", "EAAnosecret", fields="id")
    assert graph.requests[0].proof is None
    graph.reset()  # the fixture's proof check is for clients that have a secret


def test_from_config_reads_the_documented_keys(graph: ScriptedGraph) -> None:
    config = {
        "FACEBOOK_GRAPH_URL": graph.url,
        "FACEBOOK_GRAPH_VERSION": "v24.0",
        "FACEBOOK_CLIENT_ID": APP_ID,
        "FACEBOOK_CLIENT_SECRET": APP_SECRET,
        "METAADS_GRAPH_TIMEOUT": "7",
        "METAADS_GRAPH_MAX_RETRIES": 1,
    }
    graph.on("GET", "/v24.0/me", Reply(json={"id": "1"}))

    with GraphClient.from_config(config, usage_store=InMemoryUsageStore()) as configured:
        assert configured.get("me", TOKEN, fields="id") == {"id": "1"}
        assert (configured.app_id, configured.timeout, configured.max_retries) == (APP_ID, 7.0, 1)
        assert configured.app_access_token() == f"{APP_ID}|{APP_SECRET}"
        assert APP_SECRET not in repr(configured)
    assert graph.requests[0].path == "/v24.0/me"


def test_from_config_defaults_to_the_public_graph() -> None:
    with GraphClient.from_config({"FACEBOOK_GRAPH_VERSION": "v26.0"}) as default:
        assert (default.base.scheme, default.base.host, default.base.port) == ("https", "graph.facebook.com", 443)
        assert default.base.version == "v26.0"
        with pytest.raises(RuntimeError, match="FACEBOOK_CLIENT_ID"):
            default.app_access_token()


def test_from_config_has_no_version_of_its_own() -> None:
    """One default Graph version, the platform's: a client is never built on a stale second one."""
    with pytest.raises(ValueError, match="FACEBOOK_GRAPH_VERSION"):
        GraphClient.from_config({})


@pytest.mark.parametrize(
    ("url", "version"),
    [
        ("ftp://graph.facebook.com", "v25.0"),
        ("https://user:pw@graph.facebook.com", "v25.0"),
        ("https://graph.facebook.com", "25"),
    ],
)
def test_bad_configuration_is_refused(url: str, version: str) -> None:
    with pytest.raises(ValueError):
        GraphClient(url, version, APP_ID, APP_SECRET)


def test_every_call_has_a_timeout(graph: ScriptedGraph, sleeps: list[float]) -> None:
    graph.on("GET", "/v25.0/slow", Reply(json={"id": "1"}, delay=1.0))
    with make_client(graph.url, sleeps, timeout=0.2, max_retries=0) as impatient:
        with pytest.raises(Exception) as caught:
            impatient.get("slow", TOKEN, fields="id")
    assert type(caught.value).__name__ == "GraphTransientError"
    assert "Timeout" in str(caught.value)
