"""Reading the usual contact fields out of a lead's ``field_data``, keeping every answer verbatim.

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
    plain = {
        key: "".join(c for c in unicodedata.normalize("NFKD", key) if not unicodedata.combining(c)) for key in lowered
    }
    typed = {
        str(q.get("key", "")).lower(): str(q.get("type") or "").upper() for q in questions or () if isinstance(q, t.Mapping)
    }

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
