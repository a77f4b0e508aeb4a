"""The dashboard in Chromium at 1366 and 390 px: the install connected to the sandbox (its ad
accounts in EUR, JPY and USD, campaigns, 30 days of insights, ~40 leads), some leads moved
along by sales, one lead announced and not stored yet; quick pause/resume at Meta from a row;
the date range picker; "Meta reports · received" and its reasons. Screenshots go to
test-artifacts/screenshots/dashboard-*.png."""

from __future__ import annotations

import re
import typing as t
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ADMIN_EMAIL, ADMIN_NAME, ADMIN_PASSWORD, LiveServer, Tab, logged_in_state, open_tab, serve

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
APP_ID, APP_SECRET = "dashboard-app-id", "dashboard-app-secret"


@pytest.fixture(scope="module")
def sandbox() -> t.Iterator[tuple[str, t.Any]]:
    from metaads.sandbox import create_sandbox_app, serve_in_thread

    app = create_sandbox_app({"APP_ID": APP_ID, "APP_SECRET": APP_SECRET})
    url, stop = serve_in_thread(app)
    yield url.rstrip("/"), app.extensions["sandbox"]
    stop()


@pytest.fixture(scope="module")
def dashboard_server(tmp_path_factory: pytest.TempPathFactory, sandbox: tuple[str, t.Any]) -> t.Iterator[LiveServer]:
    from tests.browser.conftest import build_app

    url, graph = sandbox
    app = build_app(
        tmp_path_factory.mktemp("browser-dashboard") / "dashboard.db",
        FACEBOOK_GRAPH_URL=url,
        FACEBOOK_DIALOG_URL=url,
        FACEBOOK_CLIENT_ID=APP_ID,
        FACEBOOK_CLIENT_SECRET=APP_SECRET,
    )
    with app.app_context():
        ids = connect_and_work(app, graph)
    yield from serve(app, ids)


def connect_and_work(app: t.Any, graph: t.Any) -> dict[str, int]:
    """Connect the sandbox business (accounts, campaigns, ads, forms, leads), sync 30 days of
    insights, and do what a sales team does with the leads."""
    import sqlalchemy as sa

    from metaads.leads.workflow import change_status
    from metaads.models import AdCampaign, ConversionEvent, Lead, WebhookInbox
    from metaads.models.enums import DeliveryStatus, InboxStatus, LeadStatus
    from plugins.accounts.service import create_admin
    from plugins.core.extensions import db
    from plugins.socials.connect import connect_with_token

    create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, name=ADMIN_NAME)
    connect_with_token(graph.user_token)
    result = app.test_cli_runner().invoke(args=["metaads", "sync-insights", "--since", days_ago(32), "--until", days_ago(0)])
    assert result.exit_code == 0, result.output
    leads = list(db.session.execute(sa.select(Lead).where(Lead.ad_id.is_not(None)).order_by(Lead.id)).scalars())
    moves = [LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED, None]
    for n, lead in enumerate(leads):
        if (target := moves[n % len(moves)]) is not None:
            change_status(lead, target, None)
    # Two of Meta's leads did not make it here (yet): one waits for a worker, one failed.
    first, *rest = [lead for lead in leads if lead.campaign_id == leads[0].campaign_id]
    for lost, status in zip(rest[-2:], (InboxStatus.PENDING, InboxStatus.FAILED), strict=True):
        db.session.execute(
            sa.delete(WebhookInbox).where(sa.or_(WebhookInbox.lead_id == lost.id, WebhookInbox.dedupe_key == lost.meta_lead_id))
        )
        db.session.add(
            WebhookInbox(
                dedupe_key=lost.meta_lead_id,
                leadgen_id=lost.meta_lead_id,
                ad_id=lost.ad_id,
                form_id=lost.form_id,
                page_id=lost.page_id,
                created_time=lost.created_time,
                status=status,
                attempts=5 if status == InboxStatus.FAILED else 0,
                last_error="Graph answered 500 five times." if status == InboxStatus.FAILED else None,
            )
        )
        db.session.delete(lost)
    # The Conversions API sent the qualified and converted stages, and Meta accepted them.
    for lead in leads:
        for stage, reached in (("qualified", lead.qualified_at), ("converted", lead.converted_at)):
            if reached is not None and lead not in rest[-2:]:
                db.session.add(
                    ConversionEvent(
                        lead_id=lead.id,
                        stage=stage,
                        event_name=stage.title(),
                        event_id=f"lead-{lead.meta_lead_id}-{stage}",
                        reached_at=reached,
                        status="sent",
                    )
                )
    db.session.commit()
    active = db.session.execute(
        sa.select(AdCampaign.id).where(
            AdCampaign.meta_campaign_id == first.campaign_id, AdCampaign.status == DeliveryStatus.ACTIVE
        )
    ).scalar_one()
    return {"campaign": active}


