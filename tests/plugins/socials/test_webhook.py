"""The Facebook webhook endpoint: verification, signatures on the raw bytes, dispatch by field."""

from __future__ import annotations

import hashlib
import hmac
import json
import typing as t

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from plugins.core.extensions import db
from plugins.socials.models import SocialPage, SocialPlatform
from plugins.socials.registry import WebhookChange, socials_state

SECRET = "sandbox-app-secret"
URLS = ["/webhooks/social/facebook", "/webhooks/social/facebook/leadgen"]

# meta-graph.md §1.4: a captured body and its signature with the secret "test_app_secret".
CAPTURED = (
    b'{"object":"page","entry":[{"id":"102858741624226","time":1640876343,"changes":[{"value":{"ad_id":"23849651968300182",'
    b'"form_id":"82595106832717","leadgen_id":"769224190664558","created_time":1640876342,"page_id":"102858741624226",'
    b'"adgroup_id":"23849651968300182"},"field":"leadgen"}]}]}'
)
CAPTURED_SIGNATURE = "sha256=72c577f17943e34c67bfa48ba34e7d147f64c30665d4ef0784cedd5af5884b47"


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(client: FlaskClient, body: bytes, signature: str | t.Literal[False] | None = None, url: str = URLS[0]) -> t.Any:
    """Signed correctly unless ``signature`` is given; ``False`` sends no signature header."""
    headers = {"Content-Type": "application/json"}
    if signature is not False:
        headers["X-Hub-Signature-256"] = sign(body) if signature is None else signature
    return client.post(url, data=body, headers=headers)


@pytest.fixture
def received(app: Flask) -> list[WebhookChange]:
    seen: list[WebhookChange] = []
    socials_state(app).register_webhook_handler("feed", seen.extend)
    return seen


def feed_body(*ids: object, raw: bool = False) -> bytes:
    changes = [{"field": "feed", "value": {"post_id": i}} for i in ids]
    return json.dumps({"object": "page", "entry": [{"id": "1", "time": 1, "changes": changes}]}).encode()


@pytest.mark.parametrize("url", URLS)
def test_verification_echoes_the_challenge_as_text(client: FlaskClient, url: str) -> None:
    response = client.get(f"{url}?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and response.get_data(as_text=True) == "1158201444"


@pytest.mark.parametrize(
    "query",
    [
        "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
        "hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1",
        "hub.verify_token=verify-me&hub.challenge=1",
        "hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=%3Cscript%3Ealert(1)%3C/script%3E",
    ],
)
def test_verification_refusals(client: FlaskClient, query: str) -> None:
    response = client.get(f"{URLS[0]}?{query}")
    assert response.status_code == 403
    assert "<script>" not in response.get_data(as_text=True)


def test_the_documented_test_vector(app: Flask, client: FlaskClient) -> None:
    from metaads.models import WebhookInbox

    app.config["FACEBOOK_CLIENT_SECRET"] = "test_app_secret"
    assert post(client, CAPTURED, CAPTURED_SIGNATURE).status_code == 200
    row = db.session.execute(sa.select(WebhookInbox)).scalar_one()
    assert (row.leadgen_id, row.page_id, row.form_id) == ("769224190664558", "102858741624226", "82595106832717")


@pytest.mark.parametrize(
    "signature",
    [
        sign(b'{"object":"page","entry":[{}]}'),  # valid, but for another body
        "",
        "sha256=",
        "sha1=01938f3b6bd729c8e04ba10e13852d2aa2d6c04e",
        "SHA256=" + sign(b"{}")[7:],
        "sha256=" + sign(b'{"object":"page","entry":[]}')[7:].upper(),
        "sha256=abc",
        False,  # no header at all
    ],
)
def test_bad_signatures_are_refused_and_nothing_is_dispatched(
    client: FlaskClient, received: list[WebhookChange], signature: t.Any
) -> None:
    body = b'{"object":"page","entry":[]}'
    response = post(client, body, signature)
    assert response.status_code == 403
    assert received == []


def test_signature_is_over_the_raw_bytes(client: FlaskClient, received: list[WebhookChange]) -> None:
    body = b'{"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": {"x": "\\u00e4"}}]}]}'
    reserialised = json.dumps(json.loads(body), separators=(",", ":")).encode()
    assert post(client, body, sign(reserialised)).status_code == 403
    assert post(client, body, sign(body)).status_code == 200
    assert received[0].value == {"x": "ä"}


def test_repeated_signature_header_is_refused(client: FlaskClient, received: list[WebhookChange]) -> None:
    body = feed_body("1")
    response = client.post(URLS[0], data=body, headers=[("X-Hub-Signature-256", sign(body)), ("X-Hub-Signature-256", sign(body))])
    assert response.status_code == 403 and received == []


def test_batched_changes_reach_the_handler_in_one_call(app: Flask, client: FlaskClient) -> None:
    calls: list[list[WebhookChange]] = []
    socials_state(app).register_webhook_handler("feed", calls.append)
    payload = {
        "object": "page",
        "entry": [
            {"id": "11", "time": 5, "changes": [{"field": "feed", "value": {"n": 1}}, {"field": "other", "value": {}}]},
            {"id": "12", "time": 6, "changes": [{"field": "feed", "value": {"n": 2}}]},
        ],
    }
    body = json.dumps(payload).encode()
    response = post(client, body)
    assert response.status_code == 200 and response.get_json() == {"received": 3}
    assert len(calls) == 1
    assert [(c.entry_id, c.value["n"]) for c in calls[0]] == [("11", "1"), ("12", "2")]


def test_big_numbers_stay_exact(client: FlaskClient, received: list[WebhookChange]) -> None:
    big = "123456789012345678901234567890"
    body = (
        '{"object":"page","entry":[{"id":99999999999999999,"time":1,"changes":[{"field":"feed","value":{"id":' + big + "}}]}]}"
    ).encode()
    assert post(client, body).status_code == 200
    assert received[0].value["id"] == big and received[0].entry_id == "99999999999999999"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"object":"page"}', b'{"entry":"x"}', b"[" * 5000 + b"]" * 5000, b"\x00\xff"],
)
def test_signed_malformed_bodies_are_kept_not_5xx(app: Flask, client: FlaskClient, body: bytes) -> None:
    kept: list[tuple[bytes, str]] = []
    socials_state(app).register_malformed_handler(lambda raw, why: kept.append((raw, why)))
    response = post(client, body)
    assert response.status_code == 200
    assert kept == [(body, "the body is not a Facebook webhook payload")]


