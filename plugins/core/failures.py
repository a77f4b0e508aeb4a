"""A record of every background job that raised, readable without access to Redis."""

from __future__ import annotations

import datetime as dt
import typing as t

from sqlalchemy.orm import Mapped, mapped_column

from plugins.core.extensions import db
from plugins.core.models import BigIntPK, utcnow


class JobFailure(db.Model):  # type: ignore[name-defined]
    __tablename__ = "core_job_failures"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    job_id: Mapped[str | None]
    func_name: Mapped[str]
    args: Mapped[list[t.Any]]
    error_type: Mapped[str]
    error: Mapped[str]
    failed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    retried_at: Mapped[dt.datetime | None]
