"""Job functions the job tests enqueue (RQ imports jobs by dotted name)."""

from __future__ import annotations

import time

from flask import current_app, g

from plugins.core.extensions import db
from plugins.persons.models import Person


def create_person(email: str) -> int:
    # Proves an app context and a session exist, and that nothing leaks between jobs through g.
    assert current_app and not hasattr(g, "job_marker")
    g.job_marker = True
    person = Person(email=email, source="job")
    db.session.add(person)
    db.session.commit()
    return person.id


def explode(lead_id: int) -> None:
    raise ValueError(f"cannot process lead {lead_id}")


def create_person_slowly(email: str, seconds: float) -> int:
    """A job still running when the test takes Redis away."""
    time.sleep(seconds)
    return create_person(email)
