"""The OpenAPI document: valid OpenAPI 3.1, served only to admins, and listing every admin route
that answers JSON (a route added without a declaration fails here)."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from metaads.api.spec import build_spec, openapi_path

#: Admin routes that never answer JSON, and why.
PAGE_ONLY = {
    "metaads.openapi_json": "the document itself",
    "metaads.api_reference": "the reference page for people, rendered from the document",
    "socials.connect": "a redirect to Facebook's login dialog",
    "socials.callback": "where Facebook's login dialog returns the browser; ends in a redirect",
    "metaads_downloads.download": "a signed link to an export's CSV for anyone holding it: no admin, no JSON",
    "metaads.campaign_new": "the new-campaign form (its JSON twin is POST campaigns)",
    "metaads.campaign_edit": "the campaign edit form (its JSON twin is PATCH campaigns/<id>)",
    "metaads.adset_new": "the new-ad-set form (its JSON twin is POST adsets)",
    "metaads.adset_edit": "the ad set edit form (its JSON twin is PATCH adsets/<id>)",
    "metaads.ad_new": "the new-ad form (its JSON twin is POST ads)",
    "metaads.ad_edit": "the ad edit form (its JSON twin is PATCH ads/<id>)",
    "metaads.lead_ad_new": "the new-lead-ad form (its JSON twin is POST lead-ads)",
}


def test_the_document_is_valid_openapi_3_1(app: Flask) -> None:
    with app.test_request_context():
        document = build_spec(app)
    assert document["openapi"] == "3.1.0"
    validate(t.cast(t.Any, document))


def test_every_admin_route_that_answers_json_is_in_the_document(app: Flask) -> None:
    with app.test_request_context():
        paths = build_spec(app)["paths"]
    missing = [
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin/") and rule.endpoint not in PAGE_ONLY
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if method.lower() not in paths.get(openapi_path(rule), {})
    ]
    assert not missing, "Declare these routes with plugins.core.apidoc.documented: " + ", ".join(missing)


def test_the_exclusions_name_real_routes(app: Flask) -> None:
    assert set(PAGE_ONLY) <= {rule.endpoint for rule in app.url_map.iter_rules()}


def test_every_error_answer_is_the_envelope(app: Flask) -> None:
    with app.test_request_context():
        document = build_spec(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert {"401", "403"} <= set(map(str, operation["responses"])), (method, path)
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_a_schema_field_appears_in_the_document(app: Flask) -> None:
    """The answers come from the schemas the routes dump with: no second list of fields."""
    from metaads.schemas import LeadSchema

    with app.test_request_context():
        lead = build_spec(app)["components"]["schemas"]["Lead"]
    assert set(lead["properties"]) == set(LeadSchema().fields)
    assert lead["additionalProperties"] is False


@pytest.mark.parametrize("path", ["/admin/meta-ads/openapi.json", "/admin/meta-ads/api"])
def test_only_admins_read_the_description(client: FlaskClient, path: str) -> None:
    answer = client.get(path, headers={"Accept": "application/json"})
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthorized"


def test_the_document_is_served_with_an_api_token(client: FlaskClient, api_headers: dict[str, str]) -> None:
    answer = client.get("/admin/meta-ads/openapi.json", headers=api_headers)
    assert answer.status_code == 200
    assert "/admin/meta-ads/leads" in answer.get_json()["paths"]


def test_the_reference_page_shows_every_operation_without_outside_resources(admin_client: FlaskClient) -> None:
    html = admin_client.get("/admin/meta-ads/api").get_data(as_text=True)
    assert "PATCH" in html and "/admin/meta-ads/leads/{lead_id}" in html
    assert "LeadUpdate" in html and "validation_error" in html and "Bearer" in html
    assert "cdn" not in html.lower() and "<script src=\"http" not in html
