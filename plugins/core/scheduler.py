"""Periodic jobs: declared by plugins (``PlatformState.periodic_jobs``), enqueued on time by one
scheduler process.

With Redis, RQ's CronScheduler enqueues them and a Redis lock makes sure only one scheduler does,
however many are started (a restarted or second one waits for the lock). Without Redis the
embedded default enqueues them into the in-process worker from a thread.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from flask import Flask
from rq.cron import CronScheduler

from plugins.core import jobs
from plugins.core.registry import PeriodicJob, platform_state

log = logging.getLogger(__name__)

LOCK_KEY = "platform:scheduler:lock"
#: The lock outlives a crashed scheduler by this much; a new one takes over after it.
LOCK_TTL = 60
#: How often a waiting scheduler checks whether the lock is free.
TAKEOVER_POLL = 2.0


def run_scheduler(app: Flask, *, stop: threading.Event | None = None) -> None:
    """Run until ``stop`` is set (or forever); a ``scheduler`` CLI command calls it."""
    stop = stop or threading.Event()
    periodic = platform_state(app).periodic_jobs
    runner = app.extensions["jobs"]
    if runner.mode == "rq":
        _run_cron(runner, periodic, stop)
    else:
        _run_in_process(app, periodic, stop)


def _run_cron(runner: jobs.JobRunner, periodic: list[PeriodicJob], stop: threading.Event) -> None:
    name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    redis = runner.redis
    while not stop.is_set():
        if redis.set(LOCK_KEY, name, nx=True, ex=LOCK_TTL) or redis.get(LOCK_KEY) == name.encode():
            log.info("scheduler %s holds the lock; scheduling %d periodic jobs", name, len(periodic))
            _hold_and_schedule(runner, periodic, stop, name)
        else:
            stop.wait(TAKEOVER_POLL)  # another scheduler runs; take over soon after it dies


def _hold_and_schedule(runner: jobs.JobRunner, periodic: list[PeriodicJob], stop: threading.Event, name: str) -> None:
    cron = CronScheduler(connection=runner.redis, name=name)
    for job in periodic:
        cron.register(
            job.func, queue_name=job.queue, interval=int(job.interval.total_seconds()), job_timeout=job.timeout, name=job.name
        )
    cron.register_birth()
    try:
        while not stop.is_set():
            if runner.redis.get(LOCK_KEY) != name.encode():
                log.warning("scheduler %s lost its lock; stepping back", name)
                return
            runner.redis.expire(LOCK_KEY, LOCK_TTL)
            if cron.enqueue_jobs():
                cron.save()
            cron.heartbeat()
            stop.wait(min(max(cron.calculate_sleep_interval(), 0.5), LOCK_TTL / 4))
    finally:
        cron.register_death()
        if runner.redis.get(LOCK_KEY) == name.encode():
            runner.redis.delete(LOCK_KEY)


def _run_in_process(app: Flask, periodic: list[PeriodicJob], stop: threading.Event) -> None:
    due = {job.name: 0.0 for job in periodic}
    with app.app_context():
        while not stop.is_set():
            now = time.monotonic()
            for job in periodic:
                if now >= due[job.name]:
                    jobs.enqueue(job.func, queue=job.queue, timeout=job.timeout)
                    due[job.name] = now + job.interval.total_seconds()
            stop.wait(max(min(due.values(), default=now + 1) - time.monotonic(), 0.5))


def start_in_background(app: Flask) -> threading.Event:
    """The embedded default's scheduler: a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_scheduler, args=(app,), kwargs={"stop": stop}, name="platform-scheduler", daemon=True).start()
    return stop
