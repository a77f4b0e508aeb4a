"""Insights sync benchmarks against the sandbox (served from a process of its own, so its
180,000 computed rows are not in the worker's memory):

- a 90-day backfill of 2,000 ads (≈180,000 ad-days) through async report runs: rows stored per
  second, measured apart from the time spent waiting for the sandbox (which computes ~15–20k
  rows/s), and the worker's peak RSS; baseline: PostgreSQL ``COPY`` of the same rows;
- the hourly pass (today and yesterday) over those ads: seconds and Graph calls.

    .venv/bin/pytest tests/benchmarks/test_insights.py -s -p no:cacheprovider
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
import typing as t
import uuid

import psycopg
import pytest
import requests
import sqlalchemy as sa
from psycopg.types.json import Json

from metaads.graph.client import GraphClient
from metaads.insights import reports as reports_module
from metaads.insights import store as store_module
from metaads.insights.sync import BACKFILLED, sync_insights
from metaads.models import Ad, AdAccount, AdInsight, SyncRun
from metaads.models.enums import SyncRunStatus
from plugins.core.extensions import db
from tests.benchmarks.conftest import drop_database, plain
from tests.conftest import POSTGRES_URL, migrate_to_head, running_app

#: 100 campaigns × 4 ad sets × 5 ads = 2,000 ads (fewer campaigns for a quick run).
CAMPAIGNS = int(os.environ.get("METAADS_BENCH_INSIGHTS_CAMPAIGNS", "100"))
AD_SETS, ADS = 4, 5
DAYS = 90
SANDBOX = (
    "import sys; from metaads.sandbox import create_sandbox_app; from metaads.sandbox.app import serve_described; "
    "serve_described(create_sandbox_app({'AUTO_WEBHOOKS': False, 'ENFORCE_USAGE': False}), '127.0.0.1', int(sys.argv[1]))"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def sandbox() -> t.Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SANDBOX, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                requests.get(base + "_sandbox/seed", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def database() -> t.Iterator[str]:
    name = f"metaads_bench_insights_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migrate_to_head(url)
    yield url
    drop_database(url)


def test_backfill_2000_ads_90_days_then_the_hourly_pass(sandbox: str, database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed = requests.get(sandbox + "_sandbox/seed", timeout=10).json()
    eur = seed["ad_accounts"]["EUR"]
    body = {"account_id": eur, "campaigns": CAMPAIGNS, "adsets": AD_SETS, "ads": ADS, "days": DAYS}
    made = requests.post(sandbox + "_sandbox/ads/bulk", json=body, timeout=60).json()["ids"]
    overrides = {
        "FACEBOOK_GRAPH_URL": sandbox.rstrip("/"),
        "METAADS_GRAPH_MAX_RETRIES": 0,
        "METAADS_INSIGHTS_POLL_SECONDS": 0.05,
        "METAADS_INSIGHTS_BACKFILL_DAYS": DAYS - 1,  # and today: 90 days
    }
    with running_app(database, **overrides):
        from plugins.socials.connect import connect_with_token

        connect_with_token(seed["user_token"])  # the first sync stores the 2,000 ads (metaads.sync.ads)
        account = db.session.execute(sa.select(AdAccount).where(AdAccount.meta_account_id == eur)).scalar_one()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ad).where(Ad.meta_ad_id.in_(made["ads"]))) == len(
            made["ads"]
        )

        storing, graph = Timer(), Timer()
        monkeypatch.setattr(reports_module, "store_page", storing.wrap(store_module.store_page))
        monkeypatch.setattr(GraphClient, "_attempt", graph.wrap(GraphClient._attempt))
        started = time.perf_counter()
        run_id = sync_insights(mode="backfill", ad_account_id=account.id, trigger="bench")
        wall = time.perf_counter() - started
        run = db.session.get(SyncRun, run_id)
        assert run is not None and run.status == SyncRunStatus.SUCCEEDED, run.error if run else None
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(AdInsight)) or 0
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        besides_graph = wall - graph.seconds
        print(
            f"\nbackfill: {rows:,} ad-days in {wall:.1f} s wall"
            f" ({graph.calls} Graph calls, {graph.seconds:.1f} s waiting on the sandbox)"
            f"\n  stored: {rows / storing.seconds:,.0f} rows/s in store_page (parse + map + upsert, {storing.seconds:.2f} s);"
            f" {rows / besides_graph:,.0f} rows/s for everything but Graph ({besides_graph:.2f} s)"
            f"\n  worker peak RSS: {rss_mb:.0f} MB"
        )
        assert rows >= CAMPAIGNS * AD_SETS * ADS * DAYS
        copy_rate = copy_baseline(database)
        print(f"  baseline: PostgreSQL COPY of the same rows: {copy_rate:,.0f} rows/s")
        assert rows / storing.seconds >= 20_000 and rss_mb < 300

        account.metadata_ = {BACKFILLED: "bench"}
        db.session.commit()
        requests.delete(sandbox + "_sandbox/calls", timeout=10)
        started = time.perf_counter()
        hourly = sync_insights(mode="recent", ad_account_id=account.id, trigger="bench")
        seconds = time.perf_counter() - started
        calls = requests.get(sandbox + "_sandbox/calls", timeout=10).json()["calls"]
        assert db.session.get(SyncRun, hourly).status == SyncRunStatus.SUCCEEDED  # type: ignore[union-attr]
        print(f"hourly pass (today + yesterday, {CAMPAIGNS * AD_SETS * ADS:,} ads): {seconds:.2f} s, {len(calls)} Graph calls")
        assert seconds <= 10 and len(calls) <= 10


class Timer:
    """Adds up the time spent in the functions it wraps."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        def timed(*args: t.Any, **kwargs: t.Any) -> t.Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

        return timed


def copy_baseline(url: str) -> float:
    """Rows per second of ``COPY`` of the stored rows into an empty table of the same shape."""
    columns = [c.name for c in AdInsight.__table__.columns]
    with psycopg.connect(plain(url)) as conn:
        json_at = columns.index("actions")
        rows = [
            (*row[:json_at], Json(row[json_at]), *row[json_at + 1 :])
            for row in conn.execute(f"SELECT {', '.join(columns)} FROM metaads_ad_insights")
        ]
        conn.execute("CREATE TABLE bench_copy (LIKE metaads_ad_insights INCLUDING ALL)")
        started = time.perf_counter()
        with conn.cursor().copy(f"COPY bench_copy ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
    return len(rows) / seconds
