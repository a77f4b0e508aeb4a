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


def test_no_route_answers_an_anonymous_client(app: Flask, client: FlaskClient) -> None:
    for endpoint, method, url in routes(app):
        json = client.open(url, method=method, headers={"Accept": "application/json"})
        if method in STATE_CHANGING:
            # Without a session or a token, a state-changing request stops at the CSRF check.
            assert json.status_code in (400, 401), (endpoint, method, url, json.status_code)
        else:
            assert json.status_code == 401, (endpoint, method, url, json.status_code)
        assert json.get_json()["error"]["code"] in ("unauthorized", "bad_request")
        page = client.open(url, method=method)
        if method in STATE_CHANGING:
            # A browser form without a CSRF token stops at the CSRF check or the login check.
            assert page.status_code in (302, 400, 401), (endpoint, method, page.status_code)
        else:
            assert page.status_code == 302, (endpoint, method, page.status_code)
            assert "/login?next=" in page.headers["Location"]


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
