"""The Facebook webhook endpoint: verification, signature check on the raw body, and dispatch of
every ``entry[].changes[]`` item to the handler registered for its field.

Meta keeps nothing it sends and retries for 36 hours, so the contract is: 200 only after every
handler has stored what it needs; any failure to store answers 5xx, and Meta sends it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import time
import typing as t

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, has_app_context, request
from werkzeug.exceptions import Forbidden, HTTPException, ServiceUnavailable
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wsgi import get_input_stream

from plugins.core.extensions import db
from plugins.core.http import error_body
from plugins.core.models import utcnow
from plugins.socials.models import SocialPage
from plugins.socials.registry import WebhookChange, socials_state

log = logging.getLogger(__name__)

bp = Blueprint("socials_webhooks", __name__, url_prefix="/webhooks/social")

#: How stale a page's ``last_webhook_at`` may get before a delivery refreshes it: refreshing it on
#: every delivery would add a write to the hottest path for a value shown to the minute.
LAST_WEBHOOK_RESOLUTION_SECONDS = 60


@bp.get("/facebook")
@bp.get("/facebook/leadgen", endpoint="facebook_leadgen_verify")
def verify() -> Response:
    """Meta's subscription check: echo ``hub.challenge`` when the verify token matches."""
    expected = current_app.config.get("FACEBOOK_WEBHOOK_VERIFY_TOKEN") or ""
    given = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    if request.args.get("hub.mode") != "subscribe" or not expected:
        raise Forbidden("Not a subscription request for this endpoint.")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("The verify token does not match.")
    # text/plain and digits only: the challenge is reflected, so it must never become HTML.
    if not challenge.isdigit() or len(challenge) > 64:
        raise Forbidden("The challenge must be a number.")
    return Response(challenge, mimetype="text/plain")


#: The POST side answers Meta's deliveries, which come in bursts of thousands per second (36 hours
#: of retries flushed at once), so it runs in front of Flask as a bare WSGI callable:
#: Flask's request cycle (routing, session, CSRF, login, HTML-oriented headers) costs as much CPU
#: as the work itself and none of it applies to a signed JSON POST without cookies.
RECEIVER_PATHS = frozenset({"/webhooks/social/facebook", "/webhooks/social/facebook/leadgen"})

#: What every answer carries: JSON that no browser sniffs or caches.
ANSWER_HEADERS = [("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")]

StartResponse = t.Callable[..., t.Any]
WSGIApp = t.Callable[[dict[str, t.Any], StartResponse], t.Iterable[bytes]]


class WebhookReceiver:
    """Serves ``POST`` to the webhook paths; hands every other request to the wrapped app."""

    def __init__(self, app: Flask, wrapped: WSGIApp) -> None:
        self.app = app
        self.wrapped = wrapped

    def __call__(self, environ: dict[str, t.Any], start_response: StartResponse) -> t.Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") not in RECEIVER_PATHS:
            return self.wrapped(environ, start_response)
        # Like Flask: reuse the app context already pushed for this app (tests, CLI), else push one.
        pushed = has_app_context() and current_app._get_current_object() is self.app  # type: ignore[attr-defined]
        with contextlib.nullcontext() if pushed else self.app.app_context():
            status, answer = self.answer(environ)
        body = json.dumps(answer).encode()
        start_response(f"{status} {HTTP_STATUS_CODES[status]}", [*ANSWER_HEADERS, ("Content-Length", str(len(body)))])
        return [body]

    def answer(self, environ: dict[str, t.Any]) -> tuple[int, dict[str, t.Any]]:
        try:
            limit = self.app.config.get("MAX_CONTENT_LENGTH")
            body = get_input_stream(environ, max_content_length=limit).read()
            received = receive(body, environ.get("HTTP_X_HUB_SIGNATURE_256"))
        except HTTPException as exc:
            status = exc.code or 500
            return status, error_body(status, exc.description or "")
        except Exception:
            propagate = self.app.config["PROPAGATE_EXCEPTIONS"]
            if propagate or (propagate is None and (self.app.testing or self.app.debug)):
                raise  # as Flask does: tests and the debugger see the error itself
            log.exception("webhook delivery failed; answering 500 so Meta retries")
            return 500, error_body(500, "Not stored; send it again.")
        return 200, received


