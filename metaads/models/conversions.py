"""Conversions API for CRM: the settings (one row), one outbound event per lead and stage, and
one row per call to ``POST /{dataset_id}/events`` with what Meta answered."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from metaads.models.base import IdMixin
from plugins.core.extensions import db
from plugins.core.models import utcnow


class ConversionSettings(db.Model):  # type: ignore[name-defined]
    """The one row (``id`` 1) of settings, and the sender's state: when it may call Meta again
    after a transient error or a rate limit, and why it waits."""

    __tablename__ = "metaads_conversion_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    dataset_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: our lead status → Meta's ``event_name``; a status missing here sends nothing
    stage_names: Mapped[dict[str, t.Any]]
    test_event_code: Mapped[str | None] = mapped_column(sa.String(64))
    enabled_at: Mapped[dt.datetime | None]
    #: consecutive transient failures (the backoff's attempt number); 0 after a success
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    retry_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConversionEvent(IdMixin, db.Model):  # type: ignore[name-defined]
    """One stage of one lead, to send once. ``status``: pending, sent, failed (Meta refused it:
    ``error`` is Meta's message), expired (older than Meta accepts), skipped (erased lead).
    ``id`` order is send order: a lead's stages are written earlier stage first."""

    __tablename__ = "metaads_conversion_events"
    __table_args__ = (
        sa.UniqueConstraint("lead_id", "stage", name="uq_metaads_conversion_events_lead_stage"),
        sa.Index("ix_metaads_conversion_events_status_id", "status", "id"),
    )

    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("metaads_leads.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(sa.String(32))  # our status: new, contacted, …
    event_name: Mapped[str] = mapped_column(sa.String(255))
    #: Meta's deduplication key: the lead's Meta id and the stage, so a resend is harmless
    event_id: Mapped[str] = mapped_column(sa.String(128))
    reached_at: Mapped[dt.datetime]  # event_time
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    error: Mapped[str | None]
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("metaads_conversion_batches.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]


class ConversionBatch(IdMixin, db.Model):  # type: ignore[name-defined]
    """One call to ``POST /{dataset_id}/events``: how many events, Meta's ``events_received``
    and ``fbtrace_id``, or Meta's error."""

    __tablename__ = "metaads_conversion_batches"

    dataset_id: Mapped[str] = mapped_column(sa.String(64))
    events: Mapped[int]
    events_received: Mapped[int | None]
    fbtrace_id: Mapped[str | None] = mapped_column(sa.String(64))
    test_event_code: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))  # sent, failed
    error: Mapped[str | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
