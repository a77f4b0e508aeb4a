"""Sync runs: every reconcile, backfill and ads/insights sync leaves one, with its progress."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from metaads.models.base import IdMixin, enum_type
from metaads.models.enums import SyncRunStatus
from plugins.core.extensions import db
from plugins.core.models import utcnow


class SyncRun(IdMixin, db.Model):  # type: ignore[name-defined]
    """``kind``: leads, backfill, lead_forms, ad_accounts, campaigns, insights, token_check.
    ``scope``: what it covered (a form id, ``act_…``, ``all``). ``progress`` holds the resume point
    (a paging cursor, a time) so an interrupted run continues where it stopped."""

    __tablename__ = "metaads_sync_runs"
    __table_args__ = (sa.Index("ix_metaads_sync_runs_kind_started", "kind", "started_at"),)

    kind: Mapped[str] = mapped_column(sa.String(32))
    scope: Mapped[str] = mapped_column(sa.String(128), default="all")
    trigger: Mapped[str] = mapped_column(sa.String(32), default="manual")  # manual, scheduler, connect, api
    status: Mapped[SyncRunStatus] = mapped_column(enum_type(SyncRunStatus), default=SyncRunStatus.RUNNING)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    counts: Mapped[dict[str, t.Any]] = mapped_column(default=dict)  # fetched, created, updated, failed
    progress: Mapped[dict[str, t.Any] | None]
    error: Mapped[str | None]
    error_code: Mapped[str | None] = mapped_column(sa.String(32))
    platform_id: Mapped[int | None] = mapped_column(sa.ForeignKey("socials_platforms.id", ondelete="SET NULL"), index=True)
    requested_by: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts_users.id", ondelete="SET NULL"))
