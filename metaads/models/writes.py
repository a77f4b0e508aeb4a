"""Writes to Meta's ads objects: one row per create, change, pause or resume, kept forever.

The same row is the write's pending record and its audit entry. It is committed, with the
idempotency key the client sent, *before* Meta is called: a second submit with that key finds
it instead of creating a second campaign, and a write whose answer was lost is resolved from it
by reading Meta back. Afterwards it says who did what, the object before and after, and Meta's
answer; the object's page lists them.
"""

from __future__ import annotations

import datetime as dt
import enum
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from metaads.models.base import IdMixin, enum_type
from plugins.core.extensions import db
from plugins.core.models import utcnow


class WriteStatus(enum.StrEnum):
    PENDING = "pending"  # committed, Meta being called: a second submit with its key waits for it
    DONE = "done"  # Meta made the change; ``after`` is what Meta now has
    REFUSED = "refused"  # Meta (or a dead token) said no; nothing changed
    FAILED = "failed"  # not sent, or throttled: nothing changed
    UNKNOWN = "unknown"  # the answer was lost and reading back did not find the change


class AdWrite(IdMixin, db.Model):  # type: ignore[name-defined]
    """``object_type`` is ``campaign``, ``adset`` or ``ad``; ``object_id`` our id (empty until a
    create is done); ``action`` ``create``, ``update``, ``pause`` or ``resume``; ``request`` the
    parameters sent to Meta (never a token); ``meta`` Meta's answer or error."""

    __tablename__ = "metaads_ad_writes"
    __table_args__ = (sa.Index("ix_metaads_ad_writes_object", "object_type", "object_id", "id"),)

    object_type: Mapped[str] = mapped_column(sa.String(16))
    object_id: Mapped[int | None] = mapped_column(sa.BigInteger())
    meta_id: Mapped[str | None] = mapped_column(sa.String(64))
    ad_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("metaads_ad_accounts.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[WriteStatus] = mapped_column(enum_type(WriteStatus), default=WriteStatus.PENDING)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts_users.id", ondelete="SET NULL"))
    request: Mapped[dict[str, t.Any] | None]
    before: Mapped[dict[str, t.Any] | None]
    after: Mapped[dict[str, t.Any] | None]
    meta: Mapped[dict[str, t.Any] | None]
    message: Mapped[str | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
