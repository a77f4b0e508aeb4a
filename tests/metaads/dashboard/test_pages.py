"""The dashboard page: where admins land, what it shows (money in each account's currency, the
trend as SVG, the funnel, forms, health with links to act), and the quick pause/resume that goes
through the campaigns' own write routes and comes back to the dashboard with a per-row result."""

from __future__ import annotations

import re
import typing as t

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.models import AdCampaign
from metaads.models.enums import DeliveryStatus
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from plugins.core.registry import platform_state
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token
from tests.metaads.dashboard.conftest import RANGE, World

DASHBOARD = "/admin/meta-ads/"


def test_admins_land_on_the_dashboard(client: FlaskClient, admin: t.Any, app: Flask) -> None:
    assert platform_state(app).home_endpoint() == "metaads.dashboard"
    assert platform_state(app).admin_menu[0].label == "Dashboard"
    token = csrf_token(client)
    answer = client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token})
    assert answer.headers["Location"].endswith(DASHBOARD)
    assert client.get("/").headers["Location"].endswith(DASHBOARD)


def test_the_page(admin_client: FlaskClient, world: World) -> None:
    page = admin_client.get(f"{DASHBOARD}?{RANGE}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # Money in each account's currency (whole yen), per currency, never a mixed total.
    assert "€96.01" in html and "¥1,203" in html and "$9.99" in html
    assert "¥12.03" not in html
    for name in ("Acme DE", "Acme JP", "DE Leads", "Acme DE form", "Funnel per campaign", "Cheapest converted lead"):
        assert name in html
    # The trend: an SVG chart of leads per day and one of spend per currency.
    assert html.count('<svg class="chart"') == 4
    # Health, each count linking to where to act.
    assert "1</strong> lead waiting to be stored" in html and "/admin/socials/connections" in html
    assert 'aria-current="page">Dashboard</a>' in html


def test_the_current_nav_entry_is_not_the_dashboard_on_every_page(admin_client: FlaskClient, world: World) -> None:
    html = admin_client.get("/admin/meta-ads/leads").get_data(as_text=True)
    assert re.findall(r'aria-current="page">([^<]+)</a>', html) == ["Leads"]
    html = admin_client.get(f"/admin/meta-ads/campaigns/{world.campaigns['de_leads']}/lead-gap").get_data(as_text=True)
    assert re.findall(r'aria-current="page">([^<]+)</a>', html) == ["Campaigns"]


def test_the_page_before_anything_is_connected(admin_client: FlaskClient) -> None:
    html = admin_client.get(DASHBOARD).get_data(as_text=True)
    assert "No ad accounts yet" in html and "Open Connections" in html
    assert "Pipeline healthy" in html


def active_campaign() -> AdCampaign:
    campaign = db.session.execute(
        sa.select(AdCampaign).where(AdCampaign.status == DeliveryStatus.ACTIVE).order_by(AdCampaign.id).limit(1)
    ).scalar_one()
    return t.cast(AdCampaign, campaign)


def test_quick_pause_writes_to_meta_and_comes_back_to_the_dashboard(
    admin_client: FlaskClient, connected: int, graph: SandboxState
) -> None:
    """The sandbox's leads of the last 30 days put its active campaigns among the top ones."""
    back = f"{DASHBOARD}?date_preset=last_30d"
    top = admin_client.get(back, headers={"Accept": "application/json"}).get_json()["top_by_leads"]
    campaign = db.session.get(AdCampaign, next(c["id"] for c in top if c["status"] == "ACTIVE"))
    assert campaign is not None
    html = admin_client.get(back).get_data(as_text=True)
    assert f'action="/admin/meta-ads/campaigns/{campaign.id}/pause"' in html
    token = csrf_token(admin_client, back)

    answer = admin_client.post(f"/admin/meta-ads/campaigns/{campaign.id}/pause", data={"csrf_token": token, "next": back})
    assert answer.status_code == 303 and answer.headers["Location"] == back
    assert graph.store.get(campaign.meta_campaign_id)["status"] == "PAUSED"
    shown = admin_client.get(back).get_data(as_text=True)
    assert f"{campaign.name}: Campaign paused." in shown

    # The same route answers a script with the campaign (the page's script uses that).
    resumed = admin_client.post(
        f"/admin/meta-ads/campaigns/{campaign.id}/resume",
        data={"csrf_token": token, "next": back},
        headers={"Accept": "application/json"},
    )
    assert resumed.status_code == 200 and resumed.get_json()["campaign"]["status"] == "ACTIVE"


def test_quick_actions_never_send_the_browser_elsewhere(admin_client: FlaskClient, connected: int) -> None:
    campaign = active_campaign()
    token = csrf_token(admin_client, DASHBOARD)
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example"):
        answer = admin_client.post(
            f"/admin/meta-ads/campaigns/{campaign.id}/resume", data={"csrf_token": token, "next": elsewhere}
        )
        assert answer.status_code == 303 and answer.headers["Location"] == f"/admin/meta-ads/campaigns/{campaign.id}"
