"""The insights and Conversions API routes answer what their declarations say, on real objects
(Schemathesis's random ids mostly miss them)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from metaads.api.answers import ConversionsAnswerSchema, InsightsAnswerSchema
from metaads.api.spec import build_spec
from metaads.models import AdAccount
from plugins.core.extensions import db


@pytest.fixture
def account_id(app: Flask) -> int:
    account = AdAccount(meta_account_id="act_1", name="Shop", currency="EUR")
    db.session.add(account)
    db.session.commit()
    return account.id


@pytest.mark.parametrize(
    "query", ["", "date_preset=maximum", "since=2026-01-01&until=2026-01-31&time_increment=all_days", "since=&until="]
)
def test_insights_answer_their_schema(client: FlaskClient, api_headers: dict[str, str], account_id: int, query: str) -> None:
    answer = client.get(f"/admin/meta-ads/accounts/{account_id}/insights?{query}", headers=api_headers)
    assert answer.status_code == 200
    assert InsightsAnswerSchema().validate(answer.get_json()) == {}


def test_a_bad_date_names_its_field(client: FlaskClient, api_headers: dict[str, str], account_id: int) -> None:
    answer = client.get(f"/admin/meta-ads/accounts/{account_id}/insights?until=soon&since=2026-01-01", headers=api_headers)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["details"]["fields"] == {"until": ["until must be a date YYYY-MM-DD."]}


def test_conversions_answer_their_schema(client: FlaskClient, api_headers: dict[str, str]) -> None:
    answer = client.patch("/admin/meta-ads/conversions", json={"test_event_code": "TEST1"}, headers=api_headers)
    assert answer.status_code == 200
    assert ConversionsAnswerSchema().validate(answer.get_json()) == {}


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/admin/meta-ads/leads/{lead_id}", "conversion_events"),
        ("/admin/meta-ads/pipeline", "conversions"),
        ("/admin/persons/{person_id}", "sections"),
    ],
)
def test_answers_declare_every_key_the_route_adds(app: Flask, path: str, key: str) -> None:
    """Keys added to these answers after their declaration (unknown keys fail Schemathesis,
    but only when its random id names a real object)."""
    with app.test_request_context():
        document = build_spec(app)
    ref = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert key in document["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]
