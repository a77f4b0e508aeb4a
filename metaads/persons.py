"""A lead's Person (``plugins.persons``): found by the lead's email or phone, or created, and
linked, with the link recorded in the lead's activity. Capture links new leads on arrival; the
workflow links a lead an admin converts."""

from __future__ import annotations

from flask import current_app

from metaads.models import Lead, LeadActivity
from plugins.core.extensions import db
from plugins.persons import find_or_create_person


def link_person(lead: Lead, actor_id: int | None, *, automatic: bool = False) -> None:
    """Link the lead to the Person with its email or phone, creating one if there is none. An erased
    lead has nothing to match on, and a linked one keeps its Person. ``automatic``: linked on
    arrival, not by an admin (recorded in the activity)."""
    if lead.person_id is not None or lead.erased_at is not None:
        return
    if not (lead.email or lead.phone or lead.full_name or lead.first_name or lead.last_name):
        return
    person, created = find_or_create_person(
        email=lead.email,
        phone=lead.phone,
        full_name=lead.full_name,
        first_name=lead.first_name,
        last_name=lead.last_name,
        source="metaads",
        match_on=tuple(current_app.config.get("METAADS_PERSON_MATCH_ON", ("email", "phone"))),
    )
    lead.person_id = person.id
    details = {"created": created, "automatic": True} if automatic else {"created": created}
    db.session.add(
        LeadActivity(lead_id=lead.id, action="person_linked", actor_user_id=actor_id, to_value=str(person.id), details=details)
    )
