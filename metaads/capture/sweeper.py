"""The sweeper: hands every due inbox row to a worker again. It covers an enqueue that failed
(Redis down), a queue that lost its data, a worker killed mid-batch (its lease runs out) and
retries whose delayed job never ran."""

from __future__ import annotations

import datetime as dt
import logging
import typing as t

import sqlalchemy as sa

from metaads.capture.process import ELIGIBLE, enqueue_in_batches
from metaads.models import WebhookInbox
from metaads.models.enums import InboxStatus
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.models import SocialPage

log = logging.getLogger(__name__)

#: A fresh row is the webhook's own job's to take; the sweeper leaves it alone this long.
GRACE = dt.timedelta(seconds=30)
#: At most this many rows per sweep: a backlog drains over several sweeps, never in one burst.
MAX_ROWS = 5000


def sweep_inbox(grace: dt.timedelta = GRACE) -> int:
    """Enqueue due rows in batches; returns how many rows were handed over."""
    now = utcnow()
    due = (
        db.session.execute(
            sa.select(WebhookInbox.id)
            .where(
                WebhookInbox.status.in_(ELIGIBLE),
                sa.or_(WebhookInbox.next_attempt_at.is_(None), WebhookInbox.next_attempt_at <= now),
                WebhookInbox.received_at <= now - grace,
            )
            .order_by(WebhookInbox.id)
            .limit(MAX_ROWS)
        )
        .scalars()
        .all()
    )
    enqueue_in_batches(list(due))
    if due:
        log.info("sweeper handed %d inbox rows to workers", len(due))
    return len(due)


def retry_rows(inbox_ids: list[int]) -> int:
    """An admin's Retry: failed, gone or waiting rows become due now."""
    rows: t.Any = db.session.execute(
        sa.update(WebhookInbox)
        .where(WebhookInbox.id.in_(inbox_ids), WebhookInbox.status.not_in([InboxStatus.PROCESSED, InboxStatus.INVALID]))
        .values(status=InboxStatus.PENDING, next_attempt_at=None, attempts=0)
    )
    db.session.commit()
    enqueue_in_batches(inbox_ids)
    return rows.rowcount or 0


def resume_after_reconnect(platform_id: int) -> int:
    """Rows that waited for this connection's token are due again."""
    page_ids = db.session.execute(sa.select(SocialPage.page_id).where(SocialPage.platform_id == platform_id)).scalars().all()
    waiting = (
        db.session.execute(
            sa.select(WebhookInbox.id).where(
                WebhookInbox.status == InboxStatus.WAITING_REAUTH, WebhookInbox.page_id.in_(page_ids)
            )
        )
        .scalars()
        .all()
    )
    if waiting:
        retry_rows(list(waiting))
    return len(waiting)
