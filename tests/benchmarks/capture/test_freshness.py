"""Freshness: at a steady 50 leads/s for 20 s, with the sandbox answering every Graph call in
100 ms, the time from a lead's webhook POST to its ``metaads_leads`` row being committed with its
answers. The app runs under gunicorn, RQ workers process the inbox.

Baseline, measured in the same run: the floor any design pays, the webhook's own answer time plus
one Graph read of the lead from the sandbox.
"""

from __future__ import annotations

import time
import typing as t
from pathlib import Path

import sqlalchemy as sa

from . import harness
from .conftest import LeadPath
from .test_webhook_ack import GUNICORN

RATE = 50  # leads per second, one delivery each
DURATION_S = 20
LATENCY_MS = 100
RQ_WORKERS = 4
CONCURRENCY = 8  # client connections at most in flight (open loop: requests start on schedule)
WAIT_AFTER_S = 30

TARGET_P50_S = 0.5
TARGET_P99_S = 2.0


def test_freshness(lead_path_factory: t.Callable[..., LeadPath], tmp_path: Path) -> None:
    path = lead_path_factory(LATENCY_MS)
    stack = path.stack
    app_url = harness.start_gunicorn(stack, "product", "wsgi:app", GUNICORN, path.env)
    harness.start_workers(stack, RQ_WORKERS, path.env)
    harness.wait_for_rq_workers(path.redis_url, RQ_WORKERS, stack)

    leads = path.create_leads(RATE * DURATION_S)
    items = harness.lead_deliveries(leads, batch=1, sent_at=int(time.time()))
    token = path.seed["page_tokens"][leads[0]["page_id"]]
    floor_graph = [harness.graph_call_ms(path.graph_url, lead["id"], token) for lead in leads[:20]]

    watcher = harness.LeadWatcher(path.database_url, [lead["id"] for lead in leads])
    watcher.start()
    groups = {"gunicorn": stack.pids("product"), "rq workers": stack.pids("rq-worker"), "sandbox": stack.pids("sandbox")}
    with harness.CpuMeter(groups) as cpu:
        result = harness.run_load(items, app_url, tmp_path, concurrency=CONCURRENCY, rate=RATE, name="freshness")
        complete = watcher.wait_all(time.time() + WAIT_AFTER_S)
    cpu.add("load generator", result.cpu, result.elapsed)
    watcher.stop()
    stack.check_alive()

    sent = {tag: start for tag, start, status in zip(result.tag, result.start, result.status, strict=True) if status == 200}
    missing = [lead["id"] for lead in leads if lead["id"] not in watcher.seen]
    delays = [watcher.seen[tag] - start if tag in watcher.seen else float("inf") for tag, start in sent.items()]
    by_worker_clock = [watcher.created_at[tag] - start for tag, start in sent.items() if tag in watcher.created_at]
    with path.engine.connect() as conn:
        processed = conn.execute(
            sa.text("SELECT count(*) FROM metaads_webhook_inbox WHERE leadgen_id = ANY(:ids) AND status = 'processed'"),
            {"ids": [lead["id"] for lead in leads]},
        ).scalar()
    ack = result.latencies_ms
    p50, p99 = harness.percentile(delays, 50), harness.percentile(delays, 99)
    floor = harness.percentile(ack, 50) + harness.percentile(floor_graph, 50)
    harness.report(
        "Freshness (webhook POST -> lead row committed with its answers)",
        [
            ("settings", f"{RATE} leads/s for {DURATION_S} s, one lead per delivery; sandbox latency {LATENCY_MS} ms; "
             f"{GUNICORN.describe()}; {RQ_WORKERS} RQ workers (fork per job)"),
            ("sent", f"{len(result.status):,} deliveries over {result.elapsed:.1f} s, {len(sent):,} x 200, "
             f"ack p50 {harness.percentile(ack, 50):.1f} ms / p99 {harness.percentile(ack, 99):.1f} ms"),
            ("stored", f"{len(watcher.seen):,} of {len(leads):,} (missing {len(missing)}), "
             f"{len(watcher.without_answers)} without answers, {processed:,} inbox rows processed"),
            ("webhook -> stored (poll)", f"p50 {p50 * 1000:.0f} ms, p90 {harness.percentile(delays, 90) * 1000:.0f} ms, "
             f"p99 {p99 * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms (poll every {watcher.interval * 1000:.0f} ms)"),
            ("webhook -> created_at", f"p50 {harness.percentile(by_worker_clock, 50) * 1000:.0f} ms, "
             f"p99 {harness.percentile(by_worker_clock, 99) * 1000:.0f} ms (the worker's timestamp, just before commit)"),
            ("baseline: floor", f"{floor:.0f} ms = webhook ack p50 + one Graph read p50 "
             f"({harness.percentile(floor_graph, 50):.0f} ms)"),
            ("CPU", cpu.describe()),
            ("targets", f"p50 <= {TARGET_P50_S} s, p99 <= {TARGET_P99_S} s"),
            ("load average", harness.load_average()),
        ],
    )  # fmt: skip
    assert len(sent) == len(leads), "every delivery answered 200"
    assert complete and not missing, f"{len(missing)} leads not stored within {WAIT_AFTER_S} s after the last delivery"
    assert not watcher.without_answers, "every lead is stored with its answers"
    problems = []
    if p50 > TARGET_P50_S:
        problems.append(f"p50 {p50:.2f} s > {TARGET_P50_S} s")
    if p99 > TARGET_P99_S:
        problems.append(f"p99 {p99:.2f} s > {TARGET_P99_S} s")
    assert not problems, "freshness misses its targets: " + "; ".join(problems)
