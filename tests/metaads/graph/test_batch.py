"""The Batch API: ≤50 operations per call, per-operation results, ``null`` as a timed-out op."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from metaads.graph import BatchRequest, GraphClient, GraphNotFoundError, GraphTransientError
from metaads.graph.errors import GraphPermissionError
from tests.metaads.graph.fakegraph import TOKEN, TOKEN_PROOF, Recorded, Reply, ScriptedGraph

LEAD = {"id": "769224190664558", "created_time": "2021-12-30T14:59:02+0000", "field_data": []}


def op_result(body: object, code: int = 200) -> dict:
    return {
        "code": code,
        "headers": [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}],
        "body": json.dumps(body),
    }


def echo_batch(recorded: Recorded) -> Reply:
    """Answer each GET operation with {"id": <its path>}."""
    ops = json.loads(recorded.form["batch"][0])
    return Reply(json=[op_result({"id": urlsplit(op["relative_url"]).path}) for op in ops])


def test_mixed_results_come_back_typed_and_in_order(client: GraphClient, graph: ScriptedGraph) -> None:
    not_found = {
        "error": {
            "message": "(#100) Object with ID '2' does not exist",
            "type": "GraphMethodException",
            "code": 100,
            "error_subcode": 33,
            "fbtrace_id": "T2",
        }
    }
    graph.on(
        "POST",
        "/v25.0/",
        Reply(
            json=[
                op_result(LEAD),
                op_result(not_found, 400),
                None,
                op_result({"error": {"code": 200, "message": "(#200) Permissions error"}}, 403),
            ]
        ),
    )
    ops = [BatchRequest.get(i, fields=("id", "created_time")) for i in ("769224190664558", "2", "3", "4")]

    ok, missing, timed_out, denied = client.batch(ops, TOKEN)

    assert ok.ok and ok.status == 200 and ok.body["id"] == "769224190664558"
    assert ok.headers["content-type"].startswith("text/javascript")
    assert isinstance(missing.error, GraphNotFoundError) and missing.status == 400 and not missing.retryable
    assert missing.error.fbtrace_id == "T2"
    assert timed_out.timed_out and timed_out.retryable and isinstance(timed_out.error, GraphTransientError)
    assert isinstance(denied.error, GraphPermissionError) and denied.status == 403


def test_batch_call_carries_token_proof_and_json_operations(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("POST", "/v25.0/", echo_batch)

    client.batch([BatchRequest.get("769224190664558", fields=["id", "field_data"]), BatchRequest.delete("5")], TOKEN)

    (hit,) = graph.requests
    assert hit.form["access_token"] == [TOKEN] and hit.proof == TOKEN_PROOF
    assert hit.form["include_headers"] == ["true"]
    ops = json.loads(hit.form["batch"][0])
    assert ops[0]["method"] == "GET"
    assert parse_qs(urlsplit(ops[0]["relative_url"]).query) == {"fields": ["id,field_data"]}
    assert ops[1] == {"method": "DELETE", "relative_url": "5"}


def test_more_than_fifty_operations_are_split(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("POST", "/v25.0/", echo_batch)
    ids = [str(100 + n) for n in range(120)]

    results = client.batch([BatchRequest.get(i, fields="id") for i in ids], TOKEN)

    assert [len(json.loads(hit.form["batch"][0])) for hit in graph.requests] == [50, 50, 20]
    assert all(hit.proof == TOKEN_PROOF for hit in graph.requests)
    assert [r.body["id"] for r in results] == ids


def test_post_operations_encode_their_body(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("POST", "/v25.0/", Reply(json=[op_result({"id": "9"})]))

    client.batch([BatchRequest.post("act_1/campaigns", {"name": "Q1", "special_ad_categories": []}, name="create")], TOKEN)

    (op,) = json.loads(graph.requests[0].form["batch"][0])
    assert op["name"] == "create"
    assert parse_qs(op["body"]) == {"name": ["Q1"], "special_ad_categories": ["[]"]}


def test_a_batch_answer_of_the_wrong_length_is_an_error(client: GraphClient, graph: ScriptedGraph) -> None:
    from metaads.graph import GraphResponseError

    graph.on("POST", "/v25.0/", Reply(json=[op_result({"id": "1"})]))
    try:
        client.batch([BatchRequest.get("1", fields="id"), BatchRequest.get("2", fields="id")], TOKEN)
    except GraphResponseError:
        pass
    else:
        raise AssertionError("expected GraphResponseError")
