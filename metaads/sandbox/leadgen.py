"""Lead form questions and answers: keys from labels, option keys, generated test people."""

from __future__ import annotations

import functools
import random
import typing as t
import unicodedata

from metaads.sandbox.ids import iso

#: Standard (prefill) question type → the ``field_data`` name Meta uses (§2.5).
STANDARD_KEYS: dict[str, str] = {
    "FULL_NAME": "full_name",
    "FIRST_NAME": "first_name",
    "LAST_NAME": "last_name",
    "EMAIL": "email",
    "PHONE": "phone_number",
    "CITY": "city",
    "STATE": "state",
    "ZIP": "zip_code",
    "POST_CODE": "post_code",
    "COUNTRY": "country",
    "STREET_ADDRESS": "street_address",
    "JOB_TITLE": "job_title",
    "COMPANY_NAME": "company_name",
    "WORK_EMAIL": "work_email",
    "WORK_PHONE_NUMBER": "work_phone_number",
    "DATE_OF_BIRTH": "date_of_birth",
    "GENDER": "gender",
}

PEOPLE = [
    "José Müller",
    "Zoë Ångström",
    "山田 太郎",
    "Łukasz Żółć",
    "Chloé Dubois",
    "Jane Doe",
    "Ольга Смирнова",
    "Seán Ó Briain",
    "Ana María López",
    "Priya Patel",
    "Björn Þórsson",
    "Nguyễn Thị Hương",
    "François Lefèvre",
    "Mary O'Neil",
    "Ahmed Al-Fārisī",
    "Sofía Núñez",
]
CITIES = ["Madrid", "Málaga", "Zürich", "München", "Kraków", "東京", "São Paulo", "Göteborg"]
FREE_TEXT = [
    "Lo antes posible, gracias 🙂",
    "In 2–3 Monaten",
    "Next spring",
    "Cuanto antes",
    "Depends on the price / financing",
    "Tras el verano",
    "ASAP!",
    "Nächste Woche",
]


def key_from_label(label: str) -> str:
    """Meta's key for a custom question without one: lower-cased, spaces → ``_``,
    punctuation kept (``"What is your budget?"`` → ``"what_is_your_budget?"``)."""
    return "_".join(label.strip().lower().split())


def question(
    qtype: str, label: str, *, key: str | None = None, options: list[tuple[str, str]] | None = None, qid: str = ""
) -> dict[str, t.Any]:
    key = key or STANDARD_KEYS.get(qtype) or key_from_label(label)
    q: dict[str, t.Any] = {"key": key, "label": label, "type": qtype, "id": qid}
    if options:
        q["options"] = [{"key": k, "value": v} for k, v in options]
    return q


@functools.lru_cache(maxsize=256)
def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch == " ").strip().replace(" ", ".")


def answers(questions: list[dict[str, t.Any]], rng: random.Random, n: int) -> list[dict[str, t.Any]]:
    """``field_data`` for one generated person; values are always lists of strings."""
    person = PEOPLE[n % len(PEOPLE)]
    out = []
    for q in questions:
        out.append({"name": q["key"], "values": [_answer(q, person, rng, n)]})
    return out


def _answer(q: dict[str, t.Any], person: str, rng: random.Random, n: int) -> str:
    if q.get("options"):
        return rng.choice(q["options"])["key"]  # multiple choice answers are option keys (§2.5)
    kind = q["type"]
    if kind == "FULL_NAME":
        return person
    if kind == "FIRST_NAME":
        return person.split()[0]
    if kind == "LAST_NAME":
        return person.split()[-1]
    if kind in ("EMAIL", "WORK_EMAIL"):
        return f"{_ascii(person) or 'lead'}{n}@example.com"
    if kind in ("PHONE", "WORK_PHONE_NUMBER"):
        return f"+34{rng.randint(600000000, 699999999)}"
    if kind == "CITY":
        return rng.choice(CITIES)
    if kind in ("ZIP", "POST_CODE"):
        return f"{rng.randint(1000, 52999):05d}"
    if "tel" in q["key"] or "phone" in q["key"]:
        return f"+34 6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    return rng.choice(FREE_TEXT)


def test_answers(questions: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """What Meta's testing tool fills in (dummy values per question)."""
    out = []
    for q in questions:
        value = q["options"][0]["key"] if q.get("options") else f"<test lead: dummy data for {q['key']}>"
        out.append({"name": q["key"], "values": [value]})
    return out


def normalize_field_data(field_data: t.Any) -> list[dict[str, t.Any]]:
    """Accept ``[{"name", "values"}]`` or ``{"name": value-or-list}``; values become strings."""
    if isinstance(field_data, dict):
        field_data = [{"name": k, "values": v} for k, v in field_data.items()]
    out = []
    for item in field_data:
        values = item.get("values", item.get("value", []))
        if not isinstance(values, list):
            values = [values]
        out.append({"name": str(item["name"]), "values": [str(v) for v in values]})
    return out


def public_lead(lead: dict[str, t.Any], ads: t.Mapping[str, dict[str, t.Any]]) -> dict[str, t.Any]:
    """The Python-API view of a stored lead: Graph's full field set plus ``page_id``."""
    out: dict[str, t.Any] = {
        "id": lead["id"],
        "created_time": iso(lead["created"]),
        "created_timestamp": lead["created"],
        "form_id": lead["form_id"],
        "page_id": lead["page_id"],
        "field_data": lead["field_data"],
        "is_organic": lead["ad_id"] is None,
        "platform": lead["platform"],
    }
    ad = ads.get(lead["ad_id"]) if lead["ad_id"] else None
    if ad is not None:
        out.update(ad_id=ad["id"], adset_id=ad["adset_id"], campaign_id=ad["campaign_id"])
    if lead.get("custom_disclaimer_responses"):
        out["custom_disclaimer_responses"] = lead["custom_disclaimer_responses"]
    return out
