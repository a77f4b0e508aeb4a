"""Sync runs: every sync leaves a row with what it covered, its progress and how it ended."""

from __future__ import annotations

import typing as t

from metaads.models import SyncRun
from metaads.models.enums import SyncRunStatus
from plugins.core.extensions import db
from plugins.core.models import utcnow


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
