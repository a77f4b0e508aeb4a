"""The Batch API (§8): per-item results with JSON-string bodies, null items, references."""

from __future__ import annotations

import json
import typing as t

from metaads.sandbox import SandboxState
from tests.metaads.sandbox.conftest import Graph, error_of


def run(sandbox: Graph, items: list[dict[str, t.Any]], **extra: str) -> t.Any:
    response = sandbox.post("", batch=json.dumps(items), **extra)
    assert response.status_code == 200, response.text
    return response.json()


def test_mixed_results_and_a_null_item(sandbox: Graph, state: SandboxState) -> None:
    lead_a, lead_b = state.seed.lead_ids[:2]
    state.add_fault(kind="batch_null", path=f"^/{lead_b}$")
    results = run(
        sandbox,
        [
            {"method": "GET", "relative_url": f"{lead_a}?fields=id,field_data"},
            {"method": "GET", "relative_url": f"v26.0/{lead_b}?fields=id"},
            {"method": "GET", "relative_url": "999999999999999999?fields=id"},
            {
                "method": "POST",
                "relative_url": f"{state.seed.ad_accounts['EUR']}/campaigns",
                "body": "name=Batch&objective=OUTCOME_LEADS&status=PAUSED&special_ad_categories=%5B%5D"
                "&is_adset_budget_sharing_enabled=false",
            },
        ],
    )
    assert results[1] is None  # timed out: the client must retry it
    ok, missing, created = results[0], results[2], results[3]
    assert ok["code"] == 200 and isinstance(ok["body"], str)
    assert json.loads(ok["body"])["id"] == lead_a
    assert {"name": "Content-Type", "value": "text/javascript; charset=UTF-8"} in ok["headers"]
    assert missing["code"] == 400
    assert json.loads(missing["body"])["error"]["error_subcode"] == 33
    assert json.loads(created["body"])["id"].isdigit()


def test_item_faults_and_include_headers_false(sandbox: Graph, state: SandboxState) -> None:
    state.add_fault(kind="transient", path="/me$")
    results = run(
        sandbox, [{"method": "GET", "relative_url": "me"}, {"method": "GET", "relative_url": "me"}], include_headers="false"
    )
    assert [r["code"] for r in results] == [500, 200]
    assert all("headers" not in r for r in results)
    assert json.loads(results[0]["body"])["error"]["is_transient"] is True


def test_result_references_between_items(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    results = run(
        sandbox,
        [
            {"method": "GET", "name": "camps", "relative_url": f"{account}/campaigns?fields=id&limit=2"},
            {"method": "GET", "relative_url": "?ids={result=camps:$.data.*.id}&fields=name"},
            {"method": "GET", "relative_url": "{result=camps:$.data.0.id}?fields=name"},
        ],
    )
    assert results[0] is None  # referenced parents are omitted by default
    by_id = json.loads(results[1]["body"])
    assert len(by_id) == 2 and all("name" in node for node in by_id.values())
    assert json.loads(results[2]["body"])["id"] in by_id


def test_more_than_fifty_items_is_refused(sandbox: Graph) -> None:
    response = sandbox.post("", batch=json.dumps([{"method": "GET", "relative_url": "me"}] * 51))
    assert response.status_code == 400 and error_of(response)["code"] == 100


def test_batch_needs_a_valid_top_level_token(sandbox: Graph, state: SandboxState) -> None:
    state.revoke_token(sandbox.token, 460)
    response = sandbox.post("", batch=json.dumps([{"method": "GET", "relative_url": "me"}]))
    assert (error_of(response)["code"], error_of(response)["error_subcode"]) == (190, 460)


def test_each_item_counts_as_a_call(sandbox: Graph, state: SandboxState) -> None:
    state.clear_calls()
    run(sandbox, [{"method": "GET", "relative_url": "me"}] * 3)
    assert [c["batch"] for c in state.calls] == [False, True, True, True]
