"""The lead activity log: who did what to a lead, and when."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from metaads.models.base import IdMixin
from plugins.core.extensions import db
from plugins.core.models import utcnow

if t.TYPE_CHECKING:
    from metaads.models.leads import Lead


class LeadActivity(IdMixin, db.Model):  # type: ignore[name-defined]
    """Append-only. ``lead_id`` is empty for actions over many leads (an export), whose filters and
    row count are in ``details``. Actions: received, status_changed, note_added, assigned, exported,
    person_linked, converted, erased."""

    __tablename__ = "metaads_lead_activity"
    __table_args__ = (sa.Index("ix_metaads_lead_activity_lead", "lead_id", "id"),)

    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("metaads_leads.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(sa.String(32))
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts_users.id", ondelete="SET NULL"))
    from_value: Mapped[str | None]
    to_value: Mapped[str | None]
    details: Mapped[dict[str, t.Any] | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    lead: Mapped[Lead | None] = relationship(back_populates="activities")
