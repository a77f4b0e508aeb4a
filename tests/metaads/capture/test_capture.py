"""The lead path end to end against the sandbox: webhook → inbox → Graph → lead, exactly once."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.models import Lead, LeadForm, WebhookInbox
from metaads.models.enums import InboxStatus
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from plugins.persons.models import Person
from plugins.socials.models import SocialPage, SocialPlatform
from tests.metaads.conftest import deliver


def leads_by_meta_id() -> dict[str, Lead]:
    db.session.expire_all()
    return {lead.meta_lead_id: lead for lead in db.session.execute(sa.select(Lead)).scalars()}


def test_connecting_subscribes_pages_and_backfills(app: Flask, graph: SandboxState, connected: int) -> None:
    platform = db.session.get(SocialPlatform, connected)
    assert platform is not None and platform.status == "active"
    pages = db.session.execute(sa.select(SocialPage)).scalars().all()
    assert {p.page_id for p in pages} == set(graph.seed.page_ids)
    assert all(p.leadgen_subscribed for p in pages)
    forms = db.session.execute(sa.select(LeadForm.meta_form_id)).scalars().all()
    assert graph.seed.forms["standard"] in forms
    stored = leads_by_meta_id()
    assert set(graph.seed.lead_ids) <= set(stored), "the 90-day backfill stores every seeded lead"
    assert {lead.source.value for lead in stored.values()} == {"backfill"}


def test_a_webhook_lead_is_stored_with_every_answer(app: Flask, client: FlaskClient, graph: SandboxState, connected: int) -> None:
    lead = graph.create_lead(
        graph.seed.forms["custom"],
        [
            {"name": "full_name", "values": ["Zoë Ünïcödé 李"]},
            {"name": "email", "values": ["ZOE@Example.COM"]},
            {"name": "phone_number", "values": ["+49 151 12345678"]},
            {"name": "número_de_teléfono", "values": ["+34 600 000 000"]},
            {"name": "which_models?", "values": ["city_e_bike", "cargo_family"]},
        ],
    )
    assert deliver(client, graph, [lead["id"]]) == [200]
    stored = leads_by_meta_id()[lead["id"]]
    assert stored.email == "zoe@example.com" and stored.phone == "+4915112345678"
    assert stored.full_name == "Zoë Ünïcödé 李"
    assert stored.field_data == lead["field_data"]  # verbatim, lists kept, custom keys as sent
    assert stored.form_id == graph.seed.forms["custom"] and stored.lead_form_id is not None
    assert stored.source.value == "webhook"
    inbox = db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.leadgen_id == lead["id"])).scalar_one()
    assert inbox.status == InboxStatus.PROCESSED and inbox.lead_id == stored.id
    person = db.session.get(Person, stored.person_id)
    assert person is not None and person.email == "zoe@example.com"


def test_batched_duplicated_big_numbers_each_lead_once(
    app: Flask, client: FlaskClient, graph: SandboxState, connected: int
) -> None:
    form = graph.seed.forms["standard"]
    ids = [graph.create_lead(form)["id"] for _ in range(7)] + [graph.create_lead(form, ad=False)["id"]]
    before = len(leads_by_meta_id())
    statuses = deliver(client, graph, ids, batch=3, big_number_ids=True, duplicates=4)
    statuses += deliver(client, graph, list(reversed(ids)))  # out of order, again
    assert set(statuses) == {200}
    stored = leads_by_meta_id()
    assert len(stored) == before + len(ids)
    assert set(ids) <= set(stored)  # every digit intact
    organic = stored[ids[-1]]
    assert organic.ad_id is None and organic.is_organic is True
    inbox = db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.leadgen_id.in_(ids))).scalars().all()
    assert len(inbox) == len(ids)
    assert all(row.deliveries >= 5 for row in inbox)


def test_lead_for_an_unconnected_page_waits_then_arrives_after_connecting(
    app: Flask, client: FlaskClient, graph: SandboxState
) -> None:
    lead = graph.create_lead(graph.seed.forms["standard"])
    assert deliver(client, graph, [lead["id"]]) == [200]
    row = db.session.execute(sa.select(WebhookInbox)).scalar_one()
    assert row.status == InboxStatus.WAITING_REAUTH and "connect" in (row.last_error or "")
    from plugins.socials.connect import connect_with_token

    connect_with_token(graph.user_token)
    db.session.expire_all()
    assert db.session.get(WebhookInbox, row.id).status == InboxStatus.PROCESSED  # type: ignore[union-attr]
    assert lead["id"] in leads_by_meta_id()


def test_the_reconciler_finds_a_lead_whose_webhook_never_came(app: Flask, graph: SandboxState, connected: int) -> None:
    lead = graph.create_lead(graph.seed.forms["choice"])
    assert lead["id"] not in leads_by_meta_id()
    result = app.test_cli_runner().invoke(args=["metaads", "sync-leads"])
    assert result.exit_code == 0, result.output
    assert "missed_by_webhook 1" in result.output
    assert leads_by_meta_id()[lead["id"]].source.value == "reconciler"
