from __future__ import annotations

import datetime as dt
import typing as t

from flask.testing import FlaskClient, FlaskCliRunner

from plugins.accounts.models import ApiToken
from plugins.core.extensions import db
from plugins.core.models import utcnow


def test_token_is_stored_hashed(api_token: str) -> None:
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    assert api_token not in (row.token_hash, row.hint)
    assert row.token_hash == ApiToken.hash(api_token)


def test_token_use_updates_last_used(client: FlaskClient, api_headers: dict[str, str]) -> None:
    assert db.session.execute(db.select(ApiToken)).scalar_one().last_used_at is None
    assert client.get("/admin/meta-ads/leads", headers=api_headers).status_code == 200
    db.session.expire_all()
    assert db.session.execute(db.select(ApiToken)).scalar_one().last_used_at is not None


def test_token_answers_json_even_without_accept(client: FlaskClient, api_token: str) -> None:
    response = client.get("/admin/meta-ads/leads", headers={"Authorization": f"Bearer {api_token}"})
    assert response.is_json and response.get_json()["count"] == 0


def test_revoked_and_expired_tokens_are_refused(client: FlaskClient, api_headers: dict[str, str]) -> None:
    row = db.session.execute(db.select(ApiToken)).scalar_one()
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert client.get("/admin/meta-ads/leads", headers=api_headers).status_code == 401
    row.expires_at, row.revoked_at = None, utcnow()
    db.session.commit()
    assert client.get("/admin/meta-ads/leads", headers=api_headers).status_code == 401


def test_token_beats_a_session_cookie(client: FlaskClient, admin_client: FlaskClient) -> None:
    """A request carrying a token is judged by the token alone, never by a cookie beside it."""
    response = admin_client.get("/admin/meta-ads/leads", headers={"Authorization": "Bearer mat_wrong"})
    assert response.status_code == 401


def test_cli_issue_and_revoke(runner: FlaskCliRunner, client: FlaskClient, admin: t.Any) -> None:
    result = runner.invoke(args=["accounts", "issue-token", "admin@example.com", "--name", "crm"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    assert client.get("/admin/meta-ads/leads", headers=headers).status_code == 200
    listed = runner.invoke(args=["accounts", "list-tokens", "admin@example.com"])
    assert "crm" in listed.output and token not in listed.output
    revoked = runner.invoke(args=["accounts", "revoke-token", token[:10]])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/admin/meta-ads/leads", headers=headers).status_code == 401


def test_cli_create_admin_then_login(runner: FlaskCliRunner, client: FlaskClient) -> None:
    from tests.conftest import login

    result = runner.invoke(args=["accounts", "create-admin", "boss@example.com", "--password", "s3cret-enough"])
    assert result.exit_code == 0 and "Created admin boss@example.com" in result.output
    assert login(client, "boss@example.com", "s3cret-enough").status_code == 302


def test_cli_refuses_a_short_password(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["accounts", "create-admin", "boss@example.com", "--password", "short"])
    assert result.exit_code != 0 and "at least 8" in result.output


def test_cli_issue_token_for_unknown_user(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["accounts", "issue-token", "nobody@example.com"])
    assert result.exit_code != 0 and "no user" in result.output
