from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugins.core.extensions import db
from plugins.persons import find_or_create_person
from plugins.persons.phones import to_e164


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 (415) 555-0100", None, "+14155550100"),
        ("+44 20 7946 0958", None, "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("not a phone", None, None),
        ("", None, None),
        ("12", None, None),
    ],
)
def test_e164(raw: str, region: str | None, expected: str | None) -> None:
    assert to_e164(raw, region) == expected


def test_matches_by_email_then_phone(app: Flask) -> None:
    first, created = find_or_create_person(email="Jane@Example.com", full_name="Jane Doe")
    assert created and first.email == "jane@example.com"
    same, created = find_or_create_person(email="jane@example.com ")
    assert not created and same.id == first.id
    by_phone, created = find_or_create_person(phone="+1 415 555 0100", full_name="Bob")
    again, created_again = find_or_create_person(email="bob@example.com", phone="+14155550100")
    assert created and not created_again and again.id == by_phone.id
    assert again.email == "bob@example.com"  # gained a field it did not have
    db.session.commit()


def test_never_overwrites_what_a_person_has(app: Flask) -> None:
    find_or_create_person(email="a@example.com", full_name="Typed By Sales")
    again, _ = find_or_create_person(email="a@example.com", full_name="From A Lead Form")
    assert again.full_name == "Typed By Sales"
    db.session.commit()


def test_unparseable_phone_is_kept_raw(app: Flask) -> None:
    person, _ = find_or_create_person(phone="call me maybe")
    assert person.phone is None and person.phone_raw == "call me maybe"


def test_persons_pages_and_json(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    person, _ = find_or_create_person(email="p@example.com", full_name="Pat")
    db.session.commit()
    listing = client.get("/admin/persons/?q=pat", headers=api_headers).get_json()
    assert listing["count"] == 1 and listing["persons"][0]["email"] == "p@example.com"
    detail = client.get(f"/admin/persons/{person.id}", headers=api_headers).get_json()
    assert detail["person"]["full_name"] == "Pat"
