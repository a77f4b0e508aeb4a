"""Find the Person a lead belongs to, or create one: by email first, then by phone."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from plugins.core.extensions import db
from plugins.persons.models import Person
from plugins.persons.phones import to_e164

#: The keys tried, in order, to find an existing Person.
DEFAULT_MATCH_ON = ("email", "phone")


def find_person(
    *, email: str | None = None, phone: str | None = None, match_on: t.Sequence[str] = DEFAULT_MATCH_ON
) -> Person | None:
    email = email.strip().lower() if email else None
    keys = {"email": email, "phone": to_e164(phone) if phone else None}
    for key in match_on:
        value = keys.get(key)
        if not value:
            continue
        column = Person.email if key == "email" else Person.phone
        person = db.session.execute(sa.select(Person).where(column == value).order_by(Person.id).limit(1)).scalar_one_or_none()
        if person is not None:
            return person
    return None


def find_or_create_person(
    *,
    email: str | None = None,
    phone: str | None = None,
    full_name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    source: str | None = None,
    match_on: t.Sequence[str] = DEFAULT_MATCH_ON,
) -> tuple[Person, bool]:
    """Return (person, created). An existing person only gains fields it did not have: a lead
    never overwrites what someone typed into a Person record. The caller commits."""
    person = find_person(email=email, phone=phone, match_on=match_on)
    if full_name and not (first_name or last_name):
        first_name, last_name = split_name(full_name)
    values = {
        "email": email.strip().lower() if email else None,
        "phone": to_e164(phone) if phone else None,
        "phone_raw": phone if phone and not to_e164(phone) else None,
        "full_name": full_name,
        "first_name": first_name,
        "last_name": last_name,
    }
    created = person is None
    if person is None:
        person = Person(source=source[:64] if source else None)
        db.session.add(person)
    for key, value in values.items():
        if value and not getattr(person, key):
            setattr(person, key, value)
    db.session.flush()
    return person, created


def split_name(full_name: str) -> tuple[str | None, str | None]:
    """"Ana María López" → ("Ana", "María López"): the first word, then the rest. Good enough to
    greet someone by first name; a form that asks for both names gives them exactly."""
    first, _, rest = full_name.strip().partition(" ")
    return (first or None), (rest.strip() or None)
