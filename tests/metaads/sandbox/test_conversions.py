"""Conversions API for CRM leads (issue 13): POST /{dataset_id}/events with Meta's checks,
and the control API that shows what the dataset received."""

from __future__ import annotations

import json
import typing as t

import pytest
import requests

from metaads.sandbox import SandboxState
from tests.metaads.sandbox.conftest import Graph, error_of


def event(state: SandboxState, lead_id: t.Any = None, **changes: t.Any) -> dict[str, t.Any]:
    lead = state.lead(state.seed.lead_ids[-1])
    base = {
        "event_name": "Qualified",
        "event_time": int(state.now()) - 60,
        "action_source": "system_generated",
        "user_data": {"lead_id": int(lead["id"]) if lead_id is None else lead_id},
        "custom_data": {"event_source": "crm", "lead_event_source": "metaads"},
    }
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def send(sandbox: Graph, state: SandboxState, events: list[dict], **params: str) -> requests.Response:
    dataset = str(state.seed.dataset_id)
    return sandbox.post(f"{dataset}/events", token=state.system_user_token, data=json.dumps(events), **params)


def received(sandbox: Graph, state: SandboxState, **query: str) -> list[dict]:
    url = f"{sandbox.base_url}_sandbox/datasets/{state.seed.dataset_id}/events"
    return t.cast("list[dict]", requests.get(url, params=query, timeout=5).json()["events"])


def test_accepted_events_are_counted_and_kept_exactly(sandbox: Graph, state: SandboxState) -> None:
    lead_id = int(state.seed.lead_ids[-1])
    assert lead_id > 2**53
    answer = send(sandbox, state, [event(state), event(state, event_name="Converted")], test_event_code="TEST123")
    body = answer.json()
    assert body["events_received"] == 2 and body["messages"] == [] and body["fbtrace_id"]
    got = received(sandbox, state, test_event_code="TEST123")
    assert [e["event"]["event_name"] for e in got] == ["Qualified", "Converted"]
    assert got[0]["event"]["user_data"]["lead_id"] == lead_id  # no float on the way
    assert received(sandbox, state, test_event_code="OTHER") == []
    assert state.received_events(str(state.seed.dataset_id))[0]["test_event_code"] == "TEST123"


@pytest.mark.parametrize(
    "changes, title",
    [
        ({"event_name": None}, "Missing Parameter"),
        ({"event_time": None}, "Missing Parameter"),
        ({"action_source": None}, "Missing Parameter"),
        ({"user_data": None}, "Missing Parameter"),
        ({"action_source": "crm"}, "Invalid action_source"),
        ({"event_time": "yesterday"}, "Invalid Event Time"),
        ({"event_time": 1}, "Event Timestamp Too Old"),
        ({"event_time": 4102444800}, "Event Timestamp In The Future"),
        ({"user_data": {"lead_id": 7.6922419066450137e16}}, "Invalid Lead ID"),
        ({"user_data": {"lead_id": "abc"}}, "Invalid Lead ID"),
        ({"user_data": {"lead_id": 123}}, "Unknown Lead ID"),
    ],
)
def test_refusals_name_the_event_and_accept_nothing(sandbox: Graph, state: SandboxState, changes: dict, title: str) -> None:
    error = error_of(send(sandbox, state, [event(state), event(state, **changes)]))
    assert error["code"] == 100 and error["error_user_title"] == title and "data[1]" in error["error_user_msg"]
    assert received(sandbox, state) == []


def test_too_old_has_metas_subcode_and_event_before_lead_is_refused(sandbox: Graph, state: SandboxState) -> None:
    old = error_of(send(sandbox, state, [event(state, event_time=int(state.now()) - 8 * 86400)]))
    assert old["error_subcode"] == 2804003
    lead = state.create_lead(state.seed.forms["standard"])
    early = event(state, lead_id=int(lead["id"]), event_time=int(state.now()) - 3600)
    assert error_of(send(sandbox, state, [early]))["error_user_title"] == "Event Before Lead"


def test_batch_limits(sandbox: Graph, state: SandboxState) -> None:
    assert send(sandbox, state, [event(state)] * 1000).json()["events_received"] == 1000
    assert error_of(send(sandbox, state, [event(state)] * 1001))["code"] == 100
    assert error_of(sandbox.post(f"{state.seed.dataset_id}/events", token=state.system_user_token))["code"] == 100


def test_string_lead_ids_can_be_refused(sandbox: Graph, state: SandboxState) -> None:
    as_text = event(state, lead_id=state.seed.lead_ids[-1])
    assert send(sandbox, state, [as_text]).json()["events_received"] == 1
    state.configure(CAPI_STRING_LEAD_IDS=False)
    assert error_of(send(sandbox, state, [as_text]))["error_user_title"] == "Invalid Lead ID"
