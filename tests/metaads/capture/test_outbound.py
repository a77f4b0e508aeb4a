"""Outbound webhooks (CRM sync): signed JSON per new lead, retried with backoff, logged."""

from __future__ import annotations

import hashlib
import hmac
import json
import typing as t

import flask
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.models import OutboundDelivery
from metaads.sandbox import SandboxState, serve_in_thread
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.models import utcnow
from tests.metaads.conftest import deliver

SECRET = "crm-shared-secret"


class Crm:
    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.answers: list[int] = []


@pytest.fixture
def crm() -> t.Iterator[tuple[Crm, str]]:
    app = flask.Flask("crm")
    state = Crm()

    @app.post("/hooks/leads")
    def hook() -> tuple[str, int]:
        state.received.append((flask.request.get_data(), dict(flask.request.headers)))
        return "", state.answers.pop(0) if state.answers else 200

    url, stop = serve_in_thread(app)
    yield state, url + "hooks/leads"
    stop()


@pytest.fixture
def config_overrides(config_overrides: dict[str, t.Any], crm: tuple[Crm, str]) -> dict[str, t.Any]:
    return {**config_overrides, "METAADS_OUTBOUND_WEBHOOKS": [{"url": crm[1], "secret": SECRET}]}


def test_a_new_lead_is_pushed_signed(
    app: Flask, client: FlaskClient, graph: SandboxState, connected: int, crm: tuple[Crm, str]
) -> None:
    state, _ = crm
    state.received.clear()  # the backfill's leads were pushed too
    lead = graph.create_lead(graph.seed.forms["standard"])
    deliver(client, graph, [lead["id"]])
    assert len(state.received) == 1
    body, headers = state.received[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Metaads-Signature-256"], expected)
    payload = json.loads(body)
    assert payload["event"] == "lead.created" and payload["lead"]["meta_lead_id"] == lead["id"]
    row = db.session.execute(sa.select(OutboundDelivery).order_by(OutboundDelivery.id.desc())).scalars().first()
    assert row is not None and row.status == "delivered" and row.response_status == 200


def test_a_failing_crm_is_retried_with_backoff(
    app: Flask, client: FlaskClient, graph: SandboxState, connected: int, crm: tuple[Crm, str]
) -> None:
    state, _ = crm
    state.answers = [503]
    lead = graph.create_lead(graph.seed.forms["standard"])
    deliver(client, graph, [lead["id"]])
    db.session.expire_all()
    row = db.session.execute(sa.select(OutboundDelivery).order_by(OutboundDelivery.id.desc())).scalars().first()
    assert row is not None and (row.status, row.response_status, row.attempts) == ("pending", 503, 1)
    assert row.next_attempt_at is not None and row.next_attempt_at > utcnow()
    jobs.runner().run_deferred()
    db.session.expire_all()
    assert db.session.get(OutboundDelivery, row.id).status == "delivered"  # type: ignore[union-attr]


def test_status_change_signal_pushes_too(app: Flask, graph: SandboxState, connected: int, crm: tuple[Crm, str]) -> None:
    from metaads.models import Lead
    from metaads.signals import lead_status_changed

    state, _ = crm
    state.received.clear()
    lead = db.session.execute(sa.select(Lead)).scalars().first()
    assert lead is not None
    lead_status_changed.send(app, lead_id=lead.id, from_status="new", to_status="contacted", user_id=None)
    assert json.loads(state.received[-1][0])["to_status"] == "contacted"
