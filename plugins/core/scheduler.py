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

import redis
from flask import Flask
from rq.cron import CronScheduler
from rq.exceptions import SchedulerNotFound

from plugins.core import jobs
from plugins.core.registry import PeriodicJob, platform_state

log = logging.getLogger(__name__)

LOCK_KEY = "platform:scheduler:lock"
#: The lock outlives a crashed scheduler by this much; a new one takes over after it.
LOCK_TTL = 60
#: How often a waiting scheduler checks whether the lock is free.
TAKEOVER_POLL = 2.0
#: How often the holder checks that it still holds the lock: a Redis restarted empty or flushed
#: takes the lock with it, and the holder must notice before the next periodic job is due.
HOLD_POLL = 2.0
#: Waits between attempts to reach Redis again after it failed: doubling from the first to the last.
RECONNECT_FIRST, RECONNECT_MAX = 0.5, 10.0


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
    """Take the lock and schedule while holding it; ride out Redis going away.

    Redis stopped, restarted empty or flushed must not end the process (leads stored meanwhile
    would wait for someone to restart it): a Redis error ends only the current attempt, and the
    next one, after a doubling wait, takes the lock again and registers the periodic jobs anew,
    which enqueues them at once (the sweeper catches up on what the outage left in the inbox).
    """
    name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    wait = RECONNECT_FIRST
    outage = False
    while not stop.is_set():
        try:
            if _take_lock(runner.redis, name):
                if outage:
                    log.warning("scheduler %s: Redis is back", name)
                outage, wait = False, RECONNECT_FIRST
                log.info("scheduler %s holds the lock; scheduling %d periodic jobs", name, len(periodic))
                _hold_and_schedule(runner, periodic, stop, name)
            else:
                outage, wait = False, RECONNECT_FIRST
                stop.wait(TAKEOVER_POLL)  # another scheduler runs; take over soon after it dies
        except redis.exceptions.RedisError as exc:
            # One line per outage at warning level; no traceback: this is expected weather.
            (log.debug if outage else log.warning)(
                "scheduler %s: Redis failed (%s: %s); trying again in %.1f s", name, type(exc).__name__, exc, wait
            )
            outage = True
            stop.wait(wait)
            wait = min(wait * 2, RECONNECT_MAX)


def _take_lock(client: redis.Redis, name: str) -> bool:
    return bool(client.set(LOCK_KEY, name, nx=True, ex=LOCK_TTL)) or client.get(LOCK_KEY) == name.encode()


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
            stop.wait(min(max(cron.calculate_sleep_interval(), 0.5), HOLD_POLL))
    finally:
        _step_back(runner.redis, cron, name)


def _step_back(client: redis.Redis, cron: CronScheduler, name: str) -> None:
    """Unregister and give the lock back, as far as Redis lets us: when it is down or came back
    empty there is nothing to undo, and an error here must not hide why we stepped back."""
    try:
        cron.register_death()  # SchedulerNotFound when Redis came back without our registration
    except (redis.exceptions.RedisError, SchedulerNotFound) as exc:
        log.info("scheduler %s: could not unregister (%s); Redis forgets it by itself", name, type(exc).__name__)
    try:
        if client.get(LOCK_KEY) == name.encode():
            client.delete(LOCK_KEY)
    except redis.exceptions.RedisError:
        pass  # the lock expires after LOCK_TTL


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
