"""Burst: 10,000 leads delivered within one minute, the sandbox answering every Graph call in
100 ms; every lead must be stored within 90 s of the first delivery.

Two shapes of the same burst, as Meta may send it: one change per POST (10,000 POSTs), and
batches of 100 changes per POST (Meta batches up to 1,000). Baseline, measured in the same run:
the delivery itself (first POST to last 200); the rest is how far storing lags behind it.
"""

from __future__ import annotations

import time
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa

from . import harness
from .conftest import LeadPath
from .test_webhook_ack import GUNICORN

LEADS = 10_000
DELIVERY_S = 60
LATENCY_MS = 100
RQ_WORKERS = 4
CONCURRENCY = 16
TARGET_S = 90


@pytest.mark.parametrize("batch", [1, 100], ids=["1-per-post", "100-per-post"])
def test_burst(lead_path_factory: t.Callable[..., LeadPath], tmp_path: Path, batch: int) -> None:
    path = lead_path_factory(LATENCY_MS)
    stack = path.stack
    app_url = harness.start_gunicorn(stack, "product", "wsgi:app", GUNICORN, path.env)
    harness.start_workers(stack, RQ_WORKERS, path.env)
    harness.wait_for_rq_workers(path.redis_url, RQ_WORKERS, stack)

    leads = path.create_leads(LEADS)
    items = harness.lead_deliveries(leads, batch=batch, sent_at=int(time.time()))
    rate = len(items) / DELIVERY_S
    watcher = harness.LeadWatcher(path.database_url, [lead["id"] for lead in leads], interval=0.1, settle=5.0)
    watcher.start()
    groups = {"gunicorn": stack.pids("product"), "rq workers": stack.pids("rq-worker"), "sandbox": stack.pids("sandbox")}
    with harness.CpuMeter(groups) as cpu:
        # Open loop on schedule; whatever could not be sent within TARGET_S is not sent at all.
        load = harness.LoadInBackground(
            items, app_url, tmp_path, concurrency=CONCURRENCY, rate=rate, duration=TARGET_S, name="burst"
        )
        load.start()
        result = load.join_result(timeout=DELIVERY_S + 120)
        first_post = min(result.start)
        complete = watcher.wait_all(first_post + TARGET_S)
    cpu.add("load generator", result.cpu, result.elapsed)
    watcher.stop()
    stack.check_alive()
    queued = harness.queued_jobs(path.redis_url)

    posted = {}
    for tag, start, status in zip(result.tag, result.start, result.status, strict=True):
        if status == 200:
            posted.update(dict.fromkeys(tag.split(","), start))
    delays = [watcher.seen[lead] - start if lead in watcher.seen else float("inf") for lead, start in posted.items()]
    done_at = max(watcher.seen.values()) - first_post if watcher.seen else float("inf")
    delivered = max(result.end) - first_post
    with path.engine.connect() as conn:
        states: dict[str, int] = dict(
            conn.execute(
                sa.text("SELECT status, count(*) FROM metaads_webhook_inbox WHERE leadgen_id = ANY(:ids) GROUP BY status"),
                {"ids": [lead["id"] for lead in leads]},
            ).all()
        )
        # What the rows not processed are waiting for (claimed by a job, retrying, never claimed).
        waiting = conn.execute(
            sa.text(
                "SELECT status, attempts, next_attempt_at IS NOT NULL AS leased_or_delayed, left(coalesce(last_error, ''), 60),"
                " count(*) FROM metaads_webhook_inbox WHERE leadgen_id = ANY(:ids) AND status <> 'processed'"
                " GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC LIMIT 5"
            ),
            {"ids": [lead["id"] for lead in leads]},
        ).all()
    stored = len(watcher.seen)
    if complete:
        all_stored = f"all stored {done_at:.1f} s after the first delivery, {done_at - delivered:.1f} s after the last"
    else:
        all_stored = f"NOT all stored {TARGET_S} s after the first delivery"
    acks = f"{result.count(200):,} x 200 of {len(result.status):,}, ack p99 {harness.percentile(result.latencies_ms, 99):.0f} ms"
    not_processed = "; ".join(
        f"{n:,} {status} (attempts {attempts}, {'leased/delayed' if delayed else 'due'}{', ' + error if error else ''})"
        for status, attempts, delayed, error, n in waiting
    )
    harness.report(
        f"Burst ({LEADS:,} leads in {DELIVERY_S} s, {batch} per POST)",
        [
            ("settings", f"{len(items):,} POSTs at {rate:.1f}/s, sandbox latency {LATENCY_MS} ms; {GUNICORN.describe()}; "
             f"{RQ_WORKERS} RQ workers (fork per job)"),
            ("baseline: delivery", f"first POST to last 200: {delivered:.1f} s; {acks}"),
            ("stored", f"{stored:,} of {LEADS:,}; {all_stored}"),
            ("per lead (POST -> stored)", f"p50 {harness.percentile(delays, 50):.2f} s, "
             f"p99 {harness.percentile(delays, 99):.2f} s"),
            ("inbox rows by status", ", ".join(f"{k} {v:,}" for k, v in sorted(states.items()))),
            ("rows not processed", not_processed or "none"),
            ("RQ jobs still queued", f"{queued:,}"),
            ("CPU", cpu.describe()),
            ("target", f"all stored within {TARGET_S} s of the first delivery"),
            ("load average", harness.load_average()),
        ],
    )  # fmt: skip
    answered, sent = result.count(200), len(items)
    assert answered == sent, f"{answered:,} of {sent:,} deliveries answered 200 within {TARGET_S} s (the app fell behind)"
    assert not watcher.without_answers, "every lead is stored with its answers"
    assert complete, f"only {stored:,} of {LEADS:,} leads stored within {TARGET_S} s of the first delivery"
