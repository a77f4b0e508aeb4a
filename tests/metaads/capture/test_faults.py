"""The lead path when Meta misbehaves: errors sorted by code, waits honoured, nothing lost."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.models import Lead, WebhookInbox
from metaads.models.enums import InboxStatus
from metaads.sandbox import SandboxState
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.models import PlatformStatus, SocialPlatform
from tests.metaads.conftest import deliver


def inbox_row(lead_id: str) -> WebhookInbox:
    db.session.expire_all()
    return db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.leadgen_id == lead_id)).scalar_one()


def stored(lead_id: str) -> bool:
    return db.session.execute(sa.select(sa.func.count()).where(Lead.meta_lead_id == lead_id)).scalar_one() == 1


def graph_calls(graph: SandboxState) -> int:
    """HTTP requests Meta received (the sandbox also lists each batch item; those are not calls)."""
    return sum(1 for call in graph.calls if not call.get("batch"))


def make_due(row: WebhookInbox) -> None:
    """Time passes: the row's wait is over."""
    row.next_attempt_at = utcnow()
    db.session.commit()


def test_graph_5xx_then_recovery(app: Flask, client: FlaskClient, graph: SandboxState, connected: int) -> None:
    lead = graph.create_lead(graph.seed.forms["standard"])
    graph.clear_calls()
    graph.add_fault(kind="http_500", times=1)
    assert deliver(client, graph, [lead["id"]]) == [200]
    row = inbox_row(lead["id"])
    assert row.status == InboxStatus.PENDING and row.next_attempt_at is not None and row.next_attempt_at > utcnow()
    assert not stored(lead["id"])
    assert graph_calls(graph) == 1, "one call per attempt: the retry waits, it does not loop"
    assert len(jobs.runner().deferred) == 1, "a delayed retry is scheduled"
    make_due(row)
    assert jobs.runner().run_deferred() == 1
    assert stored(lead["id"]) and inbox_row(lead["id"]).status == InboxStatus.PROCESSED
    assert graph_calls(graph) == 2


def test_transient_code_2_is_retried_later(app: Flask, client: FlaskClient, graph: SandboxState, connected: int) -> None:
    lead = graph.create_lead(graph.seed.forms["standard"])
    graph.add_fault(kind="transient", code=2, times=1)
    deliver(client, graph, [lead["id"]])
    row = inbox_row(lead["id"])
    assert (row.status, row.error_code) == (InboxStatus.PENDING, "2")
    make_due(row)
    jobs.runner().run_deferred()
    assert stored(lead["id"])


def test_rate_limit_waits_as_long_as_meta_says(app: Flask, client: FlaskClient, graph: SandboxState, connected: int) -> None:
    lead = graph.create_lead(graph.seed.forms["standard"])
    graph.clear_calls()
    graph.add_fault(kind="rate_limit", code=80005, minutes=7, times=1)
    deliver(client, graph, [lead["id"]])
    row = inbox_row(lead["id"])
    assert row.status == InboxStatus.PENDING and row.error_code and row.error_code.startswith("80005")
    wait = (row.next_attempt_at - utcnow()).total_seconds()  # type: ignore[operator]
    assert 6 * 60 < wait <= 7 * 60 + 5, wait
    calls_after_limit = graph_calls(graph)
    # Another lead arriving meanwhile is not sent to Meta either: the shared usage store blocks it.
    second = graph.create_lead(graph.seed.forms["standard"])
    deliver(client, graph, [second["id"]])
    assert graph_calls(graph) == calls_after_limit, "no call while Meta asked us to wait"
    assert inbox_row(second["id"]).status == InboxStatus.PENDING
    app.extensions["metaads"].service = None  # the wait is over (a fresh client forgets the block)
    for lead_id in (lead["id"], second["id"]):
        make_due(inbox_row(lead_id))
    jobs.runner().run_deferred()
    assert stored(lead["id"]) and stored(second["id"])


def test_user_request_limit_17_from_usage_headers(app: Flask, client: FlaskClient, graph: SandboxState, connected: int) -> None:
    lead = graph.create_lead(graph.seed.forms["standard"])
    graph.add_fault(kind="rate_limit", code=17, times=1)
    deliver(client, graph, [lead["id"]])
    row = inbox_row(lead["id"])
    assert row.status == InboxStatus.PENDING and row.error_code and row.error_code.startswith("17")
    assert row.next_attempt_at is not None and row.next_attempt_at > utcnow()


def test_revoked_token_waits_for_reconnect_then_resumes(
    app: Flask, client: FlaskClient, admin_client: FlaskClient, graph: SandboxState, connected: int
) -> None:
    lead = graph.create_lead(graph.seed.forms["standard"])
    page_token = graph.page_tokens[graph.lead(lead["id"])["page_id"]]
    graph.revoke_token(page_token, subcode=460)
    assert deliver(client, graph, [lead["id"]]) == [200]
    row = inbox_row(lead["id"])
    assert row.status == InboxStatus.WAITING_REAUTH and row.error_code == "190/460"
    platform = db.session.get(SocialPlatform, connected)
    assert platform is not None and platform.status == PlatformStatus.NEEDS_REAUTH
    page = admin_client.get("/admin/meta-ads/leads").get_data(as_text=True)
    assert "Reconnect" in page, "every admin page shows the banner"
    from plugins.socials.connect import connect_with_token

    # The admin logs in to Facebook again: Meta hands out working page tokens once more (the
    # sandbox keeps one token per page, so it is that token that works again).
    graph.tokens.tokens[page_token].revoked_subcode = None
    connect_with_token(graph.user_token)
    assert inbox_row(lead["id"]).status == InboxStatus.PROCESSED
    assert stored(lead["id"])
    assert db.session.get(SocialPlatform, connected).status == PlatformStatus.ACTIVE  # type: ignore[union-attr]


