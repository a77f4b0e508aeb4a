"""``/_sandbox/...``: the Python API of SandboxState over HTTP+JSON, for local dev and tests."""

from __future__ import annotations

import dataclasses
import re
import typing as t

import flask

if t.TYPE_CHECKING:
    from metaads.sandbox.state import SandboxState

control = flask.Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")
Reply = flask.Response | tuple[flask.Response, int]


def _state() -> SandboxState:
    return t.cast("SandboxState", flask.current_app.extensions["sandbox"])


def _body() -> dict[str, t.Any]:
    body = flask.request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _bad(message: str) -> tuple[flask.Response, int]:
    return flask.jsonify(error={"message": message}), 400


@control.post("/leads")
def create_leads() -> Reply:
    """Body: form_id, count (1), field_data, created_time, ad (true | false | ad id), platform,
    and to deliver webhooks: webhook_url (or deliver: true for the app's subscription), batch,
    duplicates, big_number_ids, app_secret."""
    body, state = _body(), _state()
    try:
        leads = [
            state.create_lead(
                body["form_id"],
                body.get("field_data"),
                created_time=body.get("created_time"),
                ad=body.get("ad", True),
                platform=body.get("platform", "fb"),
                custom_disclaimer_responses=body.get("custom_disclaimer_responses"),
            )
            for _ in range(int(body.get("count", 1)))
        ]
    except KeyError as exc:
        return _bad(f"unknown or missing {exc}")
    url = body.get("webhook_url") or (state.subscribed_callback(leads[0]["page_id"]) if body.get("deliver") and leads else None)
    statuses = (
        state.deliver_webhook(
            url,
            leads,
            batch=int(body.get("batch", 1)),
            duplicates=int(body.get("duplicates", 0)),
            big_number_ids=bool(body.get("big_number_ids")),
            app_secret=body.get("app_secret"),
        )
        if url
        else []
    )
    return flask.jsonify(leads=leads, webhook_statuses=statuses), 201


@control.post("/leads/bulk")
def bulk_leads() -> Reply:
    body = _body()
    try:
        ids = _state().bulk_leads(body["form_id"], int(body.get("count", 100)), days=float(body.get("days", 30)))
    except KeyError as exc:
        return _bad(f"unknown or missing {exc}")
    return flask.jsonify(count=len(ids), first=ids[:1], last=ids[-1:]), 201


@control.get("/faults")
def list_faults() -> Reply:
    return flask.jsonify(faults=[dataclasses.asdict(rule) for rule in _state().faults.rules])


@control.post("/faults")
def add_fault() -> Reply:
    try:
        fault_id = _state().add_fault(**_body())
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    return flask.jsonify(id=fault_id), 201


@control.delete("/faults")
def clear_faults() -> Reply:
    _state().clear_faults()
    return flask.jsonify(success=True)


@control.delete("/faults/<fault_id>")
def remove_fault(fault_id: str) -> Reply:
    return flask.jsonify(success=_state().faults.remove(fault_id))


@control.get("/calls")
def list_calls() -> Reply:
    """Query: path (regex), method."""
    pattern, method = flask.request.args.get("path"), flask.request.args.get("method")
    calls = [
        c
        for c in list(_state().calls)
        if (not pattern or re.search(pattern, c["path"])) and (not method or c["method"] == method.upper())
    ]
    return flask.jsonify(calls=calls)


@control.delete("/calls")
def clear_calls() -> Reply:
    _state().clear_calls()
    return flask.jsonify(success=True)


@control.post("/tokens/revoke")
def revoke_token() -> Reply:
    body = _body()
    try:
        _state().revoke_token(body["token"], int(body.get("subcode", 460)))
    except KeyError:
        return _bad("unknown token")
    return flask.jsonify(success=True)


@control.post("/tokens/expire")
def expire_token() -> Reply:
    try:
        _state().expire_token(_body()["token"])
    except KeyError:
        return _bad("unknown token")
    return flask.jsonify(success=True)


@control.post("/leads-access")
def leads_access() -> Reply:
    body = _body()
    _state().set_leads_access(str(body.get("page_id")), bool(body.get("allowed", False)))
    return flask.jsonify(success=True)


@control.post("/clock")
def advance_clock() -> Reply:
    _state().advance_clock(float(_body().get("advance", 0)))
    return flask.jsonify(now=_state().now())


@control.post("/config")
def configure() -> Reply:
    """Body: config keys to change live, e.g. {"LATENCY_MS": 30} or {"USAGE_BUDGETS": {"ads_management": 50}}."""
    try:
        return flask.jsonify(_state().configure(**_body()))
    except ValueError as exc:
        return _bad(str(exc))


@control.post("/objects/<object_id>")
def change_object(object_id: str) -> Reply:
    """Change a campaign, ad set or ad "at Meta" (no validation): body e.g. {"status": "DELETED"},
    {"status": "ARCHIVED"}, {"name": "x", "daily_budget": 2000}; "updated" (Unix) to backdate."""
    try:
        obj = _state().change_object(object_id, **_body())
    except KeyError as exc:
        return _bad(str(exc))
    return flask.jsonify(id=obj["id"], status=obj["status"], updated=obj["updated"])


@control.post("/ads/bulk")
def bulk_ads() -> Reply:
    """Body: account_id ("act_..."), campaigns, adsets (per campaign), ads (per ad set), status,
    form_id, days (how long ago they were created; 90)."""
    body = _body()
    try:
        made = _state().bulk_ads(
            str(body["account_id"]),
            int(body.get("campaigns", 1)),
            int(body.get("adsets", 1)),
            int(body.get("ads", 1)),
            status=str(body.get("status", "ACTIVE")),
            form_id=body.get("form_id"),
            days=float(body.get("days", 90)),
        )
    except KeyError as exc:
        return _bad(f"unknown or missing {exc}")
    return flask.jsonify(made), 201


@control.post("/insights/restate")
def restate() -> Reply:
    """Body: ad_id, day ("YYYY-MM-DD", account time zone) and any of impressions, clicks, reach,
    spend (minor units), leads — the new numbers of that day."""
    body = _body()
    numbers = {k: v for k, v in body.items() if k not in ("ad_id", "day")}
    try:
        _state().restate(str(body["ad_id"]), str(body["day"]), **numbers)
    except (KeyError, ValueError) as exc:
        return _bad(str(exc))
    return flask.jsonify(success=True)


@control.post("/datasets")
def add_dataset() -> Reply:
    return flask.jsonify(id=_state().add_dataset(str(_body().get("name", "Sandbox CRM dataset")))), 201


@control.get("/datasets/<dataset_id>/events")
def dataset_events(dataset_id: str) -> Reply:
    """What POST /{dataset_id}/events accepted; query test_event_code to keep only those."""
    code = flask.request.args.get("test_event_code")
    events = [e for e in _state().received_events(dataset_id) if code is None or e["test_event_code"] == code]
    return flask.jsonify(events=events, count=len(events))


@control.delete("/datasets/<dataset_id>/events")
def clear_dataset_events(dataset_id: str) -> Reply:
    state = _state()
    with state.lock:
        state.dataset_events[dataset_id] = []
    return flask.jsonify(success=True)


@control.get("/seed")
def seed_info() -> Reply:
    state = _state()
    return flask.jsonify(
        state.seed.as_dict() | {"app_token": state.app_token, "graph_versions": state.config["ACCEPTED_VERSIONS"]}
    )


@control.post("/reset")
def reset() -> Reply:
    _state().reset()
    return flask.jsonify(success=True)