def test_odd_items_inside_a_valid_payload_are_skipped(client: FlaskClient, received: list[WebhookChange]) -> None:
    body = b'{"object":"page","entry":[1,{"id":"1"},{"changes":[null,{"field":5},{"field":"feed","value":null}]}]}'
    assert post(client, body).status_code == 200
    assert [c.value for c in received] == [None]


def test_a_handler_that_cannot_store_makes_meta_retry(app: Flask, client: FlaskClient) -> None:
    def broken(changes: list[WebhookChange]) -> None:
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is down"))

    socials_state(app).register_webhook_handler("feed", broken)
    response = post(client, feed_body("1"))
    assert response.status_code == 503


def test_unconfigured_secret_is_503_not_200(app: Flask, client: FlaskClient) -> None:
    app.config["FACEBOOK_CLIENT_SECRET"] = None
    assert post(client, feed_body("1")).status_code == 503


def test_oversized_delivery_is_413(client: FlaskClient) -> None:
    body = b'{"object":"page","entry":[' + b" " * (1024 * 1024) + b"]}"
    assert post(client, body).status_code == 413


def test_last_webhook_time_is_kept_per_page(client: FlaskClient, received: list[WebhookChange]) -> None:
    platform = SocialPlatform(name="Biz")
    platform.pages.append(SocialPage(page_id="1", name="Shop"))
    db.session.add(platform)
    db.session.commit()
    assert post(client, feed_body("1")).status_code == 200
    db.session.expire_all()
    assert db.session.execute(sa.select(SocialPage.last_webhook_at)).scalar_one() is not None


def test_webhook_needs_no_csrf_token_and_no_login(client: FlaskClient, received: list[WebhookChange]) -> None:
    assert post(client, feed_body("7")).status_code == 200
    assert received[0].value == {"post_id": "7"}


# -- the receiver in front of Flask ---------------------------------------------------------------


def test_answers_are_json_that_is_neither_sniffed_nor_cached(client: FlaskClient, received: list[WebhookChange]) -> None:
    ok = post(client, feed_body("1"))
    refused = post(client, feed_body("1"), signature="sha256=abc")
    for response in (ok, refused):
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Length"] == str(len(response.get_data()))
    assert ok.get_json() == {"received": 1}
    assert refused.status_code == 403
    assert refused.get_json()["error"] == {"code": "forbidden", "message": "The signature does not match.", "details": {}}


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_reach_flask(client: FlaskClient, received: list[WebhookChange], method: str) -> None:
    body = feed_body("1")
    response = client.open(URLS[0], method=method, data=body, headers={"X-Hub-Signature-256": sign(body)})
    assert response.status_code == 405 and received == []


def test_an_unexpected_failure_is_a_logged_500_for_meta_to_retry(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    def buggy(changes: list[WebhookChange]) -> None:
        raise KeyError("a bug")

    socials_state(app).register_webhook_handler("feed", buggy)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = post(client, feed_body("1"))
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "internal_error"
    assert "webhook delivery failed" in caplog.text
    app.config["PROPAGATE_EXCEPTIONS"] = None  # testing: a bug reaches the test instead
    with pytest.raises(KeyError):
        post(client, feed_body("1"))


def test_served_when_the_platform_mounts_the_app_under_a_prefix(app: Flask, received: list[WebhookChange]) -> None:
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    mounted = Client(DispatcherMiddleware(Response("host", status=404), {"/platform": app}))
    body = feed_body("5")
    response = mounted.post("/platform" + URLS[0], data=body, headers={"X-Hub-Signature-256": sign(body)})
    assert response.status_code == 200 and received[0].value == {"post_id": "5"}
    assert mounted.post(URLS[0], data=body, headers={"X-Hub-Signature-256": sign(body)}).status_code == 404
