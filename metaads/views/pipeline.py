"""Pipeline health: what waits, what failed and why, what the webhooks missed — and Retry."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from flask import abort, url_for

from metaads.api.answers import PipelineSchema, RetriedSchema
from metaads.capture.sweeper import retry_rows
from metaads.conversions.admin import pipeline_payload, pipeline_summary
from metaads.models import OutboundDelivery, SyncRun, WebhookInbox
from metaads.models.enums import InboxStatus
from metaads.schemas import (
    JobFailureSchema,
    OutboundDeliverySchema,
    PageHealthSchema,
    SyncRunSchema,
    WebhookInboxSchema,
)
from metaads.views import bp
from plugins.core.apidoc import documented
from plugins.core.extensions import db
from plugins.core.failures import JobFailure
from plugins.core.models import utcnow
from plugins.core.pages import done, respond
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


@bp.get("/pipeline")
@documented(answers=PipelineSchema)
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
    conversions = pipeline_summary()
    payload = {
        "inbox_counts": {str(getattr(k, "value", k)): v for k, v in counts.items()},
        "problems": WebhookInboxSchema(many=True).dump(problems),
        "sync_runs": SyncRunSchema(many=True).dump(runs),
        "missed_by_webhook_7d": missed,
        "pages": PageHealthSchema(many=True).dump(pages),
        "job_failures": JobFailureSchema(many=True).dump(failures),
        "outbound_deliveries": OutboundDeliverySchema(many=True).dump(deliveries),
        "conversions": pipeline_payload(conversions),
    }
    return respond(
        "metaads/pipeline.html",
        payload,
        problem_rows=problems,
        run_rows=runs,
        page_rows=pages,
        failure_rows=failures,
        delivery_rows=deliveries,
        conversion_summary=conversions,
        retryable=[s.value for s in RETRYABLE],
    )


@bp.post("/pipeline/inbox/<int:row_id>/retry")
@documented(answers=RetriedSchema, errors={409: "`conflict`: the row is not in a state that can be retried."})
def pipeline_retry(row_id: int) -> t.Any:
    row = db.session.get(WebhookInbox, row_id) or abort(404, description="No such inbox row.")
    if row.status not in RETRYABLE:
        abort(409, description=f"A {row.status.value} row cannot be retried.")
    retry_rows([row.id])
    return done(f"Retrying lead {row.leadgen_id}.", url_for("metaads.pipeline"), {"retried": 1}, category="info")


@bp.post("/pipeline/retry")
@documented(answers=RetriedSchema)
def pipeline_retry_all() -> t.Any:
    ids = (
        db.session.execute(
            sa.select(WebhookInbox.id).where(WebhookInbox.status.in_((InboxStatus.FAILED, InboxStatus.WAITING_REAUTH)))
        )
        .scalars()
        .all()
    )
    retried = retry_rows(list(ids)) if ids else 0
    return done(f"Retrying {retried} leads.", url_for("metaads.pipeline"), {"retried": retried}, category="info")
