"""Persons: a minimal list and detail, as pages and JSON."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import Blueprint, abort, request

from plugins.accounts import require_admin
from plugins.core.apidoc import documented, one_of, page_of
from plugins.core.extensions import db
from plugins.core.pages import paging_args, respond
from plugins.persons.models import Person
from plugins.persons.registry import persons_state
from plugins.persons.schemas import PersonQuerySchema, PersonSchema

bp = Blueprint("persons", __name__, url_prefix="/admin/persons", template_folder="templates")
bp.before_request(require_admin)


def person_json(person: Person) -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], PersonSchema().dump(person))


@bp.get("/")
@documented(answers=page_of("persons", PersonSchema), query=PersonQuerySchema)
def index() -> t.Any:
    limit, offset = paging_args()
    query = sa.select(Person)
    search = (request.args.get("q") or "").strip().lower()
    if search:
        pattern = f"%{search}%"
        query = query.where(
            sa.or_(sa.func.lower(Person.full_name).like(pattern), Person.email.like(pattern), Person.phone.like(pattern))
        )
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    persons = db.session.execute(query.order_by(Person.id.desc()).limit(limit).offset(offset)).scalars().all()
    return respond(
        "persons/index.html",
        {"persons": [person_json(p) for p in persons], "count": count, "limit": limit, "offset": offset},
        persons=persons,
        search=search,
    )


@bp.get("/<int:person_id>")
@documented(answers=one_of("person", PersonSchema))
def detail(person_id: int) -> t.Any:
    person = db.session.get(Person, person_id) or abort(404, description="No such person.")
    sections = persons_state().sections(person)
    payload = {"person": person_json(person), "sections": {s.key: s.json for s in sections if s.key}}
    source = persons_state().source_label(person.source)
    return respond("persons/detail.html", payload, person=person, sections=sections, source=source)
