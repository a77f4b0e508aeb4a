"""Benchmark (issue 13): 10,000 status changes → every Conversions API event delivered within 60 s
of the last change, with the sandbox answering each call after 100 ms, in at most 15 Graph calls.

    .venv/bin/pytest tests/benchmarks/test_conversions.py -s -p no:cacheprovider

Printed beside two baselines measured in the same run against the same sandbox: one POST per
event (20 timed, extrapolated to 10,000) and the raw time of 10 POSTs of 1,000 events.
"""

from __future__ import annotations

import datetime as dt
import time
import typing as t

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from metaads.connections import graph_service
from metaads.conversions.admin import change_settings
from metaads.conversions.delivery import dataset_access
from metaads.conversions.events import event_payload
from metaads.leads.workflow import LeadUpdate, bulk_update, commit
from metaads.models import ConversionEvent, Lead
from metaads.models.enums import LeadStatus
from metaads.sandbox import create_sandbox_app, serve_in_thread
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.models import utcnow
from tests.conftest import running_app

CHANGES = 10_000
LATENCY_MS = 100
APP_ID, APP_SECRET = "sandbox-app-id", "sandbox-app-secret"


def events_calls(state: t.Any) -> int:
    return sum(1 for c in state.calls if c.get("method") == "POST" and str(c.get("path", "")).endswith("/events"))


def pending() -> int:
    db.session.rollback()
    return int(db.session.scalar(sa.select(sa.func.count()).where(ConversionEvent.status == "pending")) or 0)


def wait_until_sent(limit: float) -> float:
    started = time.monotonic()
    while pending() and time.monotonic() - started < limit:
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.mark.postgres_only
def test_ten_thousand_status_changes(postgres_database: str) -> None:
    sandbox = create_sandbox_app({"APP_ID": APP_ID, "APP_SECRET": APP_SECRET})
    state = sandbox.extensions["sandbox"]
    base_url, stop = serve_in_thread(sandbox)
    overrides = {
        "FACEBOOK_GRAPH_URL": base_url.rstrip("/"),
        "FACEBOOK_DIALOG_URL": base_url.rstrip("/"),
        "JOBS_MODE": "thread",  # the embedded default: a worker thread, delayed jobs by timer
    }
    try:
        with running_app(postgres_database, **overrides):
            from plugins.socials.connect import connect_with_token

            connect_with_token(state.user_token)
            jobs.runner()._worker_thread().join(120)
            dataset = str(state.seed.dataset_id)
            # Leads captured 8+ days ago: switching on replays nothing of theirs.
            meta_ids = state.bulk_leads(state.seed.forms["standard"], CHANGES, days=20, end=time.time() - 8 * 86400)
            now = utcnow()
            rows = [
                {"meta_lead_id": m, "created_time": dt.datetime.fromtimestamp(int(state.store.get(m, "lead")["created"]), dt.UTC),
                 "status": "new", "source": "webhook", "created_at": now, "updated_at": now}
                for m in meta_ids
            ]  # fmt: skip
            # The connect's backfill may have stored some of them already.
            db.session.execute(postgresql.insert(Lead).on_conflict_do_nothing(index_elements=["meta_lead_id"]), rows)
            jobs.runner()._worker_thread().join(120)
            db.session.commit()
            change_settings({"enabled": True, "dataset_id": dataset})
            wait_until_sent(60)  # the replay of the first sync's recent leads
            state.configure(LATENCY_MS=LATENCY_MS)
            state.clear_calls()
            ids = list(db.session.execute(sa.select(Lead.id).where(Lead.meta_lead_id.in_(meta_ids))).scalars())

            started = time.monotonic()
            for start in range(0, len(ids), 100):  # the admin's bulk action, 100 leads at a time
                _, changes = bulk_update(ids[start : start + 100], LeadUpdate(status=LeadStatus.CONTACTED), None)
                commit(changes)
            changing = time.monotonic() - started
            after_last = wait_until_sent(120)
            calls = events_calls(state)
            contacted = (ConversionEvent.stage == "contacted", ConversionEvent.status == "sent")
            sent = db.session.scalar(sa.select(sa.func.count()).where(*contacted))
            received = len([e for e in state.received_events(dataset) if e["event"]["event_name"] == "Contacted"])

            # Baselines, same sandbox, same latency.
            access = dataset_access()
            assert access is not None
            sample = db.session.execute(
                sa.select(ConversionEvent, Lead.meta_lead_id)
                .join(Lead, Lead.id == ConversionEvent.lead_id)
                .where(*contacted)
                .limit(1000)
            ).all()
            payloads = [event_payload(event, meta_id) for event, meta_id in sample]
            service = graph_service()
            t0 = time.monotonic()
            for payload in payloads[:20]:
                service.send_events(dataset, [payload], access.token)
            per_event = (time.monotonic() - t0) / 20
            t0 = time.monotonic()
            for _ in range(10):
                service.send_events(dataset, payloads, access.token)
            raw_batches = time.monotonic() - t0
            jobs.runner()._worker_thread().join(120)  # nothing of ours still runs at teardown

        print(
            f"\nConversions API, {CHANGES:,} status changes (sandbox {LATENCY_MS} ms per call):"
            f"\n  changes made in {changing:.1f} s; every event delivered {after_last:.1f} s after the last change;"
            f" {calls} Graph calls; {sent:,} sent, Meta received {received:,}"
            f"\n  baseline, one POST per event: {per_event * 1000:.0f} ms each"
            f" → {per_event * CHANGES:.0f} s and {CHANGES:,} calls"
            f"\n  baseline, raw time of 10 POSTs of 1,000 events: {raw_batches:.1f} s"
        )
        assert sent == CHANGES and received == CHANGES
        assert after_last <= 60, f"delivered {after_last:.1f} s after the last change"
        assert calls <= 15, f"{calls} Graph calls"
    finally:
        stop()
