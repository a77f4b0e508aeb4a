"""Pipeline health, retry, and test leads."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.models import Lead, LeadForm, SyncRun, WebhookInbox
from metaads.models.enums import InboxStatus, SyncRunStatus
from metaads.sandbox import SandboxState
from metaads.schemas import SyncRunSchema
from plugins.core.extensions import db
from tests.metaads.conftest import deliver


def test_pipeline_lists_problems_and_retries_them(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], admin_client: FlaskClient, graph: SandboxState, connected: int
) -> None:
    lead = graph.create_lead(graph.seed.forms["standard"])
    graph.add_fault(kind="permission", code=200, times=None)
    deliver(client, graph, [lead["id"]])
    health = client.get("/admin/meta-ads/pipeline", headers=api_headers).get_json()
    problem = next(p for p in health["problems"] if p["leadgen_id"] == lead["id"])
    assert problem["status"] in ("gone", "waiting_reauth") and problem["last_error"]
    assert health["inbox_counts"].get("processed", 0) >= 0 and health["sync_runs"]
    page = admin_client.get("/admin/meta-ads/pipeline").get_data(as_text=True)
    assert lead["id"] in page and "Retry" in page
    graph.clear_faults()
    response = client.post(f"/admin/meta-ads/pipeline/inbox/{problem['id']}/retry", headers=api_headers)
    assert response.get_json() == {"retried": 1}
    assert db.session.execute(sa.select(sa.func.count()).where(Lead.meta_lead_id == lead["id"])).scalar_one() == 1


def test_processed_rows_cannot_be_retried(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], graph: SandboxState, connected: int
) -> None:
    lead = graph.create_lead(graph.seed.forms["standard"])
    deliver(client, graph, [lead["id"]])
    row = db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.leadgen_id == lead["id"])).scalar_one()
    assert row.status == InboxStatus.PROCESSED
    assert client.post(f"/admin/meta-ads/pipeline/inbox/{row.id}/retry", headers=api_headers).status_code == 409


def test_sync_routes_answer_202_with_the_run(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], connected: int
) -> None:
    for path, kind in (
        ("/admin/meta-ads/leads/sync", "leads"),
        ("/admin/meta-ads/lead-forms/sync", "lead_forms"),
        ("/admin/meta-ads/accounts/sync", "ad_accounts"),
    ):
        response = client.post(path, headers=api_headers)
        assert response.status_code == 202, path
        run = response.get_json()["sync_run"]
        assert run["kind"] == kind and isinstance(run["id"], int)


def test_test_lead_is_created_and_tracked(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], graph: SandboxState, connected: int
) -> None:
    form = db.session.execute(sa.select(LeadForm).where(LeadForm.meta_form_id == graph.seed.forms["standard"])).scalar_one()
    first = client.post(f"/admin/meta-ads/lead-forms/{form.id}/test-lead", headers=api_headers)
    assert first.status_code == 201, first.get_json()
    second = client.post(f"/admin/meta-ads/lead-forms/{form.id}/test-lead", headers=api_headers)
    assert second.status_code == 201, "the previous test lead is deleted first (one per form)"
    test_lead = second.get_json()["test_lead"]
    assert test_lead["id"] != first.get_json()["test_lead"]["id"]
    deliver(client, graph, [test_lead["id"]])  # Meta's webhook for it
    status = client.get(f"/admin/meta-ads/lead-forms/{form.id}/test-lead", headers=api_headers).get_json()["test_lead"]
    assert status["received_at"] and status["fetched_at"] and status["lead_id"]
    from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login

    browser = app.test_client()
    login(browser, ADMIN_EMAIL, ADMIN_PASSWORD)
    page = browser.get(f"/admin/meta-ads/lead-forms/{form.id}").get_data(as_text=True)
    assert "Send a test lead" in page and f"/admin/meta-ads/leads/{status['lead_id']}" in page


def test_test_lead_needs_a_connected_page(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    form = LeadForm(meta_form_id="123", name="Orphan", page_id="999")
    db.session.add(form)
    db.session.commit()
    response = client.post(f"/admin/meta-ads/lead-forms/{form.id}/test-lead", headers=api_headers)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_connected"


def test_pipeline_objects_keep_their_json_keys() -> None:
    """The serialisers that replaced the views' hand-built dicts answer the same keys, same values."""
    started = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    run = SyncRun(id=7, kind="leads", scope="all", trigger="api", status=SyncRunStatus.RUNNING, started_at=started, counts={})
    assert SyncRunSchema().dump(run) == {
        "id": 7,
        "kind": "leads",
        "scope": "all",
        "trigger": "api",
        "status": "running",
        "started_at": "2024-05-01T12:00:00+00:00",
        "finished_at": None,
        "counts": {},
        "error": None,
    }
