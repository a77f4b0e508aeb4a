"""Requests Schemathesis found answering 500: a NUL character, an offset or an id past what
PostgreSQL takes reached a query. Now a 400 with the error envelope, before any query."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


@pytest.mark.parametrize(
    "path",
    [
        "/admin/persons/?q=%00",
        "/admin/meta-ads/leads?ad_id=%00",
        "/admin/meta-ads/leads?q=a%00b",
    ],
)
def test_a_nul_in_the_query_string_is_a_400(client: FlaskClient, api_headers: dict[str, str], path: str) -> None:
    answer = client.get(path, headers=api_headers)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "bad_request"


def test_a_nul_in_a_json_body_is_a_400(client: FlaskClient, api_headers: dict[str, str]) -> None:
    answer = client.patch("/admin/meta-ads/leads/1", json={"notes": "a\u0000b"}, headers=api_headers)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "bad_request"


def test_anonymous_requests_still_get_their_401_first(client: FlaskClient) -> None:
    answer = client.get("/admin/persons/?q=%00", headers={"Accept": "application/json"})
    assert answer.status_code == 401


def test_a_huge_offset_is_a_400_not_a_database_error(client: FlaskClient, api_headers: dict[str, str]) -> None:
    answer = client.get("/admin/meta-ads/accounts?offset=99999999999999999999", headers=api_headers)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["details"] == {"fields": {"offset": ["offset must be between 0 and 1000000000."]}}


def test_an_id_past_bigint_in_a_bulk_change_is_a_400(client: FlaskClient, api_headers: dict[str, str]) -> None:
    body = {"ids": [2**63], "status": "new"}
    answer = client.post("/admin/meta-ads/leads/bulk", json=body, headers=api_headers)
    assert answer.status_code == 400
    assert "ids" in answer.get_json()["error"]["details"]["fields"]
