"""Leadgen webhooks (§1): exact bytes, signatures, batching, duplicates, big-number ids, and
delivery through the app's subscription."""

from __future__ import annotations

import hashlib
import hmac
import json

import requests

from metaads.sandbox import SandboxState, signature_headers
from metaads.sandbox.webhooks import RawNumber, encode, envelopes
from tests.metaads.sandbox.conftest import Graph, Receiver, error_of

CAPTURED = (
    b'{"object":"page","entry":[{"id":"102858741624226","time":1640876343,"changes":[{"value":'
    b'{"ad_id":"23849651968300182","form_id":"82595106832717","leadgen_id":"769224190664558",'
    b'"created_time":1640876342,"page_id":"102858741624226","adgroup_id":"23849651968300182"},'
    b'"field":"leadgen"}]}]}'
)


def test_signature_test_vector_from_the_fact_sheet() -> None:
    headers = signature_headers(CAPTURED, "test_app_secret")
    assert headers["X-Hub-Signature-256"] == ("sha256=72c577f17943e34c67bfa48ba34e7d147f64c30665d4ef0784cedd5af5884b47")
    assert headers["X-Hub-Signature"] == "sha1=01938f3b6bd729c8e04ba10e13852d2aa2d6c04e"


def test_envelope_reproduces_the_captured_payload_byte_for_byte() -> None:
    lead = {
        "id": "769224190664558",
        "form_id": "82595106832717",
        "page_id": "102858741624226",
        "ad_id": "23849651968300182",
        "created_timestamp": 1640876342,
    }
    [envelope] = envelopes([lead], sent_at=1640876343)
    assert encode(envelope).encode() == CAPTURED


def test_encoding_escapes_like_meta() -> None:
    assert (
        encode({"a": "x/y äöå", "n": RawNumber("23849651968300182")})
        == '{"a":"x\\/y \\u00e4\\u00f6\\u00e5","n":23849651968300182}'
    )


