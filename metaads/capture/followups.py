"""What happens after a lead is stored, in jobs of its own so that a failure here (a Person table
lock, a notification server down) never keeps a lead from being stored."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from metaads.capture.notify import notify_new_leads
from metaads.capture.outbound import push_new_leads
from metaads.models import Lead
from metaads.persons import link_person
from metaads.signals import lead_received
from plugins.core import jobs
from plugins.core.extensions import db

log = logging.getLogger(__name__)


def enqueue_followups(lead_ids: list[int]) -> None:
    """Each follow-up is a job of its own: a mail server down never keeps a Person from linking.
    Test leads get none: no Person, no email, no CRM push, no ``lead_received`` for a lead no
    person sent."""
    lead_ids = real_leads(lead_ids)
    if not lead_ids:
        return
    for job in (after_leads_stored, notify_new_leads, push_new_leads):
        try:
            jobs.enqueue(job, lead_ids, queue="metaads-default")
        except Exception:
            # The leads are stored; follow-ups can be redone. Never fail the batch for them.
            log.warning("could not enqueue %s for %d leads", job.__name__, len(lead_ids))


def real_leads(lead_ids: list[int]) -> list[int]:
    """``lead_ids`` without the test leads, in the same order."""
    if not lead_ids:
        return []
    tests = set(db.session.execute(sa.select(Lead.id).where(Lead.id.in_(lead_ids), Lead.is_test.is_(True))).scalars())
    return [lead_id for lead_id in lead_ids if lead_id not in tests]


def after_leads_stored(lead_ids: list[int]) -> None:
    if current_app.config["METAADS_LINK_PERSONS"]:
        link_persons(lead_ids)
    lead_received.send(current_app._get_current_object(), lead_ids=lead_ids)  # type: ignore[attr-defined]


def link_persons(lead_ids: list[int]) -> int:
    """Link each new lead with an email or phone to its Person (found or created). A lead with
    only a name is left for an admin: a name alone would make a new Person every time."""
    leads = db.session.execute(
        sa.select(Lead).where(Lead.id.in_(lead_ids), Lead.person_id.is_(None), Lead.erased_at.is_(None))
    ).scalars()
    linked = 0
    for lead in leads:
        if lead.email or lead.phone:
            link_person(lead, None, automatic=True)
            linked += 1
    db.session.commit()
    return linked
