"""Background jobs: RQ when ``REDIS_URL`` is set, an in-process worker thread otherwise.

Jobs are plain module-level functions that take primitive ids, never ORM objects, and re-load what
they need. Every job runs in its own app context, so each gets its own database session; a job that
raises is recorded in ``core_job_failures`` (and, under RQ, in its FailedJobRegistry) for an admin
to see and retry.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue as queue_module
import threading
import time
import traceback
import typing as t

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue, SimpleWorker, Worker
from rq.exceptions import DuplicateJobError, StopRequested
from rq.job import Job
from rq.worker import BaseWorker
from sqlalchemy import orm, text

from plugins.core.extensions import db
from plugins.core.failures import JobFailure
from plugins.core.registry import DEFAULT_QUEUE, platform_state
from plugins.core.settings import ConfigError

log = logging.getLogger(__name__)

JobFunc = t.Callable[..., t.Any]

DEFAULT_TIMEOUT = 300
#: A worker that RQ gave up on (Redis went away outside its own retry loop) is replaced after a
#: wait doubling from the first to the last; one that ran this long resets the wait.
RECONNECT_FIRST, RECONNECT_MAX, RECONNECT_RESET = 0.5, 10.0, 30.0


def init_app(app: Flask) -> None:
    mode = app.config["JOBS_MODE"]
    if mode not in ("rq", "thread", "eager"):
        raise ConfigError(f"JOBS_MODE must be rq, thread or eager, not {mode!r}")
    if mode == "rq" and not app.config.get("REDIS_URL"):
        raise ConfigError("JOBS_MODE=rq needs REDIS_URL")
    app.extensions["jobs"] = JobRunner(app, mode)


def runner() -> JobRunner:
    runner_: JobRunner = current_app.extensions["jobs"]
    return runner_


def enqueue(
    func: JobFunc,
    *args: t.Any,
    queue: str = DEFAULT_QUEUE,
    job_id: str | None = None,
    delay: dt.timedelta | None = None,
    timeout: int = DEFAULT_TIMEOUT,
) -> str | None:
    """Queue ``func(*args)``; return the job id. A ``job_id`` already queued is not queued twice.

    Raises ``redis.exceptions.RedisError`` when Redis is unreachable: callers that must not fail
    (the webhook) write their work to the database first and let a sweeper enqueue it later.
    """
    return runner().enqueue(func, args, queue=queue, job_id=job_id, delay=delay, timeout=timeout)


def record_failure(func_name: str, args: t.Sequence[t.Any], job_id: str | None, exc: BaseException) -> None:
    """Keep a visible record of a failed job; never let recording itself raise."""
    try:
        db.session.rollback()
        db.session.add(
            JobFailure(
                job_id=job_id,
                func_name=func_name,
                args=[a if isinstance(a, (int, str, float, bool)) or a is None else repr(a) for a in args],
                error_type=type(exc).__name__,
                error=str(exc)[:2000],
            )
        )
        db.session.commit()
    except Exception:  # the database may be what failed
        log.exception("could not record the failure of job %s", func_name)


def _name(func: JobFunc) -> str:
    return f"{func.__module__}.{func.__qualname__}"


class JobRunner:
    def __init__(self, app: Flask, mode: str) -> None:
        self.app = app
        self.mode = mode
        self._redis: redis.Redis | None = None
        self._thread: _WorkerThread | None = None
        #: Eager mode keeps delayed jobs here instead of running them at once, so a test sees a
        #: retry scheduled (and can run it with ``run_deferred``) rather than a retry storm.
        self.deferred: list[tuple[JobFunc, tuple[t.Any, ...], str | None, dt.timedelta]] = []

    # -- Redis ---------------------------------------------------------------------------------
    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            # Fail fast: a request that enqueues must not hang for seconds when Redis is down.
            self._redis = redis.Redis.from_url(
                self.app.config["REDIS_URL"],
                socket_connect_timeout=1,
                socket_timeout=5,
                retry=Retry(NoBackoff(), 1),
                health_check_interval=30,
            )
        return self._redis

    def queue(self, name: str) -> Queue:
        return Queue(name, connection=self.redis, job_class=self.job_class())

    def waiting(self, name: str) -> int:
        """Jobs waiting in the queue ``name``: one ``LLEN``, without building a ``Queue``."""
        return int(self.redis.llen(Queue.redis_queue_namespace_prefix + name))

    def job_class(self) -> type[Job]:
        return _app_job_class(self.app)

    # -- enqueue -------------------------------------------------------------------------------
    def enqueue(
        self,
        func: JobFunc,
        args: t.Sequence[t.Any],
        *,
        queue: str,
        job_id: str | None,
        delay: dt.timedelta | None,
        timeout: int,
    ) -> str | None:
        if self.mode == "eager":
            if delay:
                self.deferred.append((func, tuple(args), job_id, delay))
            else:
                run_in_context(self.app, func, tuple(args), job_id)
            return job_id
        if self.mode == "thread":
            self._worker_thread().submit(func, tuple(args), job_id, delay)
            return job_id
        return self._enqueue_rq(func, args, queue=queue, job_id=job_id, delay=delay, timeout=timeout)

    def run_deferred(self) -> int:
        """Eager mode: run the delayed jobs now (as if their time had come); returns how many."""
        ran = 0
        while self.deferred:
            func, args, job_id, _delay = self.deferred.pop(0)
            run_in_context(self.app, func, args, job_id)
            ran += 1
        return ran

    def _enqueue_rq(
        self,
        func: JobFunc,
        args: t.Sequence[t.Any],
        *,
        queue: str,
        job_id: str | None,
        delay: dt.timedelta | None,
        timeout: int,
    ) -> str | None:
        options: dict[str, t.Any] = {
            "args": tuple(args),
            "job_id": job_id,
            "job_timeout": timeout,
            "result_ttl": 3600,
            "failure_ttl": 30 * 24 * 3600,
            "unique": job_id is not None,
        }
        q = self.queue(queue)
        try:
            job = q.enqueue_in(delay, func, **options) if delay else q.enqueue(func, **options)
        except DuplicateJobError:
            return job_id
        return str(job.id)

    def _worker_thread(self) -> _WorkerThread:
        # Started lazily, and again in a forked child (gunicorn), where the parent's thread is gone.
        if self._thread is None or not self._thread.alive():
            self._thread = _WorkerThread(self.app)
        return self._thread

    # -- RQ worker -----------------------------------------------------------------------------
    def work(self, queues: t.Sequence[str] | None = None, *, fork: bool = True, burst: bool = False) -> None:
        """Work ``queues`` (default: every registered queue, in priority order) until a signal
        stops us (or, with ``burst``, until they are empty).

        RQ retries a lost connection only while it waits for a job; Redis going away at any
        other moment (between jobs, while saving a result, at a restart that came back empty)
        makes its worker quit. The process must not: a new worker replaces it once Redis
        answers again, so a Redis outage never needs someone to restart the workers.
        """
        self._warm_up()
        queues = queues or platform_state(self.app).queue_names()
        wait = RECONNECT_FIRST
        while True:
            started = time.monotonic()
            worker: BaseWorker | None = None
            try:
                worker = self._new_worker(queues, fork=fork)
                worker.work(burst=burst, with_scheduler=True)
            except redis.exceptions.RedisError as exc:
                if burst:
                    raise  # one pass was asked for, and it could not be done
                log.warning("worker: Redis failed (%s: %s)", type(exc).__name__, exc)
            if burst or (isinstance(worker, _StopAware) and worker.stop_asked):
                return
            if time.monotonic() - started > RECONNECT_RESET:
                wait = RECONNECT_FIRST
            log.warning("worker: RQ's worker stopped without being asked to; a new one starts in %.1f s", wait)
            try:
                time.sleep(wait)
            except StopRequested:  # the quit worker's signal handlers are still installed
                return
            wait = min(wait * 2, RECONNECT_MAX)

    def make_worker(self, queues: t.Sequence[str] | None = None, *, fork: bool = True) -> BaseWorker:
        """An RQ worker on ``queues`` (default: every registered queue, in priority order).
        ``fork=False`` runs jobs in the worker process itself (RQ's SimpleWorker: no fork per job,
        so several times the throughput of short jobs, at the price of the isolation a fork gives)."""
        self._warm_up()
        return self._new_worker(queues or platform_state(self.app).queue_names(), fork=fork)

    def _new_worker(self, queues: t.Sequence[str], *, fork: bool) -> BaseWorker:
        worker_class: type[BaseWorker] = _ForkingWorker if fork else _SimpleWorker
        # A short worker TTL and maintenance interval bring a job whose worker was SIGKILLed back
        # within about 100 s instead of the defaults' 7+ minutes (see reliability.md §2.2).
        worker = worker_class(
            [self.queue(name) for name in queues],
            connection=self.redis,
            job_class=self.job_class(),
            worker_ttl=35,
            maintenance_interval=15,
            exception_handlers=[self._rq_exception_handler],
        )
        return worker

    def _warm_up(self) -> None:
        """Do once in the parent what every forked job would otherwise redo: configure the ORM
        mappers and initialise the database dialect. No connection is kept for children."""
        with self.app.app_context():
            orm.configure_mappers()
            db.session.execute(text("SELECT 1"))
            db.session.remove()
            db.engine.dispose()

    def _rq_exception_handler(self, job: Job, exc_type: type, exc: BaseException, tb: t.Any) -> bool:
        with self.app.app_context():
            record_failure(job.func_name or "?", job.args or (), job.id, exc)
        return True  # fall through to RQ's default handler (FailedJobRegistry)


def run_in_context(app: Flask, func: JobFunc, args: tuple[t.Any, ...], job_id: str | None) -> t.Any:
    """One app context (so one database session) per job."""
    with app.app_context():
        try:
            return func(*args)
        except Exception as exc:
            log.warning("job %s failed: %s", _name(func), type(exc).__name__)
            record_failure(_name(func), args, job_id, exc)
            if app.config["JOBS_MODE"] == "eager":
                raise
            log.debug("%s", traceback.format_exc())
            return None


_job_classes: dict[int, type[Job]] = {}


def _app_job_class(app: Flask) -> type[Job]:
    """An RQ Job class that performs each job inside ``app``'s app context."""
    key = id(app)
    if key not in _job_classes:
        parent_pid = os.getpid()

        class AppJob(Job):
            def perform(self) -> t.Any:
                with app.app_context():
                    if os.getpid() != parent_pid:
                        # A forked work horse must not use the parent's pooled connections.
                        db.engine.dispose(close=False)
                    return super().perform()

        _job_classes[key] = AppJob
    return _job_classes[key]


