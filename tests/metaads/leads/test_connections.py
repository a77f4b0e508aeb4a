"""The Connections page as the lead path leaves it: the demo's permissions, each account's last webhook."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.demo import connect_demo_business
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from plugins.socials.models import SocialPage, SocialPlatform


def test_the_demo_connects_with_every_permission_the_platform_asks(app: Flask, graph: SandboxState) -> None:
    result = connect_demo_business(graph)
    assert result.missing_scopes == []
    platform = db.session.get(SocialPlatform, result.platform_id)
    assert platform is not None


def test_an_accounts_last_webhook_is_its_pages_latest(
    app: Flask, client: FlaskClient, admin_client: FlaskClient, api_headers: dict[str, str], connected: int
) -> None:
    latest = dt.datetime(2026, 3, 14, 9, 26, tzinfo=dt.UTC)
    pages = list(db.session.execute(sa.select(SocialPage).order_by(SocialPage.id)).scalars())
    pages[0].last_webhook_at = latest - dt.timedelta(hours=2)
    pages[-1].last_webhook_at = latest
    db.session.commit()

    answer = client.get("/admin/socials/connections", headers=api_headers).get_json()
    assert answer["connections"][0]["last_webhook_at"].startswith("2026-03-14T09:26")

    html = admin_client.get("/admin/socials/connections").get_data(as_text=True)
    facts = html.split("<dt>Last webhook</dt>", 1)[1].split("</dd>", 1)[0]
    assert "2026-03-14" in facts and "09:26 UTC" in facts
