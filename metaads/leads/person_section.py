"""The Person page's "Lead ads" section: the person's leads (and which converted), contributed
through plugins.persons' registry so the platform never imports metaads."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from metaads.models import Lead
from plugins.core.extensions import db
from plugins.persons import PersonSection
from plugins.persons.models import Person

#: The most leads listed on a Person page (a person rarely fills in more than a few forms).
SHOWN = 50


def person_source(form_name: str | None) -> str:
    """What a Person record created from a lead says about where it came from."""
    return f"Facebook lead ad — {form_name}" if form_name else "Facebook lead ad"


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