def _verify(raw: bytes, headers: dict[str, str], secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Hub-Signature-256"], expected)


def test_delivery_is_signed_over_the_raw_body(state: SandboxState, receiver: Receiver) -> None:
    lead = state.create_lead(state.seed.forms["custom"], {"full_name": "Ñandú"})
    assert state.deliver_webhook(receiver.url, [lead]) == [200]
    raw, headers = receiver.received[0]
    assert _verify(raw, headers, state.config["APP_SECRET"])
    assert headers["Content-Type"] == "application/json" and headers["User-Agent"] == "facebookexternalua"
    change = json.loads(raw)["entry"][0]["changes"][0]
    assert change["field"] == "leadgen" and change["value"]["leadgen_id"] == lead["id"]
    assert isinstance(change["value"]["created_time"], int)
    assert change["value"]["ad_id"] == change["value"]["adgroup_id"] == lead["ad_id"]


def test_organic_leads_have_no_ad_ids(state: SandboxState, receiver: Receiver) -> None:
    lead = state.create_lead(state.seed.forms["standard"], ad=False)
    state.deliver_webhook(receiver.url, [lead["id"]], app_secret="other-secret")
    raw, headers = receiver.received[0]
    value = json.loads(raw)["entry"][0]["changes"][0]["value"]
    assert "ad_id" not in value and "adgroup_id" not in value
    assert _verify(raw, headers, "other-secret") and not _verify(raw, headers, state.config["APP_SECRET"])


def test_big_number_ids_keep_every_digit(state: SandboxState, receiver: Receiver) -> None:
    lead = state.create_lead(state.seed.forms["choice"])
    state.deliver_webhook(receiver.url, [lead], big_number_ids=True)
    raw, headers = receiver.received[0]
    text = raw.decode()
    assert f'"leadgen_id":{lead["id"]},' in text and f'"page_id":{lead["page_id"]}' in text
    assert int(lead["id"]) > 2**53
    assert str(json.loads(text)["entry"][0]["changes"][0]["value"]["leadgen_id"]) == lead["id"]
    as_float = json.loads(text, parse_int=float)["entry"][0]["changes"][0]["value"]["leadgen_id"]
    assert str(int(as_float)) != lead["id"]  # why a client must not parse ids as doubles
    assert _verify(raw, headers, state.config["APP_SECRET"])


def test_batching_across_entries_and_duplicates(state: SandboxState, receiver: Receiver) -> None:
    leads = [state.create_lead(state.seed.forms["standard"]) for _ in range(2)]
    leads += [state.create_lead(state.seed.forms["choice"]) for _ in range(3)]
    statuses = state.deliver_webhook(receiver.url, leads, batch=4, duplicates=1)
    assert statuses == [200, 200, 200]
    bodies = [json.loads(raw) for raw, _ in receiver.received]
    first = bodies[0]
    assert [len(entry["changes"]) for entry in first["entry"]] == [2, 2]  # one entry per Page
    assert len(bodies[1]["entry"][0]["changes"]) == 1
    assert receiver.received[2][0] == receiver.received[0][0]  # a retry: same bytes
    delivered = [c["value"]["leadgen_id"] for b in bodies[:2] for e in b["entry"] for c in e["changes"]]
    assert sorted(delivered) == sorted(lead["id"] for lead in leads)


def test_statuses_report_failures(state: SandboxState, receiver: Receiver) -> None:
    receiver.status = 503
    lead = state.create_lead(state.seed.forms["standard"])
    assert state.deliver_webhook(receiver.url, [lead]) == [503]
    assert state.deliver_webhook("http://127.0.0.1:9/nothing", [lead]) == [0]


def test_subscriptions_then_test_lead_arrives(sandbox: Graph, state: SandboxState, receiver: Receiver) -> None:
    app_id, page = state.config["APP_ID"], state.seed.page_ids[1]
    bad = sandbox.post(
        f"{app_id}/subscriptions",
        token=state.app_token,
        object="page",
        callback_url=receiver.url,
        fields="leadgen",
        verify_token="wrong",
        include_values="true",
    )
    assert error_of(bad)["code"] == 2200
    refused = sandbox.post(f"{app_id}/subscriptions", object="page", callback_url=receiver.url, fields="leadgen")
    assert error_of(refused)["code"] == 15  # needs the app token
    ok = sandbox.post(
        f"{app_id}/subscriptions",
        token=state.app_token,
        object="page",
        callback_url=receiver.url,
        fields="leadgen",
        verify_token="s3cret",
        include_values="true",
    )
    assert ok.json() == {"success": True}
    listed = sandbox.get(f"{app_id}/subscriptions", token=state.app_token).json()["data"]
    assert listed[0]["fields"] == [{"name": "leadgen", "version": "v26.0"}] and listed[0]["active"] is True
    token = state.page_tokens[page]
    assert sandbox.post(f"{page}/subscribed_apps", token=token, subscribed_fields="leadgen").json() == {"success": True}
    apps = sandbox.get(f"{page}/subscribed_apps", token=token).json()["data"]
    assert apps[0]["id"] == app_id and apps[0]["subscribed_fields"] == ["leadgen"]
    test_lead = sandbox.post(f"{state.seed.forms['choice']}/test_leads").json()["id"]
    assert receiver.arrived.wait(5)
    value = json.loads(receiver.received[0][0])["entry"][0]["changes"][0]["value"]
    assert value["leadgen_id"] == test_lead and "ad_id" not in value


def test_control_api_creates_and_delivers(sandbox: Graph, state: SandboxState, receiver: Receiver) -> None:
    reply = requests.post(
        sandbox.base_url + "_sandbox/leads",
        json={
            "form_id": state.seed.forms["standard"],
            "count": 3,
            "webhook_url": receiver.url,
            "batch": 3,
            "big_number_ids": True,
        },
        timeout=10,
    )
    assert reply.status_code == 201
    body = reply.json()
    assert len(body["leads"]) == 3 and body["webhook_statuses"] == [200]
    raw = receiver.received[0][0].decode()
    assert all(f'"leadgen_id":{lead["id"]}' in raw for lead in body["leads"])
