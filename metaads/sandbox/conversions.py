"""The Conversions API for CRM leads: ``POST /{dataset_id}/events`` (issue 13, Meta's
"Conversion Leads integration — payload specification").

Meta checks the whole request before accepting any of it: one bad event refuses the batch,
naming the event's index. What the sandbox checks, and where the rule comes from:

* ``data``: a JSON array of 1..1,000 events [doc];
* each event: ``event_name``, ``event_time`` (Unix seconds), ``action_source`` (one of
  ACTION_SOURCES) and ``user_data`` (an object) are required [doc];
* ``event_time`` at most 7 days old (subcode 2804003 "Event Timestamp Too Old" [3p]), not in
  the future (beyond a minute of clock skew [unverified]), and not before the lead was created
  [issue 13];
* ``user_data.lead_id``: Meta's lead id as an integer; a JSON number that is not an integer
  (a float, which has lost digits above 2**53) or a non-numeric string is refused; a digit
  string is taken unless CAPI_STRING_LEAD_IDS is False (the SDK's UserData types it ``str``);
  the lead must be one Meta knows [issue 13].

Other subcodes and all user messages are the sandbox's own wording [unverified].
"""

from __future__ import annotations

import json
import typing as t

from metaads.sandbox.errors import GraphError, missing_param, param_error, trace_id
from metaads.sandbox.fields import NodeType, register, render, stored
from metaads.sandbox.routing import Call, route

Obj = dict[str, t.Any]
MAX_EVENTS = 1000
SEVEN_DAYS = 7 * 86400
FUTURE_SKEW = 60
ACTION_SOURCES = {
    "app",
    "business_messaging",
    "chat",
    "email",
    "other",
    "phone_call",
    "physical_store",
    "system_generated",
    "website",
}
REQUIRED = ("event_name", "event_time", "action_source", "user_data")

register(
    NodeType(
        "dataset",
        "AdsPixel",
        ("id",),
        {"id": stored("id"), "name": stored("name")},
    )
)


def _refuse(index: int, title: str, message: str, subcode: int | None = None) -> GraphError:
    return param_error(
        "Invalid parameter",
        subcode=subcode,
        blame="data",
        user_title=title,
        user_msg=f"{message} (data[{index}])",
    )


@route("dataset", None, "GET", scope="ads_management|ads_read")
def read_dataset(call: Call) -> Obj:
    return render(call, "dataset", call.node or {}, call.fields())


@route("dataset", "events", "POST", scope="ads_management")
def receive_events(call: Call) -> Obj:
    events = call.json("data")
    if events is None:
        raise missing_param("data")
    if not isinstance(events, list) or not events:
        raise param_error("Param data must be a non-empty array of events", blame="data")
    if len(events) > MAX_EVENTS:
        raise param_error(f"Param data must be an array with at most {MAX_EVENTS} events", blame="data")
    now = int(call.state.now())
    # The official SDK's EventRequest sends each event as a JSON string inside the array.
    events = [_decoded(event) for event in events]
    for index, event in enumerate(events):
        _check_event(call, index, event, now)
    test_code = call.get("test_event_code")
    received = call.state.dataset_events.setdefault(call.node_id, [])
    received.extend({"event": event, "test_event_code": test_code, "received_at": now} for event in events)
    return {"events_received": len(events), "messages": [], "fbtrace_id": trace_id()}


def _decoded(event: t.Any) -> t.Any:
    if isinstance(event, str):
        try:
            return json.loads(event)
        except ValueError:
            return event
    return event


def _check_event(call: Call, index: int, event: t.Any, now: int) -> None:
    if not isinstance(event, dict):
        raise _refuse(index, "Invalid Event", "Each event must be a JSON object.")
    for name in REQUIRED:
        if event.get(name) in (None, "", {}):
            raise _refuse(index, "Missing Parameter", f"The event is missing the required parameter {name}.")
    if not isinstance(event["user_data"], dict):
        raise _refuse(index, "Invalid user_data", "user_data must be an object.")
    if event["action_source"] not in ACTION_SOURCES:
        raise _refuse(index, "Invalid action_source", f"action_source must be one of {', '.join(sorted(ACTION_SOURCES))}.")
    event_time = _integer(event["event_time"])
    if event_time is None:
        raise _refuse(index, "Invalid Event Time", "event_time must be a Unix timestamp in seconds.")
    if event_time < now - SEVEN_DAYS:
        raise _refuse(
            index,
            "Event Timestamp Too Old",
            "The timestamp for this event is more than 7 days in the past.",
            subcode=2804003,
        )
    if event_time > now + FUTURE_SKEW:
        raise _refuse(index, "Event Timestamp In The Future", "event_time can't be in the future.")
    if "lead_id" in event["user_data"]:
        _check_lead(call, index, event["user_data"]["lead_id"], event_time)


def _integer(value: t.Any) -> int | None:
    """An int, or a string of digits; never a float (it would have lost digits above 2**53)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _check_lead(call: Call, index: int, raw: t.Any, event_time: int) -> None:
    if isinstance(raw, str) and not call.state.config["CAPI_STRING_LEAD_IDS"]:
        raise _refuse(index, "Invalid Lead ID", "lead_id must be an integer.")
    lead_id = _integer(raw)
    if lead_id is None:
        raise _refuse(index, "Invalid Lead ID", "lead_id must be an integer (Meta's lead id, not hashed).")
    lead = call.state.store.get(str(lead_id), "lead")
    if lead is None:
        raise _refuse(index, "Unknown Lead ID", "lead_id doesn't match any lead of Meta's Lead Ads.")
    if event_time < int(lead["created"]):
        raise _refuse(index, "Event Before Lead", "event_time is before the lead was created.")