def test_a_lead_meta_no_longer_has_is_marked_with_a_reason(
    app: Flask, client: FlaskClient, graph: SandboxState, connected: int
) -> None:
    lead = graph.create_lead(graph.seed.forms["standard"])
    graph.delete_lead(lead["id"])
    deliver(client, graph, [lead["id"]])
    row = inbox_row(lead["id"])
    assert row.status == InboxStatus.GONE and "no longer has this lead" in (row.last_error or "")


def test_leads_access_manager_block_is_explained(app: Flask, client: FlaskClient, graph: SandboxState, connected: int) -> None:
    lead = graph.create_lead(graph.seed.forms["standard"])
    graph.set_leads_access(graph.lead(lead["id"])["page_id"], False)
    deliver(client, graph, [lead["id"]])
    row = inbox_row(lead["id"])
    assert row.status in (InboxStatus.GONE, InboxStatus.WAITING_REAUTH)
    assert "Leads Access Manager" in (row.last_error or "") or "permission" in (row.last_error or "")


def test_one_failed_item_in_a_batch_does_not_hold_back_the_others(
    app: Flask, client: FlaskClient, graph: SandboxState, connected: int
) -> None:
    form = graph.seed.forms["standard"]
    good = [graph.create_lead(form)["id"] for _ in range(3)]
    gone = graph.create_lead(form)["id"]
    graph.delete_lead(gone)
    deliver(client, graph, [*good, gone], batch=4)
    assert all(stored(lead_id) for lead_id in good)
    assert inbox_row(gone).status == InboxStatus.GONE


def test_sweeper_hands_over_rows_whose_enqueue_failed(app: Flask, graph: SandboxState, connected: int) -> None:
    from metaads.capture.sweeper import sweep_inbox
    from metaads.capture.webhook import store

    lead = graph.create_lead(graph.seed.forms["standard"])
    page_id = graph.lead(lead["id"])["page_id"]
    store([{"dedupe_key": lead["id"], "leadgen_id": lead["id"], "page_id": page_id, "status": "pending", "payload": {}}])
    assert sweep_inbox(grace=__import__("datetime").timedelta(0)) == 1
    assert stored(lead["id"])


def test_admin_retry_of_a_failed_row(app: Flask, client: FlaskClient, graph: SandboxState, connected: int) -> None:
    from metaads.capture.sweeper import retry_rows

    lead = graph.create_lead(graph.seed.forms["standard"])
    graph.add_fault(kind="permission", code=10, times=None)
    deliver(client, graph, [lead["id"]])
    row = inbox_row(lead["id"])
    assert row.status in (InboxStatus.GONE, InboxStatus.WAITING_REAUTH, InboxStatus.FAILED)
    graph.clear_faults()
    assert retry_rows([row.id]) == 1
    assert stored(lead["id"])


def test_a_batch_slower_than_its_lease_keeps_its_rows(
    app: Flask, client: FlaskClient, graph: SandboxState, connected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lease is short so that a killed worker's leads are soon due again; a live job renews
    it while Graph takes its time, so no other job claims (and reads from Graph) the same rows."""
    from metaads.capture import process, webhook

    app.config["METAADS_INBOX_LEASE"] = 1
    monkeypatch.setattr(webhook, "enqueue_pending", lambda ids: None)  # the job below is the only one
    leads = [graph.create_lead(graph.seed.forms["standard"])["id"] for _ in range(3)]
    assert deliver(client, graph, leads, batch=3) == [200]
    graph.add_fault(kind="latency_ms", latency_ms=3000, method="POST", times=1)  # the batch call hangs 3 s
    outcome: dict[str, int] = {}

    def job() -> None:
        with app.app_context():
            outcome.update(process.process_inbox([]))

    worker = threading.Thread(target=job)
    worker.start()
    taken = []
    for _ in range(10):  # three leases pass while the job waits for Graph
        time.sleep(0.25)
        taken += process.claim([])
    worker.join(timeout=30)
    assert taken == [], "no other job claimed the rows of a job that is still working on them"
    assert outcome["processed"] == 3 and all(stored(lead) for lead in leads)
    assert {inbox_row(lead).attempts for lead in leads} == {1}


def test_a_job_renews_only_its_own_claim(
    app: Flask, client: FlaskClient, graph: SandboxState, connected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job that stalled past its lease and lost its rows to another never extends the other's."""
    from metaads.capture import process, webhook

    monkeypatch.setattr(webhook, "enqueue_pending", lambda ids: None)
    lead = graph.create_lead(graph.seed.forms["standard"])["id"]
    assert deliver(client, graph, [lead]) == [200]
    first = process.claim([])
    with process.LeaseKeeper() as keeper:
        keeper.hold(first)
        assert keeper.renew() == 1
        make_due(inbox_row(lead))
        assert [row.id for row in process.claim([])] == [first[0].id], "the lease ran out: another job took the row"
        assert keeper.renew() == 0, "the first job's renewal leaves the other's claim alone"
