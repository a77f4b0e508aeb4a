"""Every route answers only to an admin, except the few that are public by design."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter

#: Public by design: the login page, static files, the health check, the front door (a redirect)
#: and Meta's webhook (authenticated by its HMAC signature instead).
PUBLIC_ENDPOINTS = {
    "accounts.login",
    "accounts.logout",  # needs a session; without one it answers 401, tested below
    "static",
    "core.healthz",
    "core.index",
    "socials_webhooks.verify",  # the POST side is served in front of Flask (WebhookReceiver)
    "socials_webhooks.facebook_leadgen_verify",
    "metaads_downloads.download",  # a signed, expiring export link: the signature is its credential
}

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def routes(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "x" for arg in rule.arguments}
        built = rule.build(values)
        assert built is not None, rule.rule
        url = built[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def test_the_walk_sees_every_admin_area(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in routes(app)}
    assert {"metaads.leads_index", "persons.index", "socials.connections"} <= endpoints


def test_the_walk_covers_every_method(app: Flask) -> None:
    methods = {method for _, method, _ in routes(app)}
    assert {"GET", "POST", "PATCH"} <= methods


def test_no_route_answers_an_anonymous_client(app: Flask, client: FlaskClient) -> None:
    """Authentication before CSRF: every method, a POST as much as a GET, answers 401 (JSON) or
    the login redirect (a browser), never "CSRF token missing"."""
    for endpoint, method, url in routes(app):
        json = client.open(url, method=method, headers={"Accept": "application/json"})
        assert json.status_code == 401, (endpoint, method, url, json.status_code)
        assert json.get_json()["error"]["code"] == "unauthorized"
        assert json.headers["WWW-Authenticate"].startswith("Bearer")
        if method in STATE_CHANGING:
            sent_json = client.open(url, method=method, json={})  # a script sending JSON, no credentials
            assert sent_json.status_code == 401, (endpoint, method, url, sent_json.status_code)
        page = client.open(url, method=method)
        assert page.status_code == 302, (endpoint, method, page.status_code)
        assert "/login?next=" in page.headers["Location"]


def test_csrf_still_guards_a_logged_in_browser(app: Flask, admin_client: FlaskClient) -> None:
    """A logged-in browser's state-changing request without the form's token is refused on every
    route, before it can change anything."""
    for endpoint, method, url in routes(app):
        if method not in STATE_CHANGING or endpoint == "accounts.logout":
            continue
        response = admin_client.open(url, method=method, data={})
        assert response.status_code == 400, (endpoint, method, url, response.status_code)
        assert "CSRF" in response.get_data(as_text=True), (endpoint, method)


def test_the_login_form_keeps_its_csrf_check(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "a@example.com", "password": "x"}, headers={"Accept": "application/json"})
    assert response.status_code == 400


def test_no_route_answers_a_bad_token(app: Flask, client: FlaskClient) -> None:
    for endpoint, method, url in routes(app):
        response = client.open(url, method=method, headers={"Authorization": "Bearer mat_not-a-real-token"})
        assert response.status_code == 401, (endpoint, method)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_no_route_answers_a_user_who_is_not_admin(app: Flask, client: FlaskClient) -> None:
    from plugins.accounts.models import User
    from plugins.accounts.service import issue_token
    from plugins.core.extensions import db

    user = User(email="sales@example.com", is_admin=False)
    db.session.add(user)
    db.session.commit()
    headers = {"Authorization": f"Bearer {issue_token(user)}"}
    for endpoint, method, url in routes(app):
        response = client.open(url, method=method, headers=headers)
        assert response.status_code == 403, (endpoint, method)


@pytest.mark.parametrize("path", ["/login", "/healthz"])
def test_public_pages_answer_anonymously(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_front_door_sends_anonymous_users_to_login(client: FlaskClient) -> None:
    first = client.get("/")
    assert first.status_code == 302
    second = client.get(first.headers["Location"])
    assert second.status_code == 302 and "/login" in second.headers["Location"]


def test_logout_without_a_session_is_refused(client: FlaskClient) -> None:
    response = client.post("/logout", headers={"Accept": "application/json"})
    assert response.status_code in (400, 401)


def test_an_api_token_needs_no_csrf_token(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    response = client.post("/admin/meta-ads/leads/bulk", json={"ids": [1], "status": "archived"}, headers=api_headers)
    assert response.status_code == 404  # past the CSRF check: the lead does not exist
