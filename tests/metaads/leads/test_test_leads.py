"""Test leads (sent through a form's test_leads edge) carry ``is_test`` and a Test badge, and stay
out of counts, exports, Person records, emails and CRM pushes unless ``include_test`` asks."""

from __future__ import annotations

import csv
import dataclasses
import io
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.capture.followups import real_leads
from metaads.capture.store import store_leads
from metaads.models import Lead, LeadForm
from metaads.models.enums import LeadSource
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from plugins.persons.models import Person
from tests.metaads.capture.test_outbound import SECRET, Crm, crm  # noqa: F401  (the CRM fixture)
from tests.metaads.capture.test_store import CREATED, lead
from tests.metaads.conftest import deliver
from tests.metaads.leads.test_support import LEADS, leads_config, make_form, make_lead


def stored(meta_id: str) -> Lead:
    db.session.expire_all()
    return db.session.execute(sa.select(Lead).where(Lead.meta_lead_id == meta_id)).scalar_one()


DUMMY = [{"name": "email", "values": ["<test lead: dummy data for email>"]}]


def test_a_lead_with_the_testing_tools_dummy_answers_is_a_test_lead(app: Flask) -> None:
    store_leads([lead(1), lead(2, field_data=DUMMY)], source=LeadSource.WEBHOOK, platform_id=None)
    db.session.commit()
    assert stored(lead(1).id).is_test is False
    assert stored(lead(2).id).is_test is True


def test_the_test_lead_sent_from_the_form_is_a_test_lead_even_with_real_answers(app: Flask) -> None:
    store_leads([lead(1)], source=LeadSource.WEBHOOK, platform_id=None)  # the form's LeadForm
    form = db.session.execute(sa.select(LeadForm)).scalar_one()
    form.metadata_ = {"test_lead": {"id": lead(2).id, "created_at": CREATED.isoformat(), "by": 1}}
    db.session.commit()
    store_leads([lead(2)], source=LeadSource.WEBHOOK, platform_id=None)
    db.session.commit()
    assert stored(lead(2).id).is_test is True
    assert db.session.get(LeadForm, form.id).leads_count == 1  # type: ignore[union-attr]  (the test lead is not counted)

    # The form's next test lead replaces the id on the form: a later read keeps the flag.
    form.metadata_ = {"test_lead": {"id": "999", "created_at": CREATED.isoformat(), "by": 1}}
    db.session.commit()
    store_leads([dataclasses.replace(lead(2), ad_name="again")], source=LeadSource.RECONCILER, platform_id=None)
    db.session.commit()
    assert stored(lead(2).id).is_test is True


def test_every_stored_lead_carries_its_lead_form(app: Flask) -> None:
    """design.md: a form first seen through a lead gets its LeadForm at once."""
    other = dataclasses.replace(lead(3), form_id="123456789012345")
    store_leads([lead(1), other], source=LeadSource.WEBHOOK, platform_id=None)
    db.session.commit()
    for record in (lead(1), other):
        row = stored(record.id)
        assert row.lead_form_id is not None and row.lead_form.meta_form_id == record.form_id  # type: ignore[union-attr]


def test_followups_skip_test_leads(app: Flask) -> None:
    store_leads([lead(1), lead(2, field_data=DUMMY), lead(3)], source=LeadSource.WEBHOOK, platform_id=None)
    db.session.commit()
    ids = [stored(lead(n).id).id for n in (1, 2, 3)]
    assert real_leads(ids) == [ids[0], ids[2]]


