"""Injected faults (§9, §10): error bodies, HTTP statuses, usage headers, matching and counts."""

from __future__ import annotations

import json
import time

import pytest

from metaads.sandbox import SandboxState
from tests.metaads.sandbox.conftest import Graph, error_of


def test_http_500_and_transient(sandbox: Graph, state: SandboxState) -> None:
    state.add_fault(kind="http_500", path="^/me$")
    state.add_fault(kind="transient", path="^/me$")
    state.add_fault(kind="transient", code=1, path="^/me$")
    codes = []
    for _ in range(3):
        response = sandbox.get("me")
        assert response.status_code == 500
        error = error_of(response)
        assert error["is_transient"] is True and error["fbtrace_id"]
        codes.append((error["code"], error.get("error_subcode")))
    assert codes == [(1, 99), (2, None), (1, None)]
    assert sandbox.get("me").status_code == 200  # each rule applied once (times=1)


@pytest.mark.parametrize(
    "code, subcode, header",
    [
        (4, None, "X-App-Usage"),
        (17, 2446079, "X-Ad-Account-Usage"),
        (32, None, "X-Business-Use-Case-Usage"),
        (613, 1487742, "X-Ad-Account-Usage"),
        (80000, 2446079, "X-FB-Ads-Insights-Throttle"),
        (80004, 2446079, "X-Business-Use-Case-Usage"),
        (80005, None, "X-Business-Use-Case-Usage"),
    ],
)
def test_rate_limits_set_their_usage_header(
    sandbox: Graph, state: SandboxState, code: int, subcode: int | None, header: str
) -> None:
    account = state.seed.ad_accounts["EUR"]
    state.add_fault(kind="rate_limit", code=code, minutes=12, reset_seconds=90)
    response = sandbox.get(account, fields="id")
    assert response.status_code == 400  # throttles are not 429 on Graph
    error = error_of(response)
    assert (error["code"], error.get("error_subcode")) == (code, subcode)
    usage = json.loads(response.headers[header])
    if header == "X-App-Usage":
        assert usage["call_count"] == 100
    elif header == "X-Ad-Account-Usage":
        assert usage == {"acc_id_util_pct": 100, "reset_time_duration": 90, "ads_api_access_tier": "standard_access"}
    elif header == "X-FB-Ads-Insights-Throttle":
        assert usage["acc_id_util_pct"] == 100
    else:
        entries = [e for values in usage.values() for e in values if e["call_count"] == 100]
        assert entries and entries[0]["estimated_time_to_regain_access"] == 12


def test_buc_header_is_keyed_by_the_business_object(sandbox: Graph, state: SandboxState) -> None:
    form = state.seed.forms["custom"]
    state.add_fault(kind="rate_limit", code=80005, path="/leads$")
    response = sandbox.get(f"{form}/leads")
    usage = json.loads(response.headers["X-Business-Use-Case-Usage"])
    page = state.store.objects[form]["page_id"]
    assert usage[page][0]["type"] == "leadgen" and usage[page][0]["call_count"] == 100


@pytest.mark.parametrize("subcode", [460, 463, 467])
def test_token_revoked_fault(sandbox: Graph, state: SandboxState, subcode: int) -> None:
    state.add_fault(kind="token_revoked", subcode=subcode)
    response = sandbox.get("me")
    assert (error_of(response)["code"], error_of(response)["error_subcode"]) == (190, subcode)
    assert response.headers["WWW-Authenticate"].startswith('OAuth "Facebook Platform" "invalid_token"')


@pytest.mark.parametrize("code", [10, 200])
def test_permission_fault(sandbox: Graph, state: SandboxState, code: int) -> None:
    state.add_fault(kind="permission", code=code, method="GET")
    error = error_of(sandbox.get("me"))
    assert error["code"] == code and error["message"].startswith(f"(#{code})")


def test_lead_gone_fault_names_the_lead(sandbox: Graph, state: SandboxState) -> None:
    lead = state.seed.lead_ids[0]
    state.add_fault(kind="lead_gone", path=f"^/{lead}$")
    error = error_of(sandbox.get(lead, fields="id"))
    assert (error["code"], error["error_subcode"], error["type"]) == (100, 33, "GraphMethodException")
    assert lead in error["message"]


def test_latency_fault_and_global_latency(sandbox: Graph, state: SandboxState) -> None:
    state.add_fault(kind="latency_ms", latency_ms=300, path="^/me$")
    started = time.monotonic()
    assert sandbox.get("me").status_code == 200
    assert time.monotonic() - started >= 0.3
    state.config["LATENCY_MS"] = 200
    started = time.monotonic()
    sandbox.get("me")
    assert time.monotonic() - started >= 0.2


def test_matching_by_method_and_times(sandbox: Graph, state: SandboxState) -> None:
    state.add_fault(kind="transient", method="POST", times=2)
    assert sandbox.get("me").status_code == 200
    account = state.seed.ad_accounts["EUR"]
    statuses = [sandbox.post(account, name="renamed").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    forever = state.add_fault(kind="transient", path="^/me$", times=None)
    assert [sandbox.get("me").status_code for _ in range(3)] == [500] * 3
    assert state.faults.remove(forever) and sandbox.get("me").status_code == 200


def test_unknown_kind_is_refused(state: SandboxState) -> None:
    with pytest.raises(ValueError):
        state.add_fault(kind="meteor")
    with pytest.raises(ValueError):
        state.add_fault(kind="rate_limit", code=429)


def test_control_api_faults_roundtrip(sandbox: Graph, state: SandboxState) -> None:
    import requests

    created = requests.post(sandbox.base_url + "_sandbox/faults", json={"kind": "transient", "path": "^/me$"}, timeout=5)
    assert created.status_code == 201
    listed = requests.get(sandbox.base_url + "_sandbox/faults", timeout=5).json()["faults"]
    assert listed[0]["id"] == created.json()["id"]
    assert requests.delete(sandbox.base_url + "_sandbox/faults", timeout=5).json() == {"success": True}
    assert sandbox.get("me").status_code == 200
    assert requests.post(sandbox.base_url + "_sandbox/faults", json={"kind": "x"}, timeout=5).status_code == 400
