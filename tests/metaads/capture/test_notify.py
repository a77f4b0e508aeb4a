"""New-lead emails through a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import socket
import typing as t

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from tests.metaads.conftest import deliver


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: t.Any, session: t.Any, envelope: t.Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> t.Iterator[tuple[Inbox, int]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def config_overrides(config_overrides: dict[str, t.Any], smtp: tuple[Inbox, int]) -> dict[str, t.Any]:
    return {
        **config_overrides,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp[1],
        "MAIL_USE_TLS": False,
        "METAADS_NOTIFY_TO": ["sales@example.com"],
        "METAADS_PUBLIC_URL": "https://crm.example.com",
    }


def test_new_leads_are_emailed_with_links(
    app: Flask, client: FlaskClient, graph: SandboxState, connected: int, smtp: tuple[Inbox, int]
) -> None:
    inbox = smtp[0]
    inbox.messages.clear()  # the backfill of the connect already told the team
    lead = graph.create_lead(graph.seed.forms["standard"], [{"name": "full_name", "values": ["Ada Lovelace"]}])
    deliver(client, graph, [lead["id"]])
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "sales@example.com" and "1 new lead" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    from metaads.models import Lead

    stored = db.session.query(Lead).filter_by(meta_lead_id=lead["id"]).one()
    assert f"Ada Lovelace: https://crm.example.com/admin/meta-ads/leads/{stored.id}" in body


def test_assigned_leads_go_to_the_assignee(app: Flask, smtp: tuple[Inbox, int], admin: t.Any) -> None:
    import datetime as dt

    from metaads.capture.notify import notify_new_leads
    from metaads.models import Lead

    lead = Lead(meta_lead_id="1", created_time=dt.datetime.now(dt.UTC), assigned_to=str(admin.id), full_name="Bo")
    db.session.add(lead)
    db.session.commit()
    assert notify_new_leads([lead.id]) == 1
    assert smtp[0].messages[-1]["To"] == admin.email
