"""The webhook inbox: one row per leadgen change, committed before we answer Meta 200."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from metaads.models.base import IdMixin, enum_type
from metaads.models.enums import InboxStatus, LeadSource
from plugins.core.extensions import db
from plugins.core.models import utcnow


class WebhookInbox(IdMixin, db.Model):  # type: ignore[name-defined]
    """``dedupe_key`` is the leadgen id for a leadgen change, or ``sha256:<hex>`` of the change for
    one we could not read (kept as ``invalid`` for inspection). Ids are exact strings, whatever
    width Meta sent them in."""

    __tablename__ = "metaads_webhook_inbox"
    # Every insert pays for every index, and a webhook is one insert: rows are found by their
    # status (workers, sweeper, pipeline), their lead id (the unique dedupe_key, which is the
    # leadgen id of every readable row) or their lead row, and by nothing else.
    __table_args__ = (sa.Index("ix_metaads_webhook_inbox_status_next", "status", "next_attempt_at"),)

    dedupe_key: Mapped[str] = mapped_column(sa.String(80), unique=True)  # the leadgen id, or sha256:… of what was unreadable
    leadgen_id: Mapped[str | None] = mapped_column(sa.String(64))
    page_id: Mapped[str | None] = mapped_column(sa.String(64))
    form_id: Mapped[str | None] = mapped_column(sa.String(64))
    ad_id: Mapped[str | None] = mapped_column(sa.String(64))
    adgroup_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_time: Mapped[dt.datetime | None]
    payload: Mapped[dict[str, t.Any] | None]  # what Meta sent, for rows we could not read
    source: Mapped[LeadSource] = mapped_column(enum_type(LeadSource), default=LeadSource.WEBHOOK)
    status: Mapped[InboxStatus] = mapped_column(enum_type(InboxStatus), default=InboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None]
    error_code: Mapped[str | None] = mapped_column(sa.String(32))  # Meta code/subcode, e.g. "190/463"
    deliveries: Mapped[int] = mapped_column(default=1, server_default="1")  # how often Meta sent it
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[dt.datetime | None]
    next_attempt_at: Mapped[dt.datetime | None]
    processed_at: Mapped[dt.datetime | None]
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("metaads_leads.id", ondelete="SET NULL"), index=True)
