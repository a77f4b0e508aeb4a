"""Contact fields found in custom questions, and multiple-choice answers shown by their labels."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from metaads.answers import contact_fields, labelled_answers
from plugins.core.extensions import db
from tests.metaads.leads.test_support import LEADS, make_form, make_lead


def fields(**answers: str) -> list[dict[str, object]]:
    return [{"name": key, "values": [value]} for key, value in answers.items()]


def test_a_phone_in_a_spanish_custom_question_is_the_leads_phone() -> None:
    found = contact_fields(fields(full_name="Ana", **{"número_de_teléfono": "+34 600 123 456"}))
    assert found.phone == "+34600123456"


def test_an_email_in_a_custom_question_in_any_language() -> None:
    assert contact_fields(fields(**{"correo_electrónico_del_trabajo": "Ana@Example.es"})).email == "ana@example.es"
    assert contact_fields(fields(telefonnummer="0151 2345678"), "DE").phone == "+491512345678"


def test_questions_typed_phone_or_email_are_read_whatever_their_key() -> None:
    questions = [{"key": "q1", "type": "PHONE"}, {"key": "q2", "type": "EMAIL"}]
    found = contact_fields(fields(q1="+4915112345678", q2="x@example.com"), questions=questions)
    assert (found.phone, found.email) == ("+4915112345678", "x@example.com")


def test_a_custom_question_that_only_mentions_a_phone_is_not_a_number() -> None:
    found = contact_fields(fields(which_phone_do_you_own="iPhone", tienes_correo="sí"))
    assert found.phone is None and found.email is None


def test_standard_keys_come_first() -> None:
    found = contact_fields(fields(phone_number="+4915100000001", mobile_phone="+4915100000002"))
    assert found.phone == "+4915100000001"


BUDGET = {
    "key": "budget",
    "label": "What is your budget?",
    "type": "CUSTOM",
    "options": [{"key": "up_to_10k", "value": "Up to 10k €"}, {"key": "over_50k", "value": "Over 50k €"}],
}


def test_multiple_choice_answers_show_the_forms_labels(
    app: Flask, admin_client: FlaskClient, api_headers: dict[str, str]
) -> None:
    lead = make_lead(make_form(questions=[BUDGET]), answers={"budget": ["over_50k"]})
    db.session.commit()
    [answer] = [a for a in labelled_answers(lead) if a.key == "budget"]
    assert answer.shown == ["Over 50k €"] and answer.values == ["over_50k"]
    html = admin_client.get(f"{LEADS}/{lead.id}").get_data(as_text=True)
    assert "Over 50k €" in html and ">over_50k<" not in html
    body = admin_client.get(f"{LEADS}/{lead.id}", headers=api_headers).get_json()
    [item] = [a for a in body["lead"]["answers"] if a["key"] == "budget"]
    assert item["answer"] == "over_50k" and item["answer_label"] == "Over 50k €"