def receive(body: bytes, signature: str | None) -> dict[str, t.Any]:
    """Check, parse and store one delivery; raises ``Forbidden``/``ServiceUnavailable``.

    A repeated signature header reaches WSGI joined by commas, so it never matches: refused."""
    check_signature(body, signature)
    payload = parse(body)
    changes = list(iter_changes(payload)) if payload is not None else None
    state = socials_state()
    try:
        if changes is None:
            state.handle_malformed(body, "the body is not a Facebook webhook payload")
            return {"received": 0, "kept": "malformed"}
        dispatch(changes)
        touch_pages({change.entry_id for change in changes if is_page_id(change.entry_id)})
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        log.error("webhook not stored (%s); answering 503 so Meta retries", type(exc).__name__)
        raise ServiceUnavailable("Not stored; send it again.") from None
    return {"received": len(changes)}


def check_signature(body: bytes, header: str | None) -> None:
    """``sha256=<lowercase hex HMAC-SHA256(app secret, raw body)>``, compared in constant time,
    before the body is parsed at all."""
    secret = current_app.config.get("FACEBOOK_CLIENT_SECRET")
    if not secret:
        log.error("FACEBOOK_CLIENT_SECRET is not set: webhooks cannot be verified")
        raise ServiceUnavailable("Webhooks are not configured.")
    if not header:
        raise Forbidden("An X-Hub-Signature-256 header is required.")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header.encode(), expected.encode()):
        log.warning("webhook with a bad signature refused (%d bytes)", len(body))
        raise Forbidden("The signature does not match.")


def parse(body: bytes) -> dict[str, t.Any] | None:
    """Numbers stay exact strings: Meta's ids may arrive as bare JSON numbers above 2**53."""
    try:
        payload = json.loads(body, parse_int=str, parse_float=str)
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        return None
    return payload


def iter_changes(payload: dict[str, t.Any]) -> t.Iterator[WebhookChange]:
    object_type = payload.get("object")
    for entry in payload["entry"]:
        if not isinstance(entry, dict):
            continue
        # Numbers were parsed to strings; anything else in these places (a list nested a
        # thousand levels deep, say) is no id, and writing it out as one would only fail.
        entry_id = entry.get("id")
        changes = entry.get("changes")
        for change in changes if isinstance(changes, list) else []:
            if isinstance(change, dict) and isinstance(change.get("field"), str):
                yield WebhookChange(
                    object=object_type if isinstance(object_type, str) else None,
                    entry_id=entry_id if isinstance(entry_id, str) else None,
                    entry_time=entry.get("time"),
                    field=change["field"],
                    value=change.get("value"),
                )


def dispatch(changes: list[WebhookChange]) -> None:
    handlers = socials_state().webhook_handlers
    by_field: dict[str, list[WebhookChange]] = {}
    for change in changes:
        by_field.setdefault(change.field, []).append(change)
    for field, field_changes in by_field.items():
        handler = handlers.get(field)
        if handler is None:
            log.info("webhook field %r has no handler; %d changes ignored", field, len(field_changes))
            continue
        handler(field_changes)


def is_page_id(value: str | None) -> t.TypeGuard[str]:
    """Meta's page ids are numbers: anything else sent as one (NUL characters, lone surrogates,
    a thousand digits) matches no page, and PostgreSQL would refuse some of it outright."""
    return value is not None and value.isascii() and value.isdigit() and len(value) <= 64


def touch_pages(page_ids: set[str]) -> None:
    """Refresh ``last_webhook_at`` at most once a minute per page and process: the write is off
    the hot path for all but the first delivery of each minute."""
    touched = socials_state().pages_touched
    now_mono = time.monotonic()
    stale = {
        p for p in page_ids if now_mono - touched.get(p, -LAST_WEBHOOK_RESOLUTION_SECONDS) >= LAST_WEBHOOK_RESOLUTION_SECONDS
    }
    if not stale:
        return
    now = utcnow()
    table = SocialPage.__table__
    db.session.execute(sa.update(table).where(table.c.page_id.in_(stale)).values(last_webhook_at=now))
    db.session.commit()
    for page_id in stale:
        touched[page_id] = now_mono
