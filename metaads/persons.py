"""A lead's Person (``plugins.persons``): found by the lead's email or phone, or created, and
linked, with the link recorded in the lead's activity. Capture links new leads on arrival; the
workflow links a lead an admin converts. The Person page's "Leads and conversions" section comes
from here too, through plugins.persons' registry (the platform never imports metaads)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from metaads.models import Lead, LeadActivity
from plugins.core.extensions import db
from plugins.persons import PersonSection, find_or_create_person
from plugins.persons.models import Person

#: The most leads listed on a Person page (a person rarely fills in more than a few forms).
SHOWN = 50


def person_source(form_name: str | None) -> str:
    """What a Person record created from a lead says about where it came from."""
    return f"Facebook lead ad — {form_name}" if form_name else "Facebook lead ad"


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
        source=person_source(lead.lead_form.name if lead.lead_form else None),
        match_on=tuple(current_app.config.get("METAADS_PERSON_MATCH_ON", ("email", "phone"))),
    )
    lead.person_id = person.id
    details = {"created": created, "automatic": True} if automatic else {"created": created}
    db.session.add(
        LeadActivity(lead_id=lead.id, action="person_linked", actor_user_id=actor_id, to_value=str(person.id), details=details)
    )


def leads_section(person: Person) -> PersonSection | None:
    query = (
        sa.select(Lead)
        .where(Lead.person_id == person.id)
        .options(selectinload(Lead.lead_form))
        .order_by(Lead.created_time.desc(), Lead.id.desc())
        .limit(SHOWN)
    )
    leads = list(db.session.execute(query).scalars())
    if not leads:
        return None
    converted = [lead for lead in leads if lead.converted_at is not None]
    return PersonSection(
        title="Leads and conversions",
        template="metaads/leads/_person_section.html",
        context={"person_leads": leads, "conversions": len(converted)},
        order=10,
        key="leads",
        json=[
            {
                "id": lead.id,
                "status": lead.status.value,
                "form_id": lead.form_id,
                "form_name": lead.lead_form.name if lead.lead_form else None,
                "created_time": lead.created_time.isoformat() if lead.created_time else None,
                "converted_at": lead.converted_at.isoformat() if lead.converted_at else None,
            }
            for lead in leads
        ],
    )
