"""POST /leads/:id/convert (Person linked or created) and POST /leads/bulk (lead by lead, a result for each)."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.models.enums import LeadStatus
from metaads.signals import lead_status_changed
from plugins.core.extensions import db
from plugins.persons.models import Person
from tests.metaads.leads.test_support import (
    LEADS,
    activities,
    flashes,
    form_token,
    fresh,
    leads_config,
    make_form,
    make_lead,
    make_user,
)


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, t.Any]:
    return leads_config(tmp_path)


def convert(client: FlaskClient, headers: dict[str, str], lead_id: int) -> t.Any:
    return client.post(f"{LEADS}/{lead_id}/convert", headers=headers)


def persons() -> list[Person]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(Person).order_by(Person.id)).scalars())


def test_convert_creates_a_person_and_logs_it(app: Flask, client: FlaskClient, api_headers: dict[str, str], admin: t.Any) -> None:
    lead = make_lead(
        make_form(), status=LeadStatus.QUALIFIED, full_name="Zoë Müller", email="zoe@example.de", phone="+4915112345678"
    )
    db.session.commit()
    response = convert(client, api_headers, lead.id)
    assert response.status_code == 200
    body = response.get_json()["lead"]
    assert body["status"] == "converted" and body["converted_at"] and body["person_id"]
    [person] = persons()
    assert (person.id, person.email, person.phone, person.full_name) == (
        body["person_id"],
        "zoe@example.de",
        "+4915112345678",
        "Zoë Müller",
    )
    log = [(a.action, a.from_value, a.to_value, a.actor_user_id, a.details) for a in activities(lead.id)]
    assert log == [
        ("converted", "qualified", "converted", admin.id, None),
        ("person_linked", None, str(person.id), admin.id, {"created": True}),
    ]


def test_convert_links_the_existing_person_without_overwriting_it(
    app: Flask, client: FlaskClient, api_headers: dict[str, str]
) -> None:
    existing = Person(full_name="Zoe M. (from the shop)", email="zoe@example.de", source="admin")
    db.session.add(existing)
    lead = make_lead(
        make_form(), status=LeadStatus.QUALIFIED, full_name="Zoë Müller", email="zoe@example.de", phone="+4915112345678"
    )
    db.session.commit()
    assert convert(client, api_headers, lead.id).get_json()["lead"]["person_id"] == existing.id
    [person] = persons()
    assert person.full_name == "Zoe M. (from the shop)" and person.phone == "+4915112345678"  # only the missing field filled
    assert activities(lead.id, "person_linked")[0].details == {"created": False}


def test_convert_keeps_a_person_already_linked(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    linked = Person(full_name="Linked before")
    db.session.add(linked)
    db.session.flush()
    lead = make_lead(make_form(), status=LeadStatus.QUALIFIED, person_id=linked.id)
    db.session.commit()
    assert convert(client, api_headers, lead.id).get_json()["lead"]["person_id"] == linked.id
    assert len(persons()) == 1 and activities(lead.id, "person_linked") == []


@pytest.mark.parametrize("status", [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED])
def test_convert_works_from_any_open_status(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], status: LeadStatus
) -> None:
    lead = make_lead(make_form(), status=status)
    db.session.commit()
    response = convert(client, api_headers, lead.id)
    assert response.status_code == 200, response.get_json()
    assert fresh(lead.id).status == LeadStatus.CONVERTED and len(persons()) == 1


@pytest.mark.parametrize("status", [LeadStatus.DISQUALIFIED, LeadStatus.ARCHIVED])
def test_a_closed_lead_is_reopened_before_it_converts(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], status: LeadStatus
) -> None:
    lead = make_lead(make_form(), status=status)
    db.session.commit()
    response = convert(client, api_headers, lead.id)
    assert response.status_code == 409 and response.get_json()["error"]["details"]["allowed"][0] == "new"
    assert persons() == [] and fresh(lead.id).status == status


def test_converting_again_changes_nothing(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    lead = make_lead(make_form(), status=LeadStatus.QUALIFIED)
    db.session.commit()
    convert(client, api_headers, lead.id)
    converted_at = fresh(lead.id).converted_at
    again = convert(client, api_headers, lead.id)
    assert again.status_code == 200 and fresh(lead.id).converted_at == converted_at
    assert len(activities(lead.id, "converted")) == 1


def test_convert_from_the_page(app: Flask, admin_client: FlaskClient) -> None:
    lead = make_lead(make_form(), status=LeadStatus.QUALIFIED)
    db.session.commit()
    page = f"{LEADS}/{lead.id}"
    response = admin_client.post(f"{page}/convert", data={"csrf_token": form_token(admin_client, page)})
    assert response.status_code == 303 and response.headers["Location"] == page
    assert flashes(admin_client, page) == [("success", "Converted. Linked to a Person.")]


# --- bulk ---------------------------------------------------------------------------------------


def bulk(client: FlaskClient, headers: dict[str, str], **body: t.Any) -> t.Any:
    return client.post(f"{LEADS}/bulk", json=body, headers=headers)


def test_bulk_status_changes_every_lead_and_logs_each(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], admin: t.Any
) -> None:
    form = make_form()
    first, second, untouched = make_lead(form), make_lead(form, status=LeadStatus.CONTACTED), make_lead(form)
    db.session.commit()
    seen: list[int] = []
    with lead_status_changed.connected_to(lambda sender, **kw: seen.append(kw["lead_id"])):
        response = bulk(client, api_headers, ids=[first.id, second.id], status="contacted")
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == 2 and body["status_changes"] == 1  # the second one was contacted already
    assert [lead["status"] for lead in body["leads"]] == ["contacted", "contacted"]
    assert seen == [first.id]
    assert [(a.action, a.actor_user_id) for a in activities(first.id)] == [("status_changed", admin.id)]
    assert activities(second.id) == [] and fresh(untouched.id).status == LeadStatus.NEW


def test_bulk_assign(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    bob = make_user("bob@example.com", "Bob")
    form = make_form()
    leads = [make_lead(form), make_lead(form, assigned_to="999")]
    db.session.commit()
    assert bulk(client, api_headers, ids=[lead.id for lead in leads], assigned_to=bob.id).status_code == 200
    assert [fresh(lead.id).assigned_to for lead in leads] == [str(bob.id), str(bob.id)]
    assert [a.from_value for lead in leads for a in activities(lead.id, "assigned")] == [None, "999"]
    assert bulk(client, api_headers, ids=[leads[0].id], assigned_to=None).status_code == 200
    assert fresh(leads[0].id).assigned_to is None


def test_bulk_changes_the_leads_it_may_and_says_why_not_of_the_others(
    app: Flask, client: FlaskClient, api_headers: dict[str, str]
) -> None:
    form = make_form()
    fine, already, stuck = (
        make_lead(form, status=LeadStatus.NEW),
        make_lead(form, status=LeadStatus.CONTACTED),
        make_lead(form, status=LeadStatus.CONVERTED),
    )
    db.session.commit()
    response = bulk(client, api_headers, ids=[stuck.id, fine.id, already.id], status="contacted")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["count"], body["status_changes"]) == (2, 1)
    assert [lead["id"] for lead in body["leads"]] == [fine.id, already.id]
    assert body["results"] == [
        {"id": fine.id, "status": "contacted", "result": "changed"},
        {"id": already.id, "status": "contacted", "result": "unchanged"},
        {"id": stuck.id, "status": "converted", "allowed": ["new", "archived"], "result": "refused"},
    ]
    assert fresh(fine.id).status == LeadStatus.CONTACTED
    assert fresh(stuck.id).status == LeadStatus.CONVERTED and activities(stuck.id) == []


def test_bulk_refused_for_every_lead_changes_nothing(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    form = make_form()
    fine, stuck = make_lead(form, status=LeadStatus.NEW), make_lead(form, status=LeadStatus.CONVERTED)
    db.session.commit()
    response = bulk(client, api_headers, ids=[stuck.id], status="contacted", assigned_to=None)
    assert response.status_code == 409
    details = response.get_json()["error"]["details"]
    assert details == {
        "requested": "contacted",
        "refused": [{"id": stuck.id, "status": "converted", "allowed": ["new", "archived"]}],
    }
    assert activities(stuck.id) == []

    missing = bulk(client, api_headers, ids=[fine.id, 987654], status="archived")
    assert missing.status_code == 404 and missing.get_json()["error"]["details"] == {"missing": [987654]}
    assert fresh(fine.id).status == LeadStatus.NEW


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "contacted"}, "ids"),
        ({"ids": [], "status": "contacted"}, "ids"),
        ({"ids": list(range(1, 502)), "status": "contacted"}, "ids"),
        ({"ids": [1]}, "_schema"),
        ({"ids": ["x"], "status": "contacted"}, "ids"),
        ({"ids": [1], "assigned_to": "4242"}, "assigned_to"),
    ],
)
def test_bulk_validation(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], body: dict[str, t.Any], field: str
) -> None:
    make_lead(make_form())
    db.session.commit()
    response = bulk(client, api_headers, **body)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["details"]["fields"]


def test_bulk_from_the_list_page_goes_back_to_the_filtered_list(app: Flask, admin_client: FlaskClient) -> None:
    form = make_form()
    leads = [make_lead(form), make_lead(form), make_lead(form, status=LeadStatus.QUALIFIED)]
    db.session.commit()
    back = f"{LEADS}?status=new"
    token = form_token(admin_client, back)
    data = {"csrf_token": token, "next": back, "ids": [leads[0].id, leads[1].id], "status": "contacted", "assigned_to": ""}
    response = admin_client.post(f"{LEADS}/bulk", data=data)
    assert response.status_code == 303 and response.headers["Location"] == back
    assert [fresh(lead.id).status for lead in leads] == [LeadStatus.CONTACTED, LeadStatus.CONTACTED, LeadStatus.QUALIFIED]
    assert flashes(admin_client, back) == [("success", "2 leads updated.")]

    partly = admin_client.post(f"{LEADS}/bulk", data={**data, "ids": [leads[0].id, leads[2].id], "status": "contacted"})
    assert partly.status_code == 303
    [(category, message)] = flashes(admin_client, back)
    assert category == "warning"
    assert message.startswith("1 lead updated. 1 left as they were: ") and "is qualified (it can become" in message

    refused = admin_client.post(f"{LEADS}/bulk", data={**data, "ids": [leads[2].id], "status": "new"})
    assert refused.status_code == 303
    [(category, message)] = flashes(admin_client, back)
    assert category == "error" and "cannot become new; nothing was changed" in message

    elsewhere = admin_client.post(f"{LEADS}/bulk", data={**data, "next": "https://evil.example/", "ids": []})
    assert elsewhere.headers["Location"] == LEADS  # never back to another site
