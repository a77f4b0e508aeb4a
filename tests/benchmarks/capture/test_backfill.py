"""Backfill: 100,000 leads of one form read through Bulk Read by the reconciler
(``flask --app wsgi metaads sync-leads``, the form never synced before, so its first pass reaches
back over Meta's 90-day window), the sandbox at no latency. Figures: leads stored per second and
the process's memory (RSS sampled every 0.1 s, and its peak).

Baseline, measured in the same run: COPY of the same 100,000 rows (read back from the table) into
a scratch table with the same columns and indexes: the fastest PostgreSQL takes those rows here.
"""

from __future__ import annotations

import time
import typing as t
from pathlib import Path

import psycopg
import sqlalchemy as sa

from . import harness
from .conftest import LeadPath

LEADS = 100_000
TARGET_RATE = 5_000  # leads per second
TARGET_RSS_MB = 250
TIMEOUT_S = 120


def copy_baseline(database_url: str, form_id: str) -> tuple[int, float]:
    """COPY the form's stored leads into a scratch table like ``metaads_leads``; (rows, seconds)."""
    with psycopg.connect(harness.psycopg_dsn(database_url)) as conn:
        conn.execute("CREATE TABLE bench_copy_leads (LIKE metaads_leads INCLUDING ALL)")
        conn.commit()
        data = bytearray()
        query = f"COPY (SELECT * FROM metaads_leads WHERE form_id = '{int(form_id)}') TO STDOUT"
        with conn.cursor().copy(query) as copy:
            for chunk in copy:
                data += chunk
        rows = data.count(b"\n")
        started = time.perf_counter()
        with conn.cursor().copy("COPY bench_copy_leads FROM STDIN") as copy:
            view = memoryview(data)
            for offset in range(0, len(view), 1 << 20):
                copy.write(view[offset : offset + (1 << 20)])
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy_leads")
        conn.commit()
    return rows, seconds


def test_backfill(lead_path_factory: t.Callable[..., LeadPath], tmp_path: Path) -> None:
    path = lead_path_factory(0)
    stack = path.stack
    form = path.form("standard")
    created = harness.sandbox_call(
        path.graph_url, "POST", "_sandbox/leads/bulk", {"form_id": form, "count": LEADS, "days": 30}, timeout=300
    )
    assert created["count"] == LEADS
    with path.engine.connect() as conn:
        conn.execute(sa.text("UPDATE metaads_lead_forms SET leads_synced_until = NULL WHERE meta_form_id = :f"), {"f": form})
        before = conn.execute(sa.text("SELECT count(*) FROM metaads_leads WHERE form_id = :f"), {"f": form}).scalar()

    samples: list[tuple[float, int]] = []  # (seconds since start, RSS kB)
    peak = 0
    used_cpu = 0.0
    with harness.CpuMeter({"sandbox": stack.pids("sandbox")}) as cpu:
        started, started_at = time.monotonic(), time.time()
        service = stack.start("sync-leads", [str(harness.BIN / "flask"), "--app", "wsgi", "metaads", "sync-leads"], path.env)
        while service.alive() and time.monotonic() - started < TIMEOUT_S:
            memory = harness.memory_kb(service.pid)
            if memory:
                samples.append((time.monotonic() - started, memory["VmRSS"]))
                peak = max(peak, memory["VmHWM"])
                used_cpu = max(used_cpu, harness.cpu_seconds(service.pid))
            time.sleep(0.1)
        wall = time.monotonic() - started
        finished = not service.alive()
        if not finished:
            service.stop()  # stopped at the time limit: the figures are what it stored until then
    cpu.add("sync-leads (until its last sample)", used_cpu, wall)
    output = service.tail(5)
    assert not finished or service.proc.returncode == 0, output

    with path.engine.connect() as conn:
        # The leads this run stored (the form's seed leads were backfilled when connecting).
        after, first, last = conn.execute(
            sa.text(
                "SELECT count(*), extract(epoch FROM min(created_at)), extract(epoch FROM max(created_at))"
                " FROM metaads_leads WHERE form_id = :f AND source = 'backfill' AND created_at >= to_timestamp(:t)"
            ),
            {"f": form, "t": started_at},
        ).one()
        total = conn.execute(sa.text("SELECT count(*) FROM metaads_leads WHERE form_id = :f"), {"f": form}).scalar()
    stored = int(total or 0) - int(before or 0)
    copy_rows, copy_s = copy_baseline(path.database_url, form)

    rate = stored / wall
    storing_rate = after / (float(last) - float(first)) if last and first and last > first else float("nan")
    rss = [kb for _, kb in samples]
    at = {share: rss[min(len(rss) - 1, int(len(rss) * share))] // 1024 for share in (0.1, 0.25, 0.5, 0.75, 1.0)} if rss else {}
    harness.report(
        f"Backfill ({LEADS:,} leads of one form via Bulk Read, sandbox without latency)",
        [
            ("command", "flask --app wsgi metaads sync-leads (reconcile_leads in this process; follow-up jobs go to Redis)"),
            ("stored", f"{stored:,} new leads ({total:,} rows for the form) in {wall:.1f} s wall = {rate:,.0f} leads/s "
             f"(first to last page stored: {storing_rate:,.0f} leads/s)"),
            ("memory (RSS)", f"peak {peak / 1024:.0f} MB; at 10/25/50/75/100 % of the run: "
             + " / ".join(f"{v} MB" for v in at.values())),
            ("baseline: COPY", f"{copy_rows:,} rows in {copy_s:.2f} s = {copy_rows / copy_s:,.0f} rows/s "
             f"(product at {rate / (copy_rows / copy_s):.1%} of it)"),
            ("CPU", cpu.describe()),
            ("sync run", output.splitlines()[-1] if finished and output else f"stopped after {TIMEOUT_S} s, unfinished"),
            ("targets", f">= {TARGET_RATE:,} leads/s, RSS < {TARGET_RSS_MB} MB"),
            ("load average", harness.load_average()),
        ],
    )  # fmt: skip
    problems = [] if stored == LEADS else [f"{stored:,} of {LEADS:,} leads stored in {wall:.0f} s"]
    if rate < TARGET_RATE:
        problems.append(f"{rate:,.0f} leads/s < {TARGET_RATE:,}")
    if peak / 1024 >= TARGET_RSS_MB:
        problems.append(f"peak RSS {peak / 1024:.0f} MB >= {TARGET_RSS_MB} MB")
    assert not problems, "backfill misses its targets: " + "; ".join(problems)
