"""Conversions API for CRM (issue 13): settings, and every stage a lead reaches sent to the
sandbox's ``POST /{dataset_id}/events`` once, in order, through outages."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.connections import graph_service
from metaads.conversions.delivery import send_pending
from metaads.graph.usage import InMemoryUsageStore
from metaads.leads.workflow import change_status, commit
from metaads.models import ConversionEvent, ConversionSettings, Lead
from metaads.models.enums import LeadStatus
from metaads.periodic import sweep_conversions_on_schedule
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.models import PlatformStatus, SocialPlatform
from tests.conftest import csrf_token
from tests.metaads.conftest import deliver

JSON = {"Accept": "application/json"}


@pytest.fixture
def config_overrides(config_overrides: dict[str, t.Any]) -> dict[str, t.Any]:
    # No linger: each change is sent at once (eager jobs), so a test sees its calls.
    return {**config_overrides, "METAADS_CONVERSIONS_LINGER": 0}


def received(graph: SandboxState) -> list[dict[str, t.Any]]:
    return [entry["event"] for entry in graph.received_events(str(graph.seed.dataset_id))]


def event_calls(graph: SandboxState) -> int:
    return sum(1 for call in graph.calls if call.get("method") == "POST" and str(call.get("path", "")).endswith("/events"))


def enable(client: FlaskClient, headers: dict[str, str], graph: SandboxState, **more: t.Any) -> dict[str, t.Any]:
    answer = client.patch(
        "/admin/meta-ads/conversions", json={"enabled": True, "dataset_id": str(graph.seed.dataset_id), **more}, headers=headers
    )
    assert answer.status_code == 200, answer.get_json()
    return t.cast("dict[str, t.Any]", answer.get_json()["conversions"])


def forget_received(graph: SandboxState) -> None:
    """Switching on sent the backfilled leads' stages (the last 7 days): start counting here."""
    with graph.lock:
        graph.dataset_events[str(graph.seed.dataset_id)] = []


def new_lead(client: FlaskClient, graph: SandboxState) -> Lead:
    meta = graph.create_lead(graph.seed.forms["standard"])
    assert deliver(client, graph, [meta["id"]]) == [200]
    lead = db.session.execute(sa.select(Lead).where(Lead.meta_lead_id == meta["id"])).scalar_one()
    return lead


def settings_row() -> ConversionSettings:
    db.session.expire_all()
    return t.cast(ConversionSettings, db.session.get(ConversionSettings, 1))


def events_of(lead_id: int) -> list[ConversionEvent]:
    db.session.expire_all()
    query = sa.select(ConversionEvent).where(ConversionEvent.lead_id == lead_id).order_by(ConversionEvent.id)
    return list(db.session.execute(query).scalars())


