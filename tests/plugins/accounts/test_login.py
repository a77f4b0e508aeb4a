from __future__ import annotations

import typing as t

from flask import Flask
from flask.testing import FlaskClient

from plugins.accounts.models import LoginAttempt
from plugins.core.extensions import db
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token, login


def test_login_lands_on_the_dashboard_and_shows_the_shell(client: FlaskClient, admin: t.Any) -> None:
    response = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/meta-ads/")
    page = client.get("/admin/meta-ads/leads").get_data(as_text=True)
    for item in ("Leads", "Lead forms", "Campaigns", "Ad accounts", "Connections", "Persons", "Log out"):
        assert item in page


def test_email_is_case_insensitive(client: FlaskClient, admin: t.Any) -> None:
    assert login(client, "  ADMIN@Example.com ", ADMIN_PASSWORD).status_code == 302


def test_wrong_password_is_refused_and_logged(client: FlaskClient, admin: t.Any) -> None:
    response = login(client, ADMIN_EMAIL, "wrong password")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert client.get("/admin/meta-ads/leads").status_code == 302
    attempts = db.session.execute(db.select(LoginAttempt)).scalars().all()
    assert [(a.email, a.succeeded) for a in attempts] == [(ADMIN_EMAIL, False)]


def test_login_without_csrf_token_is_refused(client: FlaskClient, admin: t.Any) -> None:
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/meta-ads/leads").status_code == 302


def test_failed_logins_are_throttled_but_others_can_log_in(client: FlaskClient, admin: t.Any, app: Flask) -> None:
    for _ in range(app.config["ACCOUNTS_LOGIN_MAX_PER_EMAIL"]):
        assert login(client, ADMIN_EMAIL, "guess").status_code == 401
    # Even the right password waits now: the attacker cannot tell which guess was right.
    assert login(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 429
    from plugins.accounts.service import create_admin

    create_admin("other@example.com", "another long password")
    other = app.test_client()
    assert login(other, "other@example.com", "another long password").status_code == 302


def test_oversized_password_is_refused_without_hashing(client: FlaskClient, admin: t.Any) -> None:
    response = login(client, ADMIN_EMAIL, "x" * 100_000)
    assert response.status_code in (400, 401, 413)


def test_a_64_character_password_works(client: FlaskClient) -> None:
    from plugins.accounts.service import create_admin

    password = "p" * 64
    create_admin("long@example.com", password)
    assert login(client, "long@example.com", password).status_code == 302


def test_next_only_goes_to_this_site(client: FlaskClient, admin: t.Any) -> None:
    for target, expected in [
        ("/admin/persons/", "/admin/persons/"),
        ("https://evil.test/", "/admin/meta-ads/"),
        ("//evil.test/x", "/admin/meta-ads/"),
        ("/\\evil.test", "/admin/meta-ads/"),
        ("/\t/evil.test", "/admin/meta-ads/"),
    ]:
        fresh = client.application.test_client()
        token = csrf_token(fresh)
        response = fresh.post(
            f"/login?next={target}", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token}
        )
        assert response.headers["Location"] == expected, target


def test_session_cookie_changes_on_login(client: FlaskClient, admin: t.Any) -> None:
    client.get("/login")
    before = client.get_cookie("platform_session")
    login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    after = client.get_cookie("platform_session")
    assert before is not None and after is not None and before.value != after.value


def test_logout_kills_every_copy_of_the_session(client: FlaskClient, admin: t.Any, app: Flask) -> None:
    login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    stolen = client.get_cookie("platform_session")
    assert stolen is not None
    token = csrf_token(client, "/admin/meta-ads/leads")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    attacker = app.test_client()
    attacker.set_cookie("platform_session", stolen.value)
    assert attacker.get("/admin/meta-ads/leads").status_code == 302


def test_inactive_user_cannot_log_in(client: FlaskClient, admin: t.Any) -> None:
    admin.active = False
    db.session.commit()
    assert login(client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 401
