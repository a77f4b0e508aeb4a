"""Erasing a lead's personal data (GDPR Art. 17 on request; Art. 5(1)(e) storage limitation by
``METAADS_RETENTION_DAYS``), keeping a record that it happened and nothing personal.

What goes: name, email, phone, every answer (``field_data``), consent answers, notes, metadata,
and anything beyond Meta's ids in the lead's webhook inbox rows. What stays: ids, source (ad,
campaign, form), status and its times, the assignee, the link to a Person (that record belongs to
the host platform, which decides about it), and the activity log — which never holds personal
data — plus an ``erased`` entry with who and why. ``erased_at`` stops any later sync from filling
the lead in again (the capture upsert skips erased rows). Export files already written expire on
their own within ``METAADS_EXPORT_LINK_MAX_AGE``.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from flask import current_app

from metaads.models import Lead, LeadActivity, WebhookInbox
from metaads.models.enums import LeadStatus
from plugins.core.extensions import db
from plugins.core.http import APIError
from plugins.core.models import utcnow

PERSONAL_FIELDS = (
    "email",
    "phone",
    "full_name",
    "first_name",
    "last_name",
    "field_data",
    "custom_disclaimer_responses",
    "notes",
    "metadata_",
)
#: What a leadgen webhook change carries: ids and a time, nothing personal; kept for the audit trail.
INBOX_ID_KEYS = frozenset({"leadgen_id", "page_id", "form_id", "ad_id", "adgroup_id", "created_time"})
BATCH = 500


def erase_lead(lead: Lead, *, actor_id: int | None, reason: str, details: dict[str, t.Any] | None = None) -> None:
    """Remove ``lead``'s personal data now (the caller commits). 409 if it already was."""
    if lead.erased_at is not None:
        raise APIError(
            409, "already_erased", f"This lead's personal data was already erased on {lead.erased_at:%Y-%m-%d %H:%M} UTC."
        )
    for name in PERSONAL_FIELDS:
        setattr(lead, name, None)
    lead.erased_at = utcnow()
    scrub_inbox(lead)
    db.session.add(
        LeadActivity(lead_id=lead.id, action="erased", actor_user_id=actor_id, details={"reason": reason, **(details or {})})
    )


def scrub_inbox(lead: Lead) -> None:
    rows = db.session.execute(
        sa.select(WebhookInbox).where(sa.or_(WebhookInbox.lead_id == lead.id, WebhookInbox.dedupe_key == lead.meta_lead_id))
    ).scalars()
    for row in rows:
        if row.payload and set(row.payload) - INBOX_ID_KEYS:
            row.payload = {key: value for key, value in row.payload.items() if key in INBOX_ID_KEYS}


def anonymise_expired_leads(now: dt.datetime | None = None) -> int:
    """The periodic job: erase archived leads created more than ``METAADS_RETENTION_DAYS`` ago.
    Does nothing when the setting is None (keep). Commits every ``BATCH`` leads; returns how many."""
    days = current_app.config.get("METAADS_RETENTION_DAYS")
    if days is None:
        return 0
    cutoff = (now or utcnow()) - dt.timedelta(days=int(days))
    erased = 0
    while True:
        batch = list(
            db.session.execute(
                sa.select(Lead)
                .where(Lead.status == LeadStatus.ARCHIVED, Lead.erased_at.is_(None), Lead.created_time < cutoff)
                .order_by(Lead.id)
                .limit(BATCH)
            ).scalars()
        )
        for lead in batch:
            erase_lead(lead, actor_id=None, reason="retention", details={"retention_days": int(days)})
        db.session.commit()
        erased += len(batch)
        if len(batch) < BATCH:
            return erased
