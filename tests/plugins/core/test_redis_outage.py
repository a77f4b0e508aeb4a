"""The scheduler and a worker ride out Redis being stopped, restarted empty and flushed.

Real processes (``flask --app wsgi metaads scheduler`` / ``worker``) against a private
``redis-server`` on a free port, which the test stops, starts again with nothing in it, and
``FLUSHALL``s while they run. After each, the process must still be alive and still do its job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest
import redis
from rq import Queue

from plugins.core import jobs
from tests.conftest import ROOT, running_app
from tests.plugins.core.jobs_for_tests import create_person, create_person_slowly
from tests.plugins.core.test_jobs import emails


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A throwaway redis-server that keeps nothing on disk, so a restart starts it empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis(port=self.port, socket_connect_timeout=1)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, "redis-server to answer")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def _answers(self) -> bool:
        with contextlib.suppress(redis.exceptions.ConnectionError):
            return bool(self.client.ping())
        return False


@pytest.fixture
def private_redis() -> t.Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(condition: t.Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds:g} s for {what}")


@contextlib.contextmanager
def flask_process(args: list[str], database_url: str, redis_url: str, log: Path) -> t.Iterator[subprocess.Popen[bytes]]:
    """``flask --app wsgi ARGS`` as an operator runs it, its output kept in ``log``."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "outage-test-secret",
        "TOKEN_ENCRYPTION_KEY": "NHbFSTxl4uXqYkJfT2KjG-2oyu5FeG3y1jd6eN8W6kM=",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def queued(server: PrivateRedis) -> int:
    with contextlib.suppress(redis.exceptions.ConnectionError):
        return sum(queue.count for queue in Queue.all(connection=server.client))
    return 0


def assert_alive(proc: subprocess.Popen[bytes], log: Path) -> None:
    assert proc.poll() is None, f"exited with {proc.returncode}:\n{log.read_text()[-3000:]}"


@pytest.mark.postgres_only  # processes and Redis are what is tested; one database backend is enough
def test_scheduler_rides_out_redis_stopped_restarted_empty_and_flushed(
    database_url: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    log = tmp_path / "scheduler.log"
    with flask_process(["metaads", "scheduler"], database_url, private_redis.url, log) as proc:
        wait_for(lambda: queued(private_redis) > 0, 15, "the first periodic jobs")

        private_redis.stop()
        time.sleep(1.5)
        assert_alive(proc, log)
        private_redis.start()  # empty: no lock, no queues, no cron registry
        wait_for(lambda: queued(private_redis) > 0, 10, "periodic jobs after Redis came back empty")
        assert_alive(proc, log)

        private_redis.client.flushall()
        wait_for(lambda: queued(private_redis) > 0, 10, "periodic jobs after FLUSHALL")
        assert_alive(proc, log)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@pytest.mark.postgres_only
def test_worker_rides_out_redis_stopped_restarted_empty_and_flushed(
    database_url: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    with running_app(database_url, JOBS_MODE="rq", REDIS_URL=private_redis.url):
        with flask_process(["metaads", "worker"], database_url, private_redis.url, log) as proc:

            def runs(email: str) -> None:
                jobs.enqueue(create_person, email)
                wait_for(lambda: email in emails(), 12, f"the worker to run the job for {email}")
                assert_alive(proc, log)

            runs("before@example.com")

            # Redis goes away while a job runs: the worker cannot save its result, and RQ's
            # worker quits (its own retry covers only the wait for the next job).
            jobs.enqueue(create_person_slowly, "during-outage@example.com", 1.0)
            wait_for(lambda: b"create_person_slowly" in log.read_bytes(), 5, "the slow job to start")
            private_redis.stop()
            wait_for(lambda: "during-outage@example.com" in emails(), 5, "the slow job to finish")
            time.sleep(1.0)
            assert_alive(proc, log)
            private_redis.start()
            runs("after-restart@example.com")

            private_redis.client.flushall()
            runs("after-flush@example.com")

            # Delayed jobs (retries) need the worker's RQ scheduler, which died with the outage.
            jobs.enqueue(create_person, "delayed@example.com", delay=dt.timedelta(seconds=1))
            wait_for(lambda: "delayed@example.com" in emails(), 10, "the delayed job")
            assert_alive(proc, log)
    # RQ logs its own tracebacks as its worker quits; the process carried on without one of its own.
    assert "a new one starts" in log.read_text()
