"""JSON vs page on the same URL, one error envelope, security headers, log redaction."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

from plugins.core.security import redact


def test_validation_errors_use_the_envelope(client: FlaskClient, api_headers: dict[str, str]) -> None:
    response = client.get("/admin/meta-ads/leads?limit=abc", headers=api_headers)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["code"] == "validation_error"
    assert "limit" in body["error"]["details"]["fields"]
    assert client.get("/admin/meta-ads/leads?limit=100000", headers=api_headers).status_code == 400
    assert client.get("/admin/meta-ads/leads?offset=-1", headers=api_headers).status_code == 400


def test_not_found_is_json_for_clients_and_a_page_for_browsers(
    client: FlaskClient, api_headers: dict[str, str], admin_client: FlaskClient
) -> None:
    response = client.get("/admin/meta-ads/leads/999", headers=api_headers)
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "message": "No such lead.", "details": {}}}
    page = admin_client.get("/admin/meta-ads/leads/999")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "No such lead." in page.get_data(as_text=True)


def test_accept_header_chooses_json(admin_client: FlaskClient) -> None:
    assert admin_client.get("/admin/meta-ads/leads", headers={"Accept": "application/json"}).is_json
    assert admin_client.get("/admin/meta-ads/leads", headers={"Accept": "text/html,*/*"}).mimetype == "text/html"


def test_wrong_method_is_405_json(client: FlaskClient, api_headers: dict[str, str]) -> None:
    response = client.delete("/admin/meta-ads/leads", headers=api_headers)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_413(client: FlaskClient) -> None:
    body = b"email=" + b"x" * (1024 * 1024)
    response = client.post(
        "/login", data=body, headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "object-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # only over HTTPS
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_health_check(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("GET /v26.0/me?access_token=EAAB123abc&fields=id", "EAAB123abc"),
        ("appsecret_proof=deadbeef01 sent", "deadbeef01"),
        ("Authorization: Bearer mat_abcdef123", "mat_abcdef123"),
        ("lead from jane.doe+x@example.com arrived", "jane.doe+x@example.com"),
        ("phone +44 20 7946 0958 saved", "+44 20 7946 0958"),
        ("callback?code=AQDx9&state=s", "AQDx9"),
    ],
)
def test_redaction(line: str, secret: str) -> None:
    assert secret not in redact(line)


def test_meta_ids_survive_redaction() -> None:
    assert "769224190664558" in redact("stored lead 769224190664558")


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    from plugins.core.security import RedactingFilter

    logger = logging.getLogger("tests.redaction")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO):
        logger.info("token %s for %s", "access_token=EAAsecret", "a@b.example")
    assert "EAAsecret" not in caplog.text and "a@b.example" not in caplog.text