def days_ago(n: int) -> str:
    import datetime as dt

    return (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
def state(browser: Browser, dashboard_server: LiveServer, screenshots: Path) -> t.Any:
    return logged_in_state(browser, dashboard_server, screenshots)


@pytest.fixture
def wide(browser: Browser, dashboard_server: LiveServer, screenshots: Path, state: t.Any) -> t.Iterator[Tab]:
    context, tab = open_tab(browser, dashboard_server, screenshots, viewport=WIDE, state=state)
    yield tab
    context.close()


@pytest.fixture
def phone(browser: Browser, dashboard_server: LiveServer, screenshots: Path, state: t.Any) -> t.Iterator[Tab]:
    context, tab = open_tab(browser, dashboard_server, screenshots, viewport=PHONE, state=state)
    yield tab
    context.close()


def test_the_dashboard_at_1366(wide: Tab) -> None:
    wide.goto("/admin/meta-ads/")
    page, main = wide.page, wide.page.locator("main")
    expect(page.locator("main h1")).to_have_text("Dashboard")
    expect(page.locator('.mainnav a[aria-current="page"]')).to_have_text("Dashboard")
    # Totals per currency, never a mixed one.
    for currency in ("EUR", "JPY", "USD"):
        expect(main.get_by_role("heading", name=re.compile(f"^{currency}"))).to_be_visible()
    expect(main.locator(".dash-currency").nth(1)).to_contain_text("¥")
    # The trend: leads per day, and spend per day in each currency that spent (USD did not).
    expect(main.locator("svg.chart")).to_have_count(3)
    expect(main.locator('[data-chart="leads"] .chart-legend')).to_contain_text("Received here")
    # Health: the lead announced and not stored links to the pipeline.
    health = main.locator(".health")
    expect(health).to_contain_text("1 lead waiting to be stored")
    expect(health).to_contain_text("1 lead failed")
    expect(health.get_by_role("link", name=re.compile("waiting"))).to_have_attribute("href", re.compile("/pipeline"))
    expect(main.get_by_role("heading", name="Funnel per campaign")).to_be_visible()
    expect(main.locator(".funnel-table tbody tr").first).to_be_visible()
    expect(main.get_by_role("heading", name="Lead forms")).to_be_visible()
    assert not wide.has_horizontal_overflow()
    wide.screenshot("dashboard-1366")
    wide.assert_clean()


def test_quick_pause_and_resume_answer_in_the_row(wide: Tab, dashboard_server: LiveServer, sandbox: tuple[str, t.Any]) -> None:
    from metaads.models import AdCampaign
    from plugins.core.extensions import db

    graph = sandbox[1]
    wide.goto("/admin/meta-ads/")
    campaign_id = dashboard_server.ids["campaign"]
    row = wide.page.locator(f"#top-leads-{campaign_id}")
    expect(row.locator(".badge")).to_have_text("Active")
    row.get_by_role("button", name="Pause").click()
    row = wide.page.locator(f"#top-leads-{campaign_id}")
    expect(row.locator("[data-row-result]")).to_have_text("Paused at Meta.")
    expect(row.locator(".badge")).to_have_text("Paused")
    expect(row.get_by_role("button", name="Resume")).to_be_visible()
    assert urlsplit(wide.page.url).path == "/admin/meta-ads/"  # no page change
    meta_id = dashboard_server.with_db(lambda: db.session.get(AdCampaign, campaign_id).meta_campaign_id)
    assert graph.store.get(meta_id)["status"] == "PAUSED"
    wide.screenshot("dashboard-quick-pause-1366")
    row.get_by_role("button", name="Resume").click()
    row = wide.page.locator(f"#top-leads-{campaign_id}")
    expect(row.locator("[data-row-result]")).to_have_text("Resumed at Meta.")
    expect(row.locator(".badge")).to_have_text("Active")
    assert graph.store.get(meta_id)["status"] == "ACTIVE"
    wide.assert_clean()


def test_the_range_picker(wide: Tab) -> None:
    wide.goto("/admin/meta-ads/")
    wide.page.locator(".range-picker summary").click()
    wide.page.get_by_role("link", name="Last 7 days").click()
    wide.page.wait_for_load_state()
    assert parse_qs(urlsplit(wide.page.url).query)["date_preset"] == ["last_7d"]
    expect(wide.page.locator(".range-picker summary")).to_contain_text("Last 7 days")
    wide.goto("/admin/meta-ads/?since=2026-02-30&until=2026-03-01", expect_status=400)
    expect(wide.page.get_by_role("alert")).to_contain_text("This date range could not be used")
    wide.screenshot("dashboard-bad-range-1366")
    wide.assert_clean(allow=["Failed to load resource: the server responded with a status of 400"])


def test_reported_vs_received_is_one_click_away(wide: Tab, dashboard_server: LiveServer) -> None:
    wide.goto("/admin/meta-ads/")
    link = wide.page.locator(".funnel-table .gap-link").first
    expect(link).to_contain_text("Meta")
    link.click()
    wide.page.wait_for_load_state()
    assert re.search(r"/admin/meta-ads/(campaigns|accounts)/\d+/lead-gap", wide.page.url)
    main = wide.page.locator("main")
    expect(main.locator("h1")).to_contain_text(re.compile(r"Meta reports \d+ · received \d+"))
    expect(main.get_by_role("heading", name="The difference")).to_be_visible()
    expect(main.locator(".gap-reason").first).to_be_visible()
    wide.screenshot("dashboard-gap-1366")
    wide.assert_clean()


def test_the_account_breakdown(wide: Tab) -> None:
    wide.goto("/admin/meta-ads/")
    wide.page.locator(".dash-table").first.locator(".gap-link").first.click()
    wide.page.wait_for_load_state()
    assert "/accounts/" in wide.page.url
    expect(wide.page.get_by_role("heading", name="By campaign")).to_be_visible()
    wide.screenshot("dashboard-gap-account-1366")
    wide.assert_clean()


def test_the_dashboard_at_390(phone: Tab, dashboard_server: LiveServer) -> None:
    phone.goto("/admin/meta-ads/")
    assert not phone.has_horizontal_overflow(), "the page scrolls sideways"
    # The accounts table is a card per account: the name first, then its labelled figures.
    card = phone.page.locator(".dash-table").first.locator("tbody tr").first
    expect(card.locator('td[data-label="Spend"]')).to_be_visible()
    # The funnel scrolls in its own frame.
    funnel = phone.page.locator("main .table-wrap:has(.funnel-table)")
    assert funnel.evaluate("el => el.scrollWidth > el.clientWidth")
    phone.screenshot("dashboard-390")
    phone.goto(f"/admin/meta-ads/campaigns/{dashboard_server.ids['campaign']}/lead-gap")
    assert not phone.has_horizontal_overflow()
    phone.screenshot("dashboard-gap-390")
    phone.assert_clean()


def test_the_empty_dashboard(empty_tab: Tab) -> None:
    empty_tab.page.set_viewport_size(WIDE)
    empty_tab.goto("/admin/meta-ads/")
    expect(empty_tab.page.locator("main .empty h2")).to_have_text("No ad accounts yet")
    expect(empty_tab.page.locator(".health-ok")).to_contain_text("Pipeline healthy")
    empty_tab.screenshot("dashboard-empty-1366")
    empty_tab.assert_clean()
