"""A lead's answers: read out of its ``field_data`` (the usual contact fields, every answer
verbatim), and shown under its form's question labels in the order the person answered.

``field_data`` is ``[{"name": key, "values": [str, ...]}]``: standard questions use fixed keys
(``email``, ``phone_number``, ``full_name``, ...); custom questions use keys derived from their
labels; multiple-choice answers are option keys. We only *read* the contact fields from it; the
list itself is stored exactly as Meta sent it.
"""

from __future__ import annotations

import dataclasses
import typing as t

from metaads.models import Lead, LeadForm
from plugins.persons.phones import to_e164

EMAIL_KEYS = ("email", "work_email")
PHONE_KEYS = ("phone_number", "phone", "work_phone_number", "mobile_phone_number")
FULL_NAME_KEYS = ("full_name", "name")
FIRST_NAME_KEYS = ("first_name",)
LAST_NAME_KEYS = ("last_name",)


@dataclasses.dataclass(frozen=True)
class ContactFields:
    email: str | None
    phone: str | None  # E.164 when it parses, else the raw answer (trimmed)
    full_name: str | None
    first_name: str | None
    last_name: str | None


def answers_by_key(field_data: t.Iterable[t.Any] | None) -> dict[str, list[str]]:
    """``{key: values}``; tolerant of odd items (a missing ``values``, a bare string)."""
    answers: dict[str, list[str]] = {}
    for item in field_data or ():
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        values = item.get("values")
        if isinstance(values, list):
            answers[item["name"]] = [str(v) for v in values]
        elif values is not None:
            answers[item["name"]] = [str(values)]
    return answers


def contact_fields(field_data: t.Iterable[t.Any] | None, default_region: str | None = None) -> ContactFields:
    answers = answers_by_key(field_data)
    lowered = {key.lower(): values for key, values in answers.items()}

    def first(keys: t.Sequence[str]) -> str | None:
        for key in keys:
            for value in lowered.get(key, ()):
                if value and value.strip():
                    return value.strip()
        return None

    email = first(EMAIL_KEYS)
    raw_phone = first(PHONE_KEYS)
    first_name, last_name = first(FIRST_NAME_KEYS), first(LAST_NAME_KEYS)
    full_name = first(FULL_NAME_KEYS) or (" ".join(p for p in (first_name, last_name) if p) or None)
    return ContactFields(
        email=email.lower() if email else None,
        phone=(to_e164(raw_phone, default_region) or raw_phone[:32]) if raw_phone else None,
        full_name=full_name,
        first_name=first_name,
        last_name=last_name,
    )


@dataclasses.dataclass(frozen=True)
class Answer:
    key: str
    label: str | None  # the form's label; None when the form does not (or no longer) list the key
    type: str | None
    values: list[str]

    @property
    def question(self) -> str:
        return self.label or self.key

    @property
    def answer(self) -> str | list[str] | None:
        """One value as a string, several as a list (multiple choice), none as None."""
        if not self.values:
            return None
        return self.values[0] if len(self.values) == 1 else list(self.values)

    def as_json(self) -> dict[str, t.Any]:
        return {"key": self.key, "question": self.question, "type": self.type, "answer": self.answer}


def questions_by_key(form: LeadForm | None) -> dict[str, dict[str, t.Any]]:
    questions = (form.questions if form else None) or []
    return {q["key"]: q for q in questions if isinstance(q, dict) and isinstance(q.get("key"), str)}


def labelled_answers(lead: Lead) -> list[Answer]:
    questions = questions_by_key(lead.lead_form)
    return [
        Answer(key=key, label=questions.get(key, {}).get("label"), type=questions.get(key, {}).get("type"), values=values)
        for key, values in answers_by_key(lead.field_data).items()
    ]
