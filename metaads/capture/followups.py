"""What happens after a lead is stored, in jobs of its own so that a failure here (a Person table
lock, a notification server down) never keeps a lead from being stored."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from metaads.models import Lead, LeadActivity
from metaads.signals import lead_received
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.persons import find_or_create_person

log = logging.getLogger(__name__)


def enqueue_followups(lead_ids: list[int]) -> None:
    """Each follow-up is a job of its own: a mail server down never keeps a Person from linking."""
    from metaads.capture.notify import notify_new_leads
    from metaads.capture.outbound import push_new_leads

    for job in (after_leads_stored, notify_new_leads, push_new_leads):
        try:
            jobs.enqueue(job, lead_ids, queue="metaads-default")
        except Exception:
            # The leads are stored; follow-ups can be redone. Never fail the batch for them.
            log.warning("could not enqueue %s for %d leads", job.__name__, len(lead_ids))


def after_leads_stored(lead_ids: list[int]) -> None:
    if current_app.config["METAADS_LINK_PERSONS"]:
        link_persons(lead_ids)
    lead_received.send(current_app._get_current_object(), lead_ids=lead_ids)  # type: ignore[attr-defined]


def link_persons(lead_ids: list[int]) -> int:
    """Link each lead to its Person (matched by email, then phone), creating one if needed."""
    match_on = tuple(current_app.config["METAADS_PERSON_MATCH_ON"])
    leads = db.session.execute(
        sa.select(Lead).where(Lead.id.in_(lead_ids), Lead.person_id.is_(None), Lead.erased_at.is_(None))
    ).scalars()
    linked = 0
    for lead in leads:
        if not (lead.email or lead.phone):
            continue
        person, created = find_or_create_person(
            email=lead.email,
            phone=lead.phone,
            full_name=lead.full_name,
            first_name=lead.first_name,
            last_name=lead.last_name,
            match_on=match_on,
        )
        lead.person_id = person.id
        db.session.add(
            LeadActivity(
                lead_id=lead.id, action="person_linked", to_value=str(person.id), details={"created": created, "automatic": True}
            )
        )
        linked += 1
    db.session.commit()
    return linked