def test_defaults_and_bad_settings_are_refused_whole(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    got = client.get("/admin/meta-ads/conversions", headers=api_headers).get_json()["conversions"]
    assert got == {
        "enabled": False,
        "dataset_id": None,
        "stage_names": {"new": "Lead", "contacted": "Contacted", "qualified": "Qualified", "converted": "Converted"},
        "test_event_code": None,
    }
    for body in (
        {"dataset_id": "12ab", "test_event_code": "T1"},
        {"dataset_id": "123", "stage_names": {"qualified": "  "}},
        {"enabled": True},  # no dataset
        {"stage_names": {"lost": "Lost"}},
    ):
        answer = client.patch("/admin/meta-ads/conversions", json=body, headers=api_headers)
        assert answer.status_code == 400
        assert answer.get_json()["error"]["code"] == "validation_error"
    assert client.get("/admin/meta-ads/conversions", headers=api_headers).get_json()["conversions"] == got, "nothing applied"
    named = client.patch(
        "/admin/meta-ads/conversions",
        json={"dataset_id": "123", "stage_names": {"disqualified": "Junk", "new": None}},
        headers=api_headers,
    ).get_json()["conversions"]
    assert named["stage_names"] == {
        "contacted": "Contacted",
        "qualified": "Qualified",
        "converted": "Converted",
        "disqualified": "Junk",
    }


def test_the_form_shows_errors_and_sends_nothing(
    app: Flask, admin_client: FlaskClient, graph: SandboxState, connected: int
) -> None:
    page = admin_client.get("/admin/meta-ads/conversions")
    assert page.status_code == 200 and "Send a test event" in page.get_data(as_text=True)
    token = csrf_token(admin_client, "/admin/meta-ads/conversions")
    form = {"csrf_token": token, "enabled": "on", "dataset_id": "pixel-1", "stage_new": "Lead", "stage_contacted": "",
            "stage_qualified": "Qualified", "stage_converted": "Converted"}  # fmt: skip
    answer = admin_client.post("/admin/meta-ads/conversions", data=form)
    html = answer.get_data(as_text=True)
    assert (
        answer.status_code == 400
        and "Nothing was saved" in html
        and "digits only" in html
        and "contacted must not be empty" in html
    )
    assert not settings_row().enabled
    new_lead(admin_client, graph)
    assert received(graph) == [] and db.session.scalar(sa.select(sa.func.count()).select_from(ConversionEvent)) == 0

    form |= {"dataset_id": str(graph.seed.dataset_id), "stage_contacted": "Contacted"}
    saved = admin_client.post("/admin/meta-ads/conversions", data=form)
    assert saved.status_code == 303 and settings_row().enabled


def test_new_to_converted_sends_four_stages_in_order(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], graph: SandboxState, connected: int
) -> None:
    enable(client, api_headers, graph)
    forget_received(graph)
    graph.clear_calls()
    lead = new_lead(client, graph)
    assert client.post(f"/admin/meta-ads/leads/{lead.id}/convert", headers=api_headers).status_code == 200
    events = received(graph)
    assert [e["event_name"] for e in events] == ["Lead", "Contacted", "Qualified", "Converted"]
    assert all(e["user_data"]["lead_id"] == int(lead.meta_lead_id) for e in events), "an exact integer, never a float"
    assert int(lead.meta_lead_id) > 2**53
    first = events[0]
    assert first["action_source"] == "system_generated" and first["custom_data"] == {
        "event_source": "crm",
        "lead_event_source": "metaads",
    }
    assert first["event_time"] == int(lead.created_time.timestamp())
    # Exactly once: moving the lead on again (archive, reopen) sends no stage twice.
    client.patch(f"/admin/meta-ads/leads/{lead.id}", json={"status": "archived"}, headers=api_headers)
    client.patch(f"/admin/meta-ads/leads/{lead.id}", json={"status": "converted"}, headers=api_headers)
    assert len(received(graph)) == 4
    detail = client.get(f"/admin/meta-ads/leads/{lead.id}", headers=api_headers).get_json()
    assert [(e["event_name"], e["status"]) for e in detail["conversion_events"]] == [
        ("Lead", "sent"), ("Contacted", "sent"), ("Qualified", "sent"), ("Converted", "sent")
    ]  # fmt: skip
    assert all(e["sent_at"] for e in detail["conversion_events"])
    pipeline = client.get("/admin/meta-ads/pipeline", headers=api_headers).get_json()["conversions"]
    sent = db.session.scalar(sa.select(sa.func.count()).where(ConversionEvent.status == "sent"))
    assert pipeline["counts"]["sent"] == sent and pipeline["batches"][0]["events_received"] == 3
    assert sum(b["events_received"] for b in pipeline["batches"]) == sent


