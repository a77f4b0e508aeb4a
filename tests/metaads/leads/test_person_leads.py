"""The Person page lists the person's leads through plugins.persons' registry; a Person made from a
lead has its first and last names and a source people can read."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from metaads.models.enums import LeadStatus
from plugins.core.extensions import db
from plugins.persons.models import Person
from tests.metaads.leads.test_support import LEADS, make_form, make_lead


def test_a_converted_lead_makes_a_named_person_whose_page_lists_the_lead(
    app: Flask, admin_client: FlaskClient, api_headers: dict[str, str]
) -> None:
    form = make_form("Quote request – Solar")
    lead = make_lead(form, status=LeadStatus.QUALIFIED, full_name="Ana María López", email="ana@example.es")
    db.session.commit()
    page = f"{LEADS}/{lead.id}"
    admin_client.post(f"{page}/convert", headers=api_headers)
    person = db.session.execute(db.select(Person)).scalar_one()
    assert (person.first_name, person.last_name) == ("Ana", "María López")
    assert person.source == "Facebook lead ad — Quote request – Solar"
    html = admin_client.get(f"/admin/persons/{person.id}").get_data(as_text=True)
    assert "Leads and conversions" in html and f'href="{page}"' in html and "1 converted" in html
    assert "by metaads" not in html
    body = admin_client.get(f"/admin/persons/{person.id}", headers=api_headers).get_json()
    assert [item["id"] for item in body["sections"]["leads"]] == [lead.id]


def test_a_person_without_leads_has_no_leads_section(app: Flask, admin_client: FlaskClient) -> None:
    person = Person(full_name="Walk-in customer", source="admin")
    older = Person(full_name="From an older version", source="metaads")
    db.session.add_all([person, older])
    db.session.commit()
    assert "Leads and conversions" not in admin_client.get(f"/admin/persons/{person.id}").get_data(as_text=True)
    html = admin_client.get(f"/admin/persons/{older.id}").get_data(as_text=True)
    assert "<dd>Facebook lead ad</dd>" in html and ">metaads<" not in html
