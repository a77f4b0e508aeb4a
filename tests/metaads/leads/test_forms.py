"""GET /lead-forms and /lead-forms/:id: JSON and the Lead Form Viewer pages."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from metaads.models.enums import FormStatus
from plugins.core.extensions import db
from tests.metaads.leads.test_support import QUESTIONS, at, leads_config, make_form

FORMS = "/admin/meta-ads/lead-forms"


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, t.Any]:
    return leads_config(tmp_path)


@pytest.fixture
def forms(app: Flask) -> dict[str, int]:
    bikes = make_form("Bikes", leads_count=12, last_lead_at=at(14, 9))
    empty = make_form("Archived sign-up", questions=[], status=FormStatus.ARCHIVED)
    db.session.commit()
    return {"bikes": bikes.id, "empty": empty.id}


def test_lead_forms_json(client: FlaskClient, api_headers: dict[str, str], forms: dict[str, int]) -> None:
    body = client.get(FORMS, headers=api_headers).get_json()
    assert (body["count"], body["limit"], body["offset"]) == (2, 50, 0)
    by_name = {form["name"]: form for form in body["lead_forms"]}
    assert by_name["Bikes"]["question_count"] == 4 and by_name["Bikes"]["leads_count"] == 12
    assert by_name["Bikes"]["last_lead_at"].startswith("2026-03-14T09:00")
    assert by_name["Archived sign-up"]["status"] == "ARCHIVED" and by_name["Archived sign-up"]["question_count"] == 0


def test_lead_form_json(client: FlaskClient, api_headers: dict[str, str], forms: dict[str, int]) -> None:
    form = client.get(f"{FORMS}/{forms['bikes']}", headers=api_headers).get_json()["lead_form"]
    assert form["questions"] == QUESTIONS
    assert (
        form["privacy_policy_url"] == "https://acme.example/privacy"
        and form["thank_you_page_url"] == "https://acme.example/thanks"
    )
    assert client.get(f"{FORMS}/424242", headers=api_headers).status_code == 404


def test_lead_form_page_shows_the_questions_and_links_to_its_leads(admin_client: FlaskClient, forms: dict[str, int]) -> None:
    html = admin_client.get(f"{FORMS}/{forms['bikes']}").get_data(as_text=True)
    for text in [
        "which_models",
        "Welche Modelle möchten Sie testen?",
        "CUSTOM",
        "Cargo Family",
        "(cargo)",
        "https://acme.example/privacy",
    ]:
        assert text in html, text
    assert f'href="/admin/meta-ads/leads?lead_form_id={forms["bikes"]}"' in html
    assert f'<input type="hidden" name="lead_form_id" value="{forms["bikes"]}">' in html  # its export button
    empty = admin_client.get(f"{FORMS}/{forms['empty']}").get_data(as_text=True)
    assert "No questions synced for this form yet." in empty


def test_lead_forms_page(admin_client: FlaskClient, forms: dict[str, int]) -> None:
    html = admin_client.get(FORMS).get_data(as_text=True)
    assert "Bikes" in html and "Archived sign-up" in html and "2026-03-14" in html
    assert f'href="/admin/meta-ads/leads?lead_form_id={forms["bikes"]}"' in html
