"""The lead path when our own processes fail: Redis down, a worker SIGKILLed mid-batch, the
database dropping connections during a burst. Real processes, real Redis, real PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa
from flask import Flask

from metaads.models import Lead, LeadActivity, WebhookInbox
from metaads.models.enums import InboxStatus
from metaads.sandbox import SandboxState, serve_in_thread
from metaads.sandbox import webhooks as sandbox_webhooks
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.registry import platform_state
from tests.conftest import POSTGRES_URL, ROOT, running_app
from tests.metaads.conftest import APP_SECRET, deliver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def redis_server(port: int) -> t.Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        with contextlib.suppress(redis.exceptions.ConnectionError):
            if client.ping():
                break
        time.sleep(0.05)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def stored_count(lead_ids: list[str]) -> int:
    db.session.expire_all()
    return int(db.session.execute(sa.select(sa.func.count()).where(Lead.meta_lead_id.in_(lead_ids))).scalar_one())


def burst_worker() -> None:
    jobs.runner().make_worker().work(burst=True)


@pytest.fixture
def rq_settings(config_overrides: dict[str, t.Any]) -> dict[str, t.Any]:
    return {**config_overrides, "JOBS_MODE": "rq"}


@pytest.mark.postgres_only
def test_redis_down_while_webhooks_arrive(database_url: str, rq_settings: dict[str, t.Any], graph: SandboxState) -> None:
    port = free_port()
    with running_app(database_url, **rq_settings, REDIS_URL=f"redis://127.0.0.1:{port}/0") as app:
        with redis_server(port):
            from plugins.socials.connect import connect_with_token

            connect_with_token(graph.user_token)
            burst_worker()  # the first sync
        leads = [graph.create_lead(graph.seed.forms["standard"])["id"] for _ in range(5)]
        client = app.test_client()
        started = time.monotonic()
        assert deliver(client, graph, leads, duplicates=1) == [200] * 10, "Redis down: every delivery still answered 200"
        assert time.monotonic() - started < 10, "a dead Redis must not stall the webhook"
        rows = db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.leadgen_id.in_(leads))).scalars().all()
        assert len(rows) == 5 and {r.status for r in rows} == {InboxStatus.PENDING}
        assert stored_count(leads) == 0
        with redis_server(port):
            from metaads.capture.sweeper import sweep_inbox

            assert sweep_inbox(grace=dt.timedelta(0)) == 5
            burst_worker()
        assert stored_count(leads) == 5


def child_pids(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    children.append(int(entry.name))
    return children


def start_worker(app: Flask, database_url: str, redis_url: str, **env: str) -> subprocess.Popen[bytes]:
    """``flask metaads worker`` in a process of its own, configured like ``app``."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key",
        "FLASK_TESTING": "true",
        "FACEBOOK_CLIENT_ID": app.config["FACEBOOK_CLIENT_ID"],
        "FACEBOOK_CLIENT_SECRET": app.config["FACEBOOK_CLIENT_SECRET"],
        "FACEBOOK_GRAPH_URL": app.config["FACEBOOK_GRAPH_URL"],
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "metaads", "worker"],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the work horse and its parent: nothing of the worker runs any cleanup."""
    for pid in [*child_pids(worker.pid), worker.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=10)


def wait_until_claimed(leads: list[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    claimed = 0
    while time.monotonic() < deadline:
        db.session.expire_all()
        claimed = db.session.execute(
            sa.select(sa.func.count()).where(WebhookInbox.leadgen_id.in_(leads), WebhookInbox.status == InboxStatus.ENQUEUED)
        ).scalar_one()
        if claimed == len(leads):
            break
        time.sleep(0.1)
    assert claimed == len(leads), "the worker claimed the batch"
    time.sleep(0.5)  # it is inside the Graph call now


@pytest.mark.postgres_only
def test_worker_killed_mid_batch(database_url: str, rq_settings: dict[str, t.Any], redis_url: str, graph: SandboxState) -> None:
    with running_app(database_url, **rq_settings, REDIS_URL=redis_url, METAADS_INBOX_LEASE=2) as app:
        from plugins.socials.connect import connect_with_token

        connect_with_token(graph.user_token)
        burst_worker()
        leads = [graph.create_lead(graph.seed.forms["standard"])["id"] for _ in range(4)]
        graph.add_fault(kind="latency_ms", latency_ms=30_000, method="POST", times=None)  # Graph hangs mid-batch
        assert deliver(app.test_client(), graph, leads, batch=4) == [200]
        worker = start_worker(app, database_url, redis_url, FLASK_METAADS_INBOX_LEASE="2")
        try:
            wait_until_claimed(leads)
        finally:
            kill_worker(worker)
        assert stored_count(leads) == 0
        graph.clear_faults()
        time.sleep(2.5)  # the dead worker's lease runs out
        from metaads.capture.sweeper import sweep_inbox

        assert sweep_inbox(grace=dt.timedelta(0)) == 4
        burst_worker()
        assert stored_count(leads) == 4
        rows = db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.leadgen_id.in_(leads))).scalars().all()
        assert {r.status for r in rows} == {InboxStatus.PROCESSED}


def sweep_on_schedule(app: Flask, stop: threading.Event) -> None:
    """What the scheduler does for the inbox: a sweep at the registered interval."""
    from metaads.capture.sweeper import sweep_inbox

    interval = next(job.interval for job in platform_state(app).periodic_jobs if job.name == "metaads-sweep-inbox")
    with app.app_context():
        while not stop.wait(interval.total_seconds()):
            sweep_inbox()
            db.session.remove()


@pytest.mark.postgres_only
def test_a_killed_workers_leads_are_stored_by_another_within_a_minute(
    database_url: str, rq_settings: dict[str, t.Any], redis_url: str, graph: SandboxState
) -> None:
    """Production's lease and sweep interval: the leads of a worker SIGKILLed in the middle of a
    batch are stored by another worker within 60 s of the kill, each once."""
    with running_app(database_url, **rq_settings, REDIS_URL=redis_url) as app:
        from plugins.socials.connect import connect_with_token

        connect_with_token(graph.user_token)
        burst_worker()
        leads = [graph.create_lead(graph.seed.forms["standard"])["id"] for _ in range(4)]
        graph.add_fault(kind="latency_ms", latency_ms=120_000, method="POST", times=None)  # Graph hangs mid-batch
        assert deliver(app.test_client(), graph, leads, batch=4) == [200]
        first = start_worker(app, database_url, redis_url)
        try:
            wait_until_claimed(leads)
        finally:
            kill_worker(first)
        killed = time.monotonic()
        graph.clear_faults()
        stop = threading.Event()
        scheduler = threading.Thread(target=sweep_on_schedule, args=(app, stop))
        scheduler.start()
        second = start_worker(app, database_url, redis_url)
        try:
            while stored_count(leads) < len(leads) and time.monotonic() - killed < 90:
                time.sleep(0.2)
            recovered = time.monotonic() - killed
        finally:
            stop.set()
            second.terminate()
            second.wait(timeout=30)
            scheduler.join()
        assert recovered < 60, f"stored {recovered:.0f} s after the kill"
        assert stored_count(leads) == len(leads)
        received = (
            sa.select(sa.func.count())
            .select_from(LeadActivity)
            .join(Lead)
            .where(Lead.meta_lead_id.in_(leads), LeadActivity.action == "received")
        )
        assert db.session.execute(received).scalar_one() == len(leads), "each lead was received (and followed up) once"
        rows = db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.leadgen_id.in_(leads))).scalars().all()
        assert {(r.status, r.attempts) for r in rows} == {(InboxStatus.PROCESSED, 2)}


def terminate_backends(database: str, stop: threading.Event) -> None:
    engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        while not stop.is_set():
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                {"d": database},
            )
            stop.wait(0.05)
    engine.dispose()


@pytest.mark.postgres_only
# psycopg cleans up a connection killed in the middle of an executemany pipeline from __del__,
# which can only report "cannot exit pipeline mode while busy" as an unraisable exception.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_database_dropping_connections_during_a_burst(app: Flask, graph: SandboxState, connected: int) -> None:
    """No 200 without a stored row; what got a 5xx is stored when Meta sends it again, and what a
    worker could not finish is handed over again by the sweeper once its lease ends."""
    app.config["METAADS_INBOX_LEASE"] = 1
    base_url, stop_server = serve_in_thread(app)
    leads = [graph.create_lead(graph.seed.forms["standard"])["id"] for _ in range(120)]
    bodies = []
    for envelope in sandbox_webhooks.envelopes([graph.lead(i) for i in leads], batch=1, sent_at=1):
        body = sandbox_webhooks.encode(envelope).encode()
        bodies.append((envelope["entry"][0]["changes"][0]["value"]["leadgen_id"], body))
    stop = threading.Event()
    killer = threading.Thread(target=terminate_backends, args=(sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, stop))
    results: dict[str, int] = {}
    session = requests.Session()
    try:
        killer.start()
        for lead_id, body in bodies:
            headers = {"Content-Type": "application/json", **sandbox_webhooks.signature_headers(body, APP_SECRET)}
            results[lead_id] = session.post(
                base_url + "webhooks/social/facebook", data=body, headers=headers, timeout=30
            ).status_code
    finally:
        stop.set()
        killer.join()
    ok = [lead_id for lead_id, status in results.items() if status == 200]
    failed = [lead_id for lead_id, status in results.items() if status != 200]
    assert set(results.values()) <= {200, 503}, "only 200 or a retryable 503, never another 5xx"
    db.session().invalidate()  # the test's own connection was cut too: drop it without a rollback
    in_inbox = set(db.session.execute(sa.select(WebhookInbox.leadgen_id).where(WebhookInbox.leadgen_id.in_(leads))).scalars())
    assert set(ok) <= in_inbox, "every 200 has its inbox row"
    for lead_id, body in bodies:  # Meta retries what did not get a 200
        if lead_id in failed:
            headers = {"Content-Type": "application/json", **sandbox_webhooks.signature_headers(body, APP_SECRET)}
            assert session.post(base_url + "webhooks/social/facebook", data=body, headers=headers, timeout=30).status_code == 200
    stop_server()
    time.sleep(1.1)  # leases of jobs that died with their connection run out
    from metaads.capture.sweeper import sweep_inbox

    sweep_inbox(grace=dt.timedelta(0))
    assert stored_count(leads) == len(leads)


# -- webhooks that skip Redis while processing jobs wait ---------------------------------------


@pytest.mark.postgres_only
def test_a_busy_queue_is_remembered_briefly(database_url: str, rq_settings: dict[str, t.Any], redis_url: str) -> None:
    from metaads.capture import process

    with running_app(database_url, **rq_settings, REDIS_URL=redis_url):
        process._busy_until = 0.0
        assert not process.queue_is_busy()
        for _ in range(process.BUSY_QUEUE_LENGTH):
            process.enqueue_processing([])
        assert process.queue_is_busy()
        jobs.runner().queue("metaads-high").empty()
        assert process.queue_is_busy(), "within the memory, Redis is not asked again"
        time.sleep(process.BUSY_MEMORY_SECONDS)
        assert not process.queue_is_busy(), "after it, Redis is asked and the queue is empty"


@pytest.mark.postgres_only
def test_a_job_leaves_only_after_a_quiet_period_and_takes_what_arrives_in_it(
    database_url: str, rq_settings: dict[str, t.Any], redis_url: str, graph: SandboxState
) -> None:
    """The other half of the bargain: a row stored while a webhook trusted an old "busy" is
    claimed by the job that was waiting, because that job looks again before it leaves."""
    from metaads.capture import process

    with running_app(database_url, **rq_settings, REDIS_URL=redis_url) as app:
        from plugins.socials.connect import connect_with_token

        connect_with_token(graph.user_token)
        burst_worker()  # the first sync
        started = time.monotonic()
        assert process.process_inbox([])["processed"] == 0
        assert time.monotonic() - started >= process.BUSY_MEMORY_SECONDS, "it looked again before leaving"

        lead = graph.create_lead(graph.seed.forms["standard"])["id"]
        outcome: dict[str, int] = {}

        def job() -> None:
            with app.app_context():
                outcome.update(process.process_inbox([]))

        worker = threading.Thread(target=job)
        worker.start()
        time.sleep(process.BUSY_MEMORY_SECONDS / 3)  # the job found nothing and is looking again
        process._busy_until = time.monotonic() + process.BUSY_MEMORY_SECONDS  # this process "saw" it waiting
        jobs.runner().queue("metaads-high").empty()
        assert deliver(app.test_client(), graph, [lead]) == [200]
        assert jobs.runner().waiting("metaads-high") == 0, "the webhook trusted the busy queue and queued nothing"
        worker.join(timeout=30)
        assert outcome["processed"] == 1 and stored_count([lead]) == 1
