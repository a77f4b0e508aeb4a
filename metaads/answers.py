"""A lead's answers: read out of its ``field_data`` (the usual contact fields, every answer
verbatim), and shown under its form's question labels in the order the person answered.

``field_data`` is ``[{"name": key, "values": [str, ...]}]``: standard questions use fixed keys
(``email``, ``phone_number``, ``full_name``, ...); custom questions use keys derived from their
labels; multiple-choice answers are option keys. We only *read* the contact fields from it; the
list itself is stored exactly as Meta sent it.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t
import unicodedata

from metaads.models import Lead, LeadForm
from plugins.persons.phones import to_e164

EMAIL_KEYS = ("email", "work_email")
PHONE_KEYS = ("phone_number", "phone", "work_phone_number", "mobile_phone_number")
FULL_NAME_KEYS = ("full_name", "name")
FIRST_NAME_KEYS = ("first_name",)
LAST_NAME_KEYS = ("last_name",)
#: Question types whose answer is a phone number or an email address (standard or custom).
PHONE_TYPES = frozenset({"PHONE", "WORK_PHONE_NUMBER", "MOBILE_PHONE_NUMBER"})
EMAIL_TYPES = frozenset({"EMAIL", "WORK_EMAIL"})
#: Words in a custom question's key (derived from its label, in the form's language) that mark a
#: phone number or an email address: ``número_de_teléfono``, ``telefonnummer``, ``correo``.
PHONE_WORDS = re.compile(r"phone|tele?fon|movil|mobile?|cellular|celular|handy|whatsapp|^tel(_|$)|_tel(_|$)")
EMAIL_WORDS = re.compile(r"e_?mail|correo|courriel|^mail(_|$)|_mail(_|$)")


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


def contact_fields(
    field_data: t.Iterable[t.Any] | None,
    default_region: str | None = None,
    questions: t.Iterable[t.Mapping[str, t.Any]] | None = None,
) -> ContactFields:
    """The contact fields: Meta's standard keys first; then a question typed PHONE / EMAIL in
    ``questions`` (the form's, when the caller has them); then a custom question whose key names
    a phone or an email in any language (``número_de_teléfono``)."""
    answers = answers_by_key(field_data)
    lowered = {key.lower(): values for key, values in answers.items()}
    # Keys without accents, so one pattern reads "teléfono", "telefono" and "Telefon".
    plain = {key: "".join(c for c in unicodedata.normalize("NFKD", key) if not unicodedata.combining(c)) for key in lowered}
    typed = {str(q.get("key", "")).lower(): str(q.get("type") or "").upper() for q in questions or () if isinstance(q, t.Mapping)}

    def first(keys: t.Iterable[str], fits: t.Callable[[str], bool] = bool) -> str | None:
        for key in keys:
            for value in lowered.get(key, ()):
                if value and value.strip() and fits(value.strip()):
                    return value.strip()
        return None

    def found(
        standard: t.Sequence[str], types: frozenset[str], words: re.Pattern[str], fits: t.Callable[[str], bool]
    ) -> str | None:
        """A custom question is only believed when its answer looks the part ("¿Tienes
        teléfono?" answered "sí" is not a number)."""
        by_type = [key for key, kind in typed.items() if kind in types]
        by_word = [key for key, text in plain.items() if words.search(text)]
        return first(standard) or first(by_type) or first(by_word, fits)

    email = found(EMAIL_KEYS, EMAIL_TYPES, EMAIL_WORDS, lambda value: "@" in value)
    raw_phone = found(PHONE_KEYS, PHONE_TYPES, PHONE_WORDS, lambda value: sum(c.isdigit() for c in value) >= 6)
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
    #: The values as the form showed them: an option's label in place of its key.
    shown: list[str] = dataclasses.field(default_factory=list)

    @property
    def question(self) -> str:
        return self.label or self.key

    @property
    def answer(self) -> str | list[str] | None:
        """One value as a string, several as a list (multiple choice), none as None."""
        if not self.values:
            return None
        return self.values[0] if len(self.values) == 1 else list(self.values)

    @property
    def answer_label(self) -> str | list[str] | None:
        shown = self.shown or self.values
        if not shown:
            return None
        return shown[0] if len(shown) == 1 else list(shown)

    def as_json(self) -> dict[str, t.Any]:
        """``answer`` is what Meta sent (an option's key); ``answer_label``, only when the form
        shows it otherwise, is what the person chose."""
        data = {"key": self.key, "question": self.question, "type": self.type, "answer": self.answer}
        if self.answer_label != self.answer:
            data["answer_label"] = self.answer_label
        return data


def questions_by_key(form: LeadForm | None) -> dict[str, dict[str, t.Any]]:
    questions = (form.questions if form else None) or []
    return {q["key"]: q for q in questions if isinstance(q, dict) and isinstance(q.get("key"), str)}


def option_labels(question: t.Mapping[str, t.Any]) -> dict[str, str]:
    """``{option key: label}`` of a multiple-choice question (Meta names them key / value)."""
    options = question.get("options") or ()
    return {str(o["key"]): str(o.get("value") or o["key"]) for o in options if isinstance(o, dict) and o.get("key") is not None}


def shown_values(question: t.Mapping[str, t.Any], values: list[str]) -> list[str]:
    labels = option_labels(question)
    return [labels.get(value, value) for value in values]


def labelled_answers(lead: Lead) -> list[Answer]:
    questions = questions_by_key(lead.lead_form)
    answers = []
    for key, values in answers_by_key(lead.field_data).items():
        question = questions.get(key, {})
        answers.append(
            Answer(
                key=key,
                label=question.get("label"),
                type=question.get("type"),
                values=values,
                shown=shown_values(question, values),
            )
        )
    return answers
