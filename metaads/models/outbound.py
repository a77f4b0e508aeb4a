"""The delivery log of outbound webhooks (CRM sync): one row per event per endpoint."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from metaads.models.base import IdMixin
from plugins.core.extensions import db
from plugins.core.models import utcnow


class OutboundDelivery(IdMixin, db.Model):  # type: ignore[name-defined]
    """``status``: pending (due at ``next_attempt_at``), delivered, failed (gave up)."""

    __tablename__ = "metaads_outbound_deliveries"
    __table_args__ = (sa.Index("ix_metaads_outbound_deliveries_status_next", "status", "next_attempt_at"),)

    url: Mapped[str]
    event: Mapped[str] = mapped_column(sa.String(64))
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("metaads_leads.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, t.Any]]
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    response_status: Mapped[int | None]
    last_error: Mapped[str | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
