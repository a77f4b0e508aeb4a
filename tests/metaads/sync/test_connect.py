"""Connecting Facebook (OAuth and token), reconnecting, disconnecting, token checks."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from metaads.models import AdAccount
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from plugins.socials.models import PlatformStatus, SocialPage, SocialPlatform


def start_dialog(admin_client: FlaskClient) -> dict[str, list[str]]:
    response = admin_client.get("/admin/socials/connect")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path.endswith("/dialog/oauth")
    return parse_qs(location.query)


def test_dialog_asks_for_every_scope_with_a_state(admin_client: FlaskClient) -> None:
    query = start_dialog(admin_client)
    scopes = query["scope"][0].split(",")
    for scope in ("leads_retrieval", "ads_management", "pages_manage_metadata", "pages_show_list", "business_management"):
        assert scope in scopes
    assert len(query["state"][0]) >= 32 and query["redirect_uri"][0].endswith("/admin/socials/callback")


def test_oauth_round_trip(app: Flask, admin_client: FlaskClient, graph: SandboxState) -> None:
    query = start_dialog(admin_client)
    # What the Approve button of Facebook's dialog does: back to us with a code and the state.
    dialog = f"{app.config['FACEBOOK_DIALOG_URL']}/v26.0/dialog/oauth"
    approved = requests.post(
        dialog, data={k: v[0] for k, v in query.items()} | {"decision": "approve"}, allow_redirects=False, timeout=10
    )
    back = urlsplit(approved.headers["Location"])
    response = admin_client.get(f"/admin/socials/callback?{back.query}")
    assert response.status_code == 302
    page = admin_client.get("/admin/socials/connections").get_data(as_text=True)
    assert "Connected: 2 pages, 2 subscribed to leads." in page
    platform = db.session.execute(sa.select(SocialPlatform)).scalar_one()
    assert platform.status == PlatformStatus.ACTIVE and platform.token_expires_at is not None
    assert db.session.execute(sa.select(sa.func.count()).select_from(AdAccount)).scalar_one() == 3


def test_callback_with_a_forged_state_changes_nothing(admin_client: FlaskClient) -> None:
    start_dialog(admin_client)
    response = admin_client.get("/admin/socials/callback?code=abc&state=forged")
    assert response.status_code == 302
    assert "did not start here" in admin_client.get("/admin/socials/connections").get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(SocialPlatform)).scalar_one() == 0


def test_callback_with_a_bad_code_is_a_message_not_a_500(admin_client: FlaskClient) -> None:
    state = start_dialog(admin_client)["state"][0]
    response = admin_client.get(f"/admin/socials/callback?code=not-a-code&state={state}")
    assert response.status_code == 302
    assert "did not complete the connection" in admin_client.get("/admin/socials/connections").get_data(as_text=True)


def test_cancelled_dialog(admin_client: FlaskClient) -> None:
    state = start_dialog(admin_client)["state"][0]
    admin_client.get(f"/admin/socials/callback?error=access_denied&error_reason=user_denied&state={state}")
    assert "cancelled" in admin_client.get("/admin/socials/connections").get_data(as_text=True)


def test_connect_token_cli(runner: FlaskCliRunner, graph: SandboxState) -> None:
    result = runner.invoke(args=["socials", "connect-token", "--access-token", graph.system_user_token])
    assert result.exit_code == 0, result.output
    assert "2 pages, 2 subscribed to leads" in result.output
    platform = db.session.execute(sa.select(SocialPlatform)).scalar_one()
    assert platform.token_type == "system_user"


def test_connect_token_cli_refuses_a_dead_token(runner: FlaskCliRunner, graph: SandboxState) -> None:
    graph.revoke_token(graph.user_token)
    result = runner.invoke(args=["socials", "connect-token", "--access-token", graph.user_token])
    assert result.exit_code != 0 and "not valid" in result.output


def test_reconnect_replaces_page_tokens_in_place(app: Flask, graph: SandboxState, connected: int) -> None:
    from plugins.socials.connect import connect_with_token

    before = {p.page_id: p.id for p in db.session.execute(sa.select(SocialPage)).scalars()}
    again = connect_with_token(graph.user_token)
    assert again.platform_id == connected
    db.session.expire_all()
    after = {p.page_id: p.id for p in db.session.execute(sa.select(SocialPage)).scalars()}
    assert after == before


def test_disconnect_forgets_tokens_keeps_history(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], connected: int
) -> None:
    response = client.post(f"/admin/socials/connections/{connected}/disconnect", headers=api_headers)
    assert response.status_code == 200 and response.get_json()["connection"]["status"] == "disconnected"
    raw = db.session.execute(sa.text("SELECT access_token FROM socials_pages")).scalars().all()
    assert raw and all(token is None for token in raw)


def test_page_subscription_fix(app: Flask, client: FlaskClient, api_headers: dict[str, str], connected: int) -> None:
    page = db.session.execute(sa.select(SocialPage)).scalars().first()
    assert page is not None
    page.leadgen_subscribed = False
    db.session.commit()
    response = client.post(f"/admin/socials/pages/{page.id}/subscribe", headers=api_headers)
    assert response.get_json() == {"page_id": page.page_id, "leadgen_subscribed": True}


def test_token_check_marks_dead_tokens(app: Flask, runner: FlaskCliRunner, graph: SandboxState, connected: int) -> None:
    graph.revoke_token(graph.user_token, subcode=460)
    result = runner.invoke(args=["socials", "check-tokens"])
    assert "needs_reauth 1" in result.output, result.output
    assert db.session.get(SocialPlatform, connected).status == PlatformStatus.NEEDS_REAUTH  # type: ignore[union-attr]


def test_subscription_health_resubscribes(app: Flask, graph: SandboxState, connected: int) -> None:
    from metaads.sync.subscriptions import check_subscriptions

    page = db.session.execute(sa.select(SocialPage)).scalars().first()
    assert page is not None
    graph.page_apps.pop(page.page_id, None)  # the page dropped our app
    counts = check_subscriptions()
    assert counts["subscribed"] == 2 and counts["failed"] == 0
