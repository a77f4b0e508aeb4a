"""Sync runs: every sync leaves a row with what it covered, its progress and how it ended; and
``sync_from_meta``, the one loop every sync from Meta runs (lead forms, ad accounts, the leads
reconciler; ads and insights next): token errors, rate limits and partial success handled once.

A sync is a job ``job(run_id)`` (plus optional arguments a fresh run needs): the route or the
schedule records the run, and a paused run continues by queuing ``job(run.id)`` again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import typing as t

from metaads.connections import mark_needs_reauth
from metaads.graph.errors import GraphError, GraphRateLimitError, GraphTokenError
from metaads.models import SyncRun
from metaads.models.enums import SyncRunStatus
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.models import utcnow

#: The longest a sync job may run (a backfill of many forms takes a while).
SYNC_TIMEOUT = 3 * 3600


def start_run(
    kind: str, *, scope: str = "all", trigger: str = "manual", platform_id: int | None = None, requested_by: int | None = None
) -> SyncRun:
    run = SyncRun(
        kind=kind, scope=scope, trigger=trigger, platform_id=platform_id, requested_by=requested_by, counts={}, progress={}
    )
    db.session.add(run)
    db.session.commit()
    return run


def run_for(run_id: int | None, kind: str, **start: t.Any) -> SyncRun:
    """The run a job was queued with (the route made it, to answer 202 with its id), or a new one."""
    run = db.session.get(SyncRun, run_id) if run_id is not None else None
    return run if run is not None else start_run(kind, **start)


def bump(run: SyncRun, **counts: int) -> None:
    """Add to the run's counters (a new dict, so SQLAlchemy sees the change)."""
    merged = dict(run.counts or {})
    for key, value in counts.items():
        merged[key] = merged.get(key, 0) + value
    run.counts = merged


def save_progress(run: SyncRun, **progress: t.Any) -> None:
    run.progress = {**(run.progress or {}), **progress}
    db.session.commit()


def finish_run(
    run: SyncRun, status: SyncRunStatus = SyncRunStatus.SUCCEEDED, error: str | None = None, code: str | None = None
) -> None:
    run.status = status
    run.finished_at = utcnow()
    run.error = error[:2000] if error else None
    run.error_code = code
    db.session.commit()


T = t.TypeVar("T")

#: How long a sync waits when Meta throttles it without saying for how long.
DEFAULT_RATE_LIMIT_WAIT = 60.0


@dataclasses.dataclass(frozen=True)
class Unit(t.Generic[T]):
    """One call's worth of a sync: what to read (``item``: a connection, a page, a form, an ad
    account…) and the token of the connection it is read with.

    :param key: stable and unique within the sync: a resumed run skips the keys it finished.
    :param label: how the run's error names the unit (``"page 123"``, ``"form 456"``).
    """

    key: str
    label: str
    token: str
    platform_id: int | None
    item: T


class Ending(enum.Enum):
    """How one unit ended, from Meta's error class (never from the HTTP status)."""

    READ = "read"
    #: Meta refused the token (190): the connection is marked for re-auth; the run carries on.
    NEEDS_REAUTH = "needs_reauth"
    #: Any other Graph error: recorded on the run, which carries on with the next unit.
    FAILED = "failed"
    #: Meta asked us to wait: the run stops here and continues after the wait.
    RATE_LIMITED = "rate_limited"

    @classmethod
    def of(cls, exc: GraphError) -> Ending:
        if isinstance(exc, GraphRateLimitError):
            return cls.RATE_LIMITED
        if isinstance(exc, GraphTokenError):
            return cls.NEEDS_REAUTH
        return cls.FAILED


@dataclasses.dataclass
class Tally:
    """What a leg of the run did (a paused run's next leg starts a new one): its ``done`` keys
    include those of earlier legs, read back from the run's progress."""

    done: set[str] = dataclasses.field(default_factory=set)
    errors: list[str] = dataclasses.field(default_factory=list)

    def status(self) -> SyncRunStatus:
        """Partial when some units were read and some failed; failed when none was read."""
        if not self.errors:
            return SyncRunStatus.SUCCEEDED
        return SyncRunStatus.PARTIAL if self.done else SyncRunStatus.FAILED


def sync_from_meta(
    run: SyncRun, units: t.Iterable[Unit[T]], read: t.Callable[[Unit[T]], None], *, job: t.Callable[[int], t.Any]
) -> SyncRunStatus:
    """Run ``read`` on every unit the run has not finished yet, and sort each Graph error by its
    class (see ``Ending``): a dead token marks its connection for re-auth, any other error is
    recorded and the run goes on, a rate limit pauses the run, which ``job(run.id)`` continues
    after Meta's wait. Returns the run's status: ``RUNNING`` while paused, else how it ended.

    ``read`` stores what it read and counts it on the run (``bump``); it may commit as it goes
    (e.g. after each page, with its own resume point in the run's progress): a failure rolls
    back only what it had not committed. The units finished are saved in the run's progress
    (``done``), so a paused or crashed run resumes after the last one.
    """
    if run.status != SyncRunStatus.RUNNING:
        return run.status  # already finished (a job queued twice)
    tally = Tally(done=set((run.progress or {}).get("done", [])))
    for unit in units:
        if unit.key in tally.done:
            continue
        try:
            read(unit)
        except GraphError as exc:
            db.session.rollback()
            ending = Ending.of(exc)
            if ending is Ending.RATE_LIMITED:
                pause(run, t.cast(GraphRateLimitError, exc), job)
                return run.status
            if ending is Ending.NEEDS_REAUTH:
                mark_needs_reauth(unit.platform_id, exc)
            tally.errors.append(f"{unit.label}: {exc}")
            db.session.commit()
            continue
        tally.done.add(unit.key)
        save_progress(run, done=sorted(tally.done))
    finish_run(run, tally.status(), "; ".join(tally.errors) or None)
    return run.status


def pause(run: SyncRun, exc: GraphRateLimitError, job: t.Callable[[int], t.Any]) -> None:
    """Meta asked us to wait: keep the progress and continue after the wait (asking sooner only
    extends the block)."""
    wait = max(exc.retry_after or DEFAULT_RATE_LIMIT_WAIT, 1.0)
    bump(run, rate_limited=1)
    save_progress(run, resume_after_seconds=wait)
    jobs.enqueue(job, run.id, queue="metaads-default", delay=dt.timedelta(seconds=wait), timeout=SYNC_TIMEOUT)
