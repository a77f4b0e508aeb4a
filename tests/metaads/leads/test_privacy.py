"""Deleting a lead's personal data (POST /leads/:id/erase, with a confirmation page) and the
retention job ``anonymise_expired_leads``; an erased lead is never filled in again by a sync."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.capture.store import store_leads
from metaads.leads.retention import anonymise_expired_leads
from metaads.models import WebhookInbox
from metaads.models.enums import LeadSource, LeadStatus
from plugins.core.extensions import db
from plugins.core.models import utcnow
from tests.metaads.leads.test_support import LEADS, activities, flashes, form_token, fresh, leads_config, make_form, make_lead

PERSONAL = (
    "email",
    "phone",
    "full_name",
    "first_name",
    "last_name",
    "field_data",
    "custom_disclaimer_responses",
    "notes",
    "metadata_",
)


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, t.Any]:
    return leads_config(tmp_path)


def a_lead_with_everything(**values: t.Any) -> t.Any:
    lead = make_lead(
        make_form(),
        full_name="Zoë Müller",
        first_name="Zoë",
        last_name="Müller",
        email="zoe@example.de",
        phone="+4915112345678",
        notes="Lives in Köln, call after 6.",
        custom_disclaimer_responses=[{"checkbox_key": "newsletter", "is_checked": "1"}],
        metadata_={"crm_note": "VIP"},
        campaign_id="c1",
        assigned_to="7",
        **values,
    )
    db.session.add(
        WebhookInbox(
            dedupe_key=lead.meta_lead_id,
            leadgen_id=lead.meta_lead_id,
            page_id="112233445566778",
            payload={"leadgen_id": lead.meta_lead_id, "page_id": "112233445566778", "form_id": "1", "email": "zoe@example.de"},
            lead_id=lead.id,
        )
    )
    db.session.commit()
    return lead


def test_erase_removes_personal_data_and_keeps_a_record(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], admin: t.Any
) -> None:
    lead = a_lead_with_everything(status=LeadStatus.CONTACTED)
    response = client.post(f"{LEADS}/{lead.id}/erase", headers=api_headers)
    assert response.status_code == 200
    body = response.get_json()["lead"]
    assert body["erased_at"] and body["email"] is None and body["answers"] == []
    erased = fresh(lead.id)
    assert all(getattr(erased, name) is None for name in PERSONAL)
    assert (erased.status, erased.campaign_id, erased.assigned_to, erased.meta_lead_id) == (
        LeadStatus.CONTACTED,
        "c1",
        "7",
        lead.meta_lead_id,
    )
    [record] = activities(lead.id, "erased")
    assert (record.actor_user_id, record.details) == (admin.id, {"reason": "request"})
    inbox = db.session.execute(sa.select(WebhookInbox)).scalar_one()
    assert inbox.payload == {"leadgen_id": lead.meta_lead_id, "page_id": "112233445566778", "form_id": "1"}
    again = client.post(f"{LEADS}/{lead.id}/erase", headers=api_headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_erased"


def test_an_erased_lead_takes_no_notes(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    lead = a_lead_with_everything()
    client.post(f"{LEADS}/{lead.id}/erase", headers=api_headers)
    response = client.patch(f"{LEADS}/{lead.id}", json={"note": "Her new number is …"}, headers=api_headers)
    assert response.status_code == 409 and fresh(lead.id).notes is None
    assert client.patch(f"{LEADS}/{lead.id}", json={"status": "archived"}, headers=api_headers).status_code == 200


@dataclasses.dataclass
class GraphLead:
    """What the capture path stores (``metaads.capture.store.LeadRecord``)."""

    id: str
    created_time: dt.datetime
    field_data: list[dict[str, t.Any]]
    ad_id: str | None = None
    ad_name: str | None = None
    adset_id: str | None = None
    adset_name: str | None = None
    campaign_id: str | None = None
    campaign_name: str | None = None
    form_id: str | None = None
    is_organic: bool | None = False
    platform: str | None = "fb"
    custom_disclaimer_responses: list[dict[str, t.Any]] | None = None


def test_a_later_sync_does_not_fill_an_erased_lead_in_again(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    lead = a_lead_with_everything()
    client.post(f"{LEADS}/{lead.id}/erase", headers=api_headers)
    again = GraphLead(
        id=lead.meta_lead_id, created_time=lead.created_time, field_data=[{"name": "email", "values": ["zoe@example.de"]}]
    )
    store_leads([again], source=LeadSource.RECONCILER, platform_id=None)
    db.session.commit()
    assert fresh(lead.id).email is None and fresh(lead.id).field_data is None


def test_the_page_asks_before_erasing(app: Flask, admin_client: FlaskClient) -> None:
    lead = a_lead_with_everything()
    page = f"{LEADS}/{lead.id}"
    assert f'href="{page}/erase"' in admin_client.get(page).get_data(as_text=True)
    confirm = admin_client.get(f"{page}/erase").get_data(as_text=True)
    assert "Delete Zoë Müller's personal data?" in confirm and "This cannot be undone" in confirm
    assert fresh(lead.id).erased_at is None  # looking at the question changes nothing
    refused = admin_client.post(f"{page}/erase", data={"csrf_token": form_token(admin_client, f"{page}/erase")})
    assert refused.status_code == 303 and fresh(lead.id).erased_at is None  # no reason given: nothing deleted
    assert flashes(admin_client, page) == [("error", "Say why this lead&#39;s personal data is deleted.")]
    assert 'name="reason"' in admin_client.get(f"{page}/erase").get_data(as_text=True)
    token = form_token(admin_client, f"{page}/erase")
    response = admin_client.post(f"{page}/erase", data={"csrf_token": token, "reason": "consent_withdrawn"})
    assert response.status_code == 303 and response.headers["Location"] == page
    assert flashes(admin_client, page) == [("success", "Personal data deleted. The lead&#39;s source and status are kept.")]
    html = admin_client.get(page).get_data(as_text=True)
    assert "Erased lead" in html and "zoe@example.de" not in html and "Personal data deleted (consent withdrawn)" in html


def test_retention_does_nothing_unless_configured(app: Flask) -> None:
    lead = make_lead(make_form(), status=LeadStatus.ARCHIVED, created=utcnow() - dt.timedelta(days=4000))
    db.session.commit()
    assert app.config["METAADS_RETENTION_DAYS"] is None
    assert anonymise_expired_leads() == 0 and fresh(lead.id).erased_at is None


def test_retention_erases_only_archived_leads_past_the_period(app: Flask) -> None:
    app.config["METAADS_RETENTION_DAYS"] = 30
    form, now = make_form(), utcnow()
    old_archived = [make_lead(form, status=LeadStatus.ARCHIVED, created=now - dt.timedelta(days=31 + n)) for n in range(3)]
    young_archived = make_lead(form, status=LeadStatus.ARCHIVED, created=now - dt.timedelta(days=29))
    old_open = make_lead(form, status=LeadStatus.QUALIFIED, created=now - dt.timedelta(days=400))
    db.session.commit()
    assert anonymise_expired_leads() == 3
    for lead in old_archived:
        assert fresh(lead.id).erased_at is not None and fresh(lead.id).email is None
        assert [a.details for a in activities(lead.id, "erased")] == [{"reason": "retention", "retention_days": 30}]
    assert fresh(young_archived.id).erased_at is None and fresh(old_open.id).email
    assert anonymise_expired_leads() == 0  # already erased ones are not counted again


def test_retention_is_a_periodic_job(app: Flask) -> None:
    from plugins.core.registry import platform_state

    jobs = {job.name: job for job in platform_state(app).periodic_jobs}
    assert jobs["metaads-anonymise-expired-leads"].func is anonymise_expired_leads
    assert jobs["metaads-anonymise-expired-leads"].interval == dt.timedelta(days=1)
