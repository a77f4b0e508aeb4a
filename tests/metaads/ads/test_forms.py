"""The campaign, ad set and ad forms as a browser posts them (CSRF, form fields, redirects): a
refusal comes back on the form next to its field, ours (400) or Meta's (422); "Check with Meta"
answers on the form; a form sent twice makes one campaign; every write shows on the page."""

from __future__ import annotations

import re
import typing as t

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from metaads.models import Ad, AdAccount, AdCampaign, AdSet, LeadForm
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from tests.conftest import csrf_token

BASE = "/admin/meta-ads"


def forget_synced_ads() -> None:
    """Connecting syncs the sandbox's campaigns; these tests count only what they write."""
    for model in (Ad, AdSet, AdCampaign):
        db.session.execute(sa.delete(model))
    db.session.commit()


@pytest.fixture
def account(connected: int, graph: SandboxState) -> AdAccount:
    meta_id = graph.seed.ad_accounts["EUR"]
    forget_synced_ads()
    return db.session.execute(sa.select(AdAccount).where(AdAccount.meta_account_id == meta_id)).scalar_one()


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(csrf_token|idempotency_key)" value="([^"]+)"', html))


def campaign_form(client: FlaskClient, account: AdAccount, **changes: str) -> dict[str, str]:
    html = client.get(f"{BASE}/campaigns/new").get_data(as_text=True)
    return {
        **form_fields(html),
        "ad_account_id": str(account.id),
        "name": "Leads – Winter",
        "objective": "OUTCOME_LEADS",
        **changes,
    }


def error_under(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">([^<]*)</p>', html)
    assert match, f"no error shown under {field}"
    return match.group(1)


def test_the_new_campaign_form_offers_a_check_with_meta(admin_client: FlaskClient, account: AdAccount) -> None:
    html = admin_client.get(f"{BASE}/campaigns/new").get_data(as_text=True)

    assert 'name="validate_only"' in html and "Check with Meta" in html
    assert 'name="idempotency_key"' in html and "Acme Kitchens EU (EUR)" in html


def test_our_refusal_shows_next_to_the_field(admin_client: FlaskClient, account: AdAccount, graph: SandboxState) -> None:
    graph.clear_calls()
    response = admin_client.post(f"{BASE}/campaigns", data=campaign_form(admin_client, account, daily_budget="12.50"))

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "not a fraction" in error_under(html, "daily_budget")
    assert 'value="Leads – Winter"' in html  # what was typed stays
    assert [c for c in graph.calls if c["method"] == "POST"] == []


def test_metas_refusal_shows_in_metas_words_next_to_the_field(admin_client: FlaskClient, account: AdAccount) -> None:
    response = admin_client.post(f"{BASE}/campaigns", data=campaign_form(admin_client, account, daily_budget="50"))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_under(html, "daily_budget") == "The minimum budget is 1 EUR."
    assert "Meta: Your Budget Is Too Low." in html


def test_check_with_meta_answers_on_the_form(admin_client: FlaskClient, account: AdAccount, graph: SandboxState) -> None:
    response = admin_client.post(f"{BASE}/campaigns", data={**campaign_form(admin_client, account), "validate_only": "1"})

    assert response.status_code == 200
    assert "Meta accepts this campaign" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdCampaign)) == 0


def test_a_form_sent_twice_makes_one_campaign_and_its_page_shows_the_writes(
    admin_client: FlaskClient, account: AdAccount, graph: SandboxState
) -> None:
    form = campaign_form(admin_client, account, daily_budget="1000")
    first = admin_client.post(f"{BASE}/campaigns", data=form)
    second = admin_client.post(f"{BASE}/campaigns", data=form)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    campaign = db.session.execute(sa.select(AdCampaign)).scalar_one()
    detail = admin_client.get(first.headers["Location"]).get_data(as_text=True)
    token = csrf_token(admin_client, f"{BASE}/campaigns/{campaign.id}")
    assert admin_client.post(f"{BASE}/campaigns/{campaign.id}/resume", data={"csrf_token": token}).status_code == 303
    detail = admin_client.get(f"{BASE}/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Changes made here" in detail and "Resume" in detail and "Create" in detail
    assert "status</span>: PAUSED → ACTIVE" in detail


def test_the_edit_form_changes_the_campaign(admin_client: FlaskClient, account: AdAccount) -> None:
    admin_client.post(f"{BASE}/campaigns", data=campaign_form(admin_client, account, daily_budget="1000"))
    campaign = db.session.execute(sa.select(AdCampaign)).scalar_one()
    html = admin_client.get(f"{BASE}/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'value="1000"' in html

    data = {**form_fields(html), "_method": "PATCH", "name": "Renamed", "status": "PAUSED", "daily_budget": "2500"}
    response = admin_client.post(f"{BASE}/campaigns/{campaign.id}", data=data)

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(AdCampaign, campaign.id).daily_budget == 2500


def test_the_ad_set_and_ad_forms_create_a_lead_ad(admin_client: FlaskClient, account: AdAccount, graph: SandboxState) -> None:
    admin_client.post(f"{BASE}/campaigns", data=campaign_form(admin_client, account))
    campaign = db.session.execute(sa.select(AdCampaign)).scalar_one()
    html = admin_client.get(f"{BASE}/adsets/new?campaign_id={campaign.id}").get_data(as_text=True)
    adset_form: dict[str, t.Any] = {
        **form_fields(html),
        "campaign_id": str(campaign.id),
        "name": "Spain",
        "billing_event": "IMPRESSIONS",
        "daily_budget": "2500",
        "promoted_object.page_id": graph.seed.page_ids[0],
        "targeting": '{"geo_locations": {"countries": ["ES"]}}',
    }
    created = admin_client.post(f"{BASE}/adsets", data=adset_form)
    assert created.status_code == 303, created.get_data(as_text=True)
    ad_set_id = int(created.headers["Location"].rsplit("/", 1)[1])

    form = db.session.execute(sa.select(LeadForm).where(LeadForm.meta_form_id == graph.seed.forms["standard"])).scalar_one()
    html = admin_client.get(f"{BASE}/ads/new?ad_set_id={ad_set_id}").get_data(as_text=True)
    ad_form = {
        **form_fields(html),
        "ad_set_id": str(ad_set_id),
        "name": "Static",
        "creative.lead_form_id": str(form.id),
        "creative.message": "Get a quote",
    }
    created = admin_client.post(f"{BASE}/ads", data=ad_form)
    assert created.status_code == 303, created.get_data(as_text=True)
    detail = admin_client.get(created.headers["Location"]).get_data(as_text=True)
    assert form.name in detail and "its leads" in detail
