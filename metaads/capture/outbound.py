"""Outbound webhooks (CRM sync): every new lead and status change is POSTed as JSON to each
configured endpoint, signed with HMAC-SHA256, retried with backoff, and logged per delivery.

``METAADS_OUTBOUND_WEBHOOKS`` is a list of ``{"url", "secret", "events"}``; events are
``lead.created`` and ``lead.status_changed`` (all when omitted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import typing as t

import requests
import sqlalchemy as sa
from flask import Flask, current_app

from metaads.graph.retry import Backoff
from metaads.models import Lead, OutboundDelivery
from metaads.schemas import LeadSchema
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.models import utcnow

log = logging.getLogger(__name__)

EVENTS = ("lead.created", "lead.status_changed")
MAX_ATTEMPTS = 12
TIMEOUT = 10
SIGNATURE_HEADER = "X-Metaads-Signature-256"
#: A failed delivery is tried again after 30 s, 1 min, 2 min, … (at least half that), capped at
#: 6 hours: a CRM that is down for a while gets a few calls, not a flood.
DELIVERY_BACKOFF = Backoff(base=30.0, cap=6 * 3600.0, floor=0.5)


def endpoints(event: str) -> list[dict[str, t.Any]]:
    return [hook for hook in current_app.config["METAADS_OUTBOUND_WEBHOOKS"] if event in hook.get("events", EVENTS)]


def queue_event(event: str, lead_ids: t.Sequence[int], extra: dict[str, t.Any] | None = None) -> int:
    """One delivery per lead per endpoint, recorded first, then handed to a worker."""
    hooks = endpoints(event)
    if not hooks or not lead_ids:
        return 0
    leads = db.session.execute(sa.select(Lead).where(Lead.id.in_(lead_ids), Lead.erased_at.is_(None))).scalars().all()
    rows = [
        OutboundDelivery(
            url=hook["url"],
            event=event,
            lead_id=lead.id,
            payload={"event": event, "lead": LeadSchema().dump(lead), **(extra or {})},
        )
        for hook in hooks
        for lead in leads
    ]
    db.session.add_all(rows)
    db.session.commit()
    for row in rows:
        try:
            jobs.enqueue(deliver, row.id, queue="metaads-low")
        except Exception:  # the sweeper sends it when it is due
            log.warning("could not enqueue outbound delivery %s", row.id)
    return len(rows)


def push_new_leads(lead_ids: list[int]) -> int:
    return queue_event("lead.created", lead_ids)


def deliver(delivery_id: int) -> str:
    row = db.session.get(OutboundDelivery, delivery_id)
    if row is None or row.status != "pending":
        return "skipped"
    hook = next((h for h in current_app.config["METAADS_OUTBOUND_WEBHOOKS"] if h["url"] == row.url), None)
    if hook is None:
        return settle(row, "failed", error="This endpoint is no longer configured.")
    body = json.dumps(row.payload, separators=(",", ":"), default=str).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "metaads-webhooks/1",
        "X-Metaads-Event": row.event,
        "X-Metaads-Delivery": str(row.id),
        SIGNATURE_HEADER: "sha256=" + hmac.new(str(hook.get("secret", "")).encode(), body, hashlib.sha256).hexdigest(),
    }
    row.attempts += 1
    try:
        response = requests.post(row.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        return retry_or_fail(row, None, type(exc).__name__)
    if 200 <= response.status_code < 300:
        return settle(row, "delivered", status=response.status_code)
    return retry_or_fail(row, response.status_code, f"HTTP {response.status_code}")


def retry_or_fail(row: OutboundDelivery, status: int | None, error: str) -> str:
    if row.attempts >= MAX_ATTEMPTS:
        return settle(row, "failed", status=status, error=error)
    wait = DELIVERY_BACKOFF.delay(row.attempts - 1)  # attempts counts the delivery that just failed
    row.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
    settle(row, "pending", status=status, error=error)
    jobs.enqueue(deliver, row.id, queue="metaads-low", delay=dt.timedelta(seconds=wait))
    return "retrying"


def settle(row: OutboundDelivery, outcome: str, *, status: int | None = None, error: str | None = None) -> str:
    row.status = outcome
    row.response_status = status
    row.last_error = error
    if outcome == "delivered":
        row.delivered_at = utcnow()
        row.next_attempt_at = None
    db.session.commit()
    return outcome


def sweep_outbound() -> int:
    """Deliveries whose retry is due but whose delayed job was lost (Redis restarted)."""
    due = (
        db.session.execute(
            sa.select(OutboundDelivery.id)
            .where(
                OutboundDelivery.status == "pending",
                sa.or_(
                    OutboundDelivery.next_attempt_at.is_(None),
                    OutboundDelivery.next_attempt_at <= utcnow() - dt.timedelta(minutes=5),
                ),
            )
            .limit(1000)
        )
        .scalars()
        .all()
    )
    for delivery_id in due:
        jobs.enqueue(deliver, delivery_id, queue="metaads-low")
    return len(due)


def on_status_changed(
    sender: Flask, lead_id: int, from_status: str | None = None, to_status: str | None = None, **_: t.Any
) -> None:
    """Connected to ``lead_status_changed``: push the change to the CRM too."""
    queue_event("lead.status_changed", [lead_id], {"from_status": from_status, "to_status": to_status})
