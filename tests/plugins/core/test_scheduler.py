"""The scheduler enqueues each periodic job on time, and only one scheduler does at a time."""

from __future__ import annotations

import threading
import time
import typing as t

import pytest
from flask import Flask

from plugins.core import jobs
from plugins.core.registry import platform_state
from plugins.core.scheduler import LOCK_KEY, run_scheduler
from tests.conftest import running_app


@pytest.fixture
def rq_app(database_url: str, redis_url: str) -> t.Iterator[Flask]:
    with running_app(database_url, JOBS_MODE="rq", REDIS_URL=redis_url) as app:
        yield app


def queued_names(app: Flask) -> list[str]:
    runner = jobs.runner()
    names = []
    for queue in platform_state(app).queue_names():
        for job in runner.queue(queue).get_jobs():
            names.append(job.func_name.rsplit(".", 1)[-1])
    return sorted(names)


@pytest.mark.postgres_only  # the scheduler never touches the database; one backend is enough
def test_two_schedulers_enqueue_each_job_once(rq_app: Flask) -> None:
    stop = threading.Event()
    threads = [threading.Thread(target=run_scheduler, args=(rq_app,), kwargs={"stop": stop}) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(2.5)
    holder = jobs.runner().redis.get(LOCK_KEY)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert holder is not None, "one scheduler held the lock"
    names = queued_names(rq_app)
    for expected in (
        "sweep_on_schedule",
        "reconcile_on_schedule",
        "sync_forms_on_schedule",
        "check_subscriptions_on_schedule",
        "check_tokens_on_schedule",
    ):
        assert names.count(expected) == 1, names
    assert jobs.runner().redis.get(LOCK_KEY) is None, "a stopped scheduler gives the lock back"


@pytest.mark.postgres_only
def test_a_restarted_scheduler_takes_over(rq_app: Flask) -> None:
    jobs.runner().redis.set(LOCK_KEY, "crashed-host:1", ex=1)  # a scheduler that died holding it
    stop = threading.Event()
    thread = threading.Thread(target=run_scheduler, args=(rq_app,), kwargs={"stop": stop})
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "sweep_on_schedule" not in queued_names(rq_app):
        time.sleep(0.2)
    stop.set()
    thread.join(timeout=30)
    assert "sweep_on_schedule" in queued_names(rq_app)


def test_scheduler_command_lists_the_periodic_jobs(app: Flask) -> None:
    from plugins.core.registry import platform_state

    names = [job.name for job in platform_state(app).periodic_jobs]
    assert names == sorted(set(names), key=names.index)  # unique
    assert {"metaads-sweep-inbox", "metaads-reconcile-leads", "socials-check-tokens"} <= set(names)