@pytest.mark.parametrize("kind", ["http_500", "transient", "rate_limit"])
def test_transient_errors_and_rate_limits_are_retried_and_sent_once(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], graph: SandboxState, connected: int, kind: str
) -> None:
    enable(client, api_headers, graph)
    forget_received(graph)
    graph.add_fault(kind=kind, path="/events$", method="POST", times=1)
    lead = new_lead(client, graph)
    assert [e.status for e in events_of(lead.id)] == ["pending"]
    assert settings_row().retry_at is not None and settings_row().last_error
    assert received(graph) == []
    assert send_pending() == "waiting", "it waits out the backoff / Meta's wait"
    settings_row().retry_at = None  # the wait is over (and the client forgets Meta's block)
    db.session.commit()
    graph_service().client.usage_store = InMemoryUsageStore()
    assert send_pending() == "sent"
    assert send_pending() == "idle"
    assert [e["event_name"] for e in received(graph)] == ["Lead"]
    assert [e.status for e in events_of(lead.id)] == ["sent"]
    assert settings_row().failures == 0
    statuses = client.get("/admin/meta-ads/pipeline", headers=api_headers).get_json()["conversions"]["batches"]
    assert [b["status"] for b in statuses][:2] == ["sent", "failed"]


def test_a_revoked_token_waits_for_the_reconnect(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], graph: SandboxState, connected: int
) -> None:
    enable(client, api_headers, graph)
    forget_received(graph)
    graph.add_fault(kind="token_revoked", path="/events$", method="POST", times=1)
    lead = new_lead(client, graph)
    db.session.expire_all()
    assert db.session.get(SocialPlatform, connected).status == PlatformStatus.NEEDS_REAUTH
    change_status(db.session.get(Lead, lead.id), LeadStatus.CONTACTED, None)
    commit([])
    assert send_pending() == "needs_reauth"
    assert [e.status for e in events_of(lead.id)] == ["pending", "pending"] and received(graph) == []
    from plugins.socials.connect import connect_with_token

    connect_with_token(graph.user_token)  # the admin reconnects
    sweep_conversions_on_schedule()
    assert [e["event_name"] for e in received(graph)] == ["Lead", "Contacted"]


def test_erased_and_test_leads_send_nothing_and_old_events_expire(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], graph: SandboxState, connected: int
) -> None:
    enable(client, api_headers, graph)
    forget_received(graph)
    graph.add_fault(kind="http_500", path="/events$", method="POST", times=1)
    erased, old = new_lead(client, graph), new_lead(client, graph)
    db.session.get(Lead, erased.id).erased_at = db.func.now()
    db.session.commit()
    year_ago = utcnow() - dt.timedelta(days=365)
    db.session.execute(sa.update(ConversionEvent).where(ConversionEvent.lead_id == old.id).values(reached_at=year_ago))
    db.session.execute(sa.update(ConversionSettings).values(retry_at=None))
    db.session.commit()
    assert send_pending() in ("idle", "sent")
    assert [(e.status, bool(e.error)) for e in events_of(erased.id)] == [("skipped", True)]
    assert [e.status for e in events_of(old.id)] == ["expired"] and "7 days" in (events_of(old.id)[0].error or "")
    assert received(graph) == []


def test_switching_on_sends_the_last_7_days_once(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], graph: SandboxState, connected: int
) -> None:
    lead = new_lead(client, graph)  # while off: nothing written
    assert client.post(f"/admin/meta-ads/leads/{lead.id}/convert", headers=api_headers).status_code == 200
    assert events_of(lead.id) == []
    enable(client, api_headers, graph)
    enable(client, api_headers, graph)  # already on: no second replay
    names = [e["event_name"] for e in received(graph) if e["user_data"]["lead_id"] == int(lead.meta_lead_id)]
    assert names == ["Lead", "Contacted", "Qualified", "Converted"]


def test_the_test_event_button(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], graph: SandboxState, connected: int
) -> None:
    enable(client, api_headers, graph)
    refused = client.post("/admin/meta-ads/conversions/test-event", headers=api_headers)
    assert refused.status_code == 400 and refused.get_json()["error"]["details"]["fields"]["test_event_code"]
    enable(client, api_headers, graph, test_event_code="TEST4242")
    answer = client.post("/admin/meta-ads/conversions/test-event", headers=api_headers)
    assert answer.status_code == 200 and answer.get_json()["test_event"]["events_received"] == 1
    assert graph.received_events(str(graph.seed.dataset_id))[-1]["test_event_code"] == "TEST4242"
