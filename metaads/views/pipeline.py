"""Pipeline health: what waits, what failed and why, what the webhooks missed — and Retry."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from flask import abort, flash, redirect, url_for

from metaads.models import OutboundDelivery, SyncRun, WebhookInbox
from metaads.models.enums import InboxStatus
from metaads.views import bp
from metaads.views.sync import sync_run_json
from plugins.core.extensions import db
from plugins.core.failures import JobFailure
from plugins.core.http import wants_json
from plugins.core.models import utcnow
from plugins.core.pages import respond
from plugins.socials.models import SocialPage

#: Rows an admin should look at: everything that is not done, plus what ended badly.
PROBLEMS = (
    InboxStatus.PENDING,
    InboxStatus.ENQUEUED,
    InboxStatus.WAITING_REAUTH,
    InboxStatus.FAILED,
    InboxStatus.GONE,
    InboxStatus.INVALID,
)
RETRYABLE = (InboxStatus.PENDING, InboxStatus.WAITING_REAUTH, InboxStatus.FAILED, InboxStatus.GONE)


def inbox_json(row: WebhookInbox) -> dict[str, t.Any]:
    return {
        "id": row.id,
        "leadgen_id": row.leadgen_id,
        "page_id": row.page_id,
        "form_id": row.form_id,
        "status": row.status.value,
        "attempts": row.attempts,
        "deliveries": row.deliveries,
        "last_error": row.last_error,
        "error_code": row.error_code,
        "received_at": row.received_at.isoformat(),
        "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        "lead_id": row.lead_id,
    }


def delivery_json(row: OutboundDelivery) -> dict[str, t.Any]:
    return {
        "id": row.id,
        "url": row.url,
        "event": row.event,
        "lead_id": row.lead_id,
        "status": row.status,
        "attempts": row.attempts,
        "response_status": row.response_status,
        "last_error": row.last_error,
    }


@bp.get("/pipeline")
def pipeline() -> t.Any:
    counts = dict(db.session.execute(sa.select(WebhookInbox.status, sa.func.count()).group_by(WebhookInbox.status)).all())
    problems = (
        db.session.execute(
            sa.select(WebhookInbox).where(WebhookInbox.status.in_(PROBLEMS)).order_by(WebhookInbox.id.desc()).limit(100)
        )
        .scalars()
        .all()
    )
    runs = db.session.execute(sa.select(SyncRun).order_by(SyncRun.id.desc()).limit(20)).scalars().all()
    since = utcnow() - dt.timedelta(days=7)
    missed = sum(int((run.counts or {}).get("missed_by_webhook", 0)) for run in runs if run.started_at >= since)
    pages = db.session.execute(sa.select(SocialPage).order_by(SocialPage.name)).scalars().all()
    failures = db.session.execute(sa.select(JobFailure).order_by(JobFailure.id.desc()).limit(20)).scalars().all()
    deliveries = db.session.execute(sa.select(OutboundDelivery).order_by(OutboundDelivery.id.desc()).limit(20)).scalars().all()
    payload = {
        "inbox_counts": {str(getattr(k, "value", k)): v for k, v in counts.items()},
        "problems": [inbox_json(row) for row in problems],
        "sync_runs": [sync_run_json(run) for run in runs],
        "missed_by_webhook_7d": missed,
        "pages": [
            {
                "page_id": p.page_id,
                "name": p.name,
                "leadgen_subscribed": p.leadgen_subscribed,
                "last_webhook_at": p.last_webhook_at.isoformat() if p.last_webhook_at else None,
            }
            for p in pages
        ],
        "job_failures": [
            {
                "id": f.id,
                "func_name": f.func_name,
                "error_type": f.error_type,
                "error": f.error,
                "failed_at": f.failed_at.isoformat(),
            }
            for f in failures
        ],
        "outbound_deliveries": [delivery_json(d) for d in deliveries],
    }
    return respond(
        "metaads/pipeline.html",
        payload,
        problem_rows=problems,
        run_rows=runs,
        page_rows=pages,
        failure_rows=failures,
        delivery_rows=deliveries,
        retryable=[s.value for s in RETRYABLE],
    )


@bp.post("/pipeline/inbox/<int:row_id>/retry")
def pipeline_retry(row_id: int) -> t.Any:
    from metaads.capture.sweeper import retry_rows

    row = db.session.get(WebhookInbox, row_id) or abort(404, description="No such inbox row.")
    if row.status not in RETRYABLE:
        abort(409, description=f"A {row.status.value} row cannot be retried.")
    retry_rows([row.id])
    return done(f"Retrying lead {row.leadgen_id}.", {"retried": 1})


@bp.post("/pipeline/retry")
def pipeline_retry_all() -> t.Any:
    from metaads.capture.sweeper import retry_rows

    ids = (
        db.session.execute(
            sa.select(WebhookInbox.id).where(WebhookInbox.status.in_((InboxStatus.FAILED, InboxStatus.WAITING_REAUTH)))
        )
        .scalars()
        .all()
    )
    retried = retry_rows(list(ids)) if ids else 0
    return done(f"Retrying {retried} leads.", {"retried": retried})


def done(message: str, payload: dict[str, t.Any]) -> t.Any:
    if wants_json():
        return payload
    flash(message, "info")
    return redirect(url_for("metaads.pipeline"))