class _StopAware(BaseWorker):
    """Remembers that a signal asked the worker to stop: RQ's ``work()`` returns the same way
    when it gave up on a Redis error, and only then must ``JobRunner.work`` start a new one."""

    stop_asked = False

    def request_stop(self, signum: t.Any, frame: t.Any) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)


class _ForkingWorker(_StopAware, Worker):
    pass


class _SimpleWorker(_StopAware, SimpleWorker):
    pass


class _WorkerThread:
    """The embedded default's worker: one daemon thread, jobs run in order, delays by timer."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self.jobs: queue_module.Queue[tuple[JobFunc, tuple[t.Any, ...], str | None]] = queue_module.Queue()
        self.thread = threading.Thread(target=self._run, name="platform-jobs", daemon=True)
        self.thread.start()

    def alive(self) -> bool:
        return self.pid == os.getpid() and self.thread.is_alive()

    def submit(self, func: JobFunc, args: tuple[t.Any, ...], job_id: str | None, delay: dt.timedelta | None) -> None:
        if delay:
            timer = threading.Timer(delay.total_seconds(), self.jobs.put, args=((func, args, job_id),))
            timer.daemon = True
            timer.start()
        else:
            self.jobs.put((func, args, job_id))

    def join(self, timeout: float = 30.0) -> bool:
        """Wait until every queued job has run (tests and the demo use this)."""
        done = threading.Event()
        self.jobs.put((lambda: done.set(), (), None))
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            func, args, job_id = self.jobs.get()
            run_in_context(self.app, func, args, job_id)