class TestTheList:
    @pytest.fixture
    def config_overrides(self, tmp_path: Path) -> dict[str, t.Any]:
        return leads_config(tmp_path)

    @pytest.fixture
    def sample(self, app: Flask) -> dict[str, int]:
        form = make_form("Bikes")
        real = make_lead(form, full_name="Real Person")
        test = make_lead(form, full_name="Testing Tool", is_test=True)
        db.session.commit()
        return {"real": real.id, "test": test.id}

    def ids(self, client: FlaskClient, headers: dict[str, str], query: str = "") -> list[int]:
        body = client.get(f"{LEADS}?{query}", headers=headers).get_json()
        return [row["id"] for row in body["leads"]]

    def test_test_leads_are_left_out_unless_asked_for(
        self, client: FlaskClient, api_headers: dict[str, str], sample: dict[str, int]
    ) -> None:
        body = client.get(LEADS, headers=api_headers).get_json()
        assert [row["id"] for row in body["leads"]] == [sample["real"]] and body["count"] == 1
        assert body["status_counts"]["new"] == 1 and body["leads"][0]["is_test"] is False
        assert self.ids(client, api_headers, "include_test=true") == [sample["test"], sample["real"]]
        assert self.ids(client, api_headers, "include_test=only") == [sample["test"]]
        assert self.ids(client, api_headers, "include_test=false") == [sample["real"]]
        assert client.get(f"{LEADS}?include_test=only", headers=api_headers).get_json()["status_counts"]["new"] == 1

    def test_export_leaves_test_leads_out_unless_asked_for(
        self, client: FlaskClient, api_headers: dict[str, str], sample: dict[str, int]
    ) -> None:
        def exported(query: str) -> list[str]:
            response = client.post(f"{LEADS}/export?{query}", json={}, headers=api_headers, buffered=True)
            assert response.status_code == 200
            rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
            return [row["Full name"] for row in rows]

        assert exported("") == ["Real Person"]
        assert sorted(exported("include_test=true")) == ["Real Person", "Testing Tool"]

    def test_pages_show_a_test_badge_and_the_filter(self, admin_client: FlaskClient, sample: dict[str, int]) -> None:
        html = admin_client.get(LEADS).get_data(as_text=True)
        assert "Testing Tool" not in html and 'name="include_test"' in html
        shown = admin_client.get(f"{LEADS}?include_test=true").get_data(as_text=True)
        assert "Testing Tool" in shown and shown.count('<span class="badge badge-test">Test</span>') == 1
        assert '<option value="true" selected>' in shown
        detail = admin_client.get(f"{LEADS}/{sample['test']}").get_data(as_text=True)
        assert ">Test</span>" in detail
        assert ">Test</span>" not in admin_client.get(f"{LEADS}/{sample['real']}").get_data(as_text=True)


class TestThroughTheSandbox:
    @pytest.fixture
    def config_overrides(self, config_overrides: dict[str, t.Any], crm: tuple[Crm, str]) -> dict[str, t.Any]:  # noqa: F811
        return {**config_overrides, "METAADS_OUTBOUND_WEBHOOKS": [{"url": crm[1], "secret": SECRET}]}

    def test_a_test_lead_sent_from_the_form_makes_no_person_and_no_crm_push(
        self,
        app: Flask,
        client: FlaskClient,
        api_headers: dict[str, str],
        graph: SandboxState,
        connected: int,
        crm: tuple[Crm, str],  # noqa: F811
    ) -> None:
        state, _ = crm
        state.received.clear()  # the backfill's leads were pushed
        persons_before = db.session.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one()
        form = db.session.execute(sa.select(LeadForm).where(LeadForm.meta_form_id == graph.seed.forms["standard"])).scalar_one()
        count_before = form.leads_count
        sent = client.post(f"/admin/meta-ads/lead-forms/{form.id}/test-lead", headers=api_headers)
        assert sent.status_code == 201, sent.get_json()
        test_id = sent.get_json()["test_lead"]["id"]
        deliver(client, graph, [test_id])
        row = stored(test_id)
        assert row.is_test is True and row.person_id is None
        assert state.received == []
        assert db.session.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one() == persons_before
        db.session.expire_all()
        assert db.session.get(LeadForm, form.id).leads_count == count_before  # type: ignore[union-attr]
        listed = client.get(f"{LEADS}?include_test=only", headers=api_headers).get_json()["leads"]
        assert [item["meta_lead_id"] for item in listed] == [test_id]
