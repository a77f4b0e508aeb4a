from __future__ import annotations

from flask.testing import FlaskClient


def test_leads_json_with_token_is_an_empty_list(client: FlaskClient, api_headers: dict[str, str]) -> None:
    response = client.get("/admin/meta-ads/leads", headers=api_headers)
    assert response.status_code == 200
    body = response.get_json()
    expected = {"leads": [], "count": 0, "limit": 50, "offset": 0}
    assert {key: body[key] for key in expected} == expected
