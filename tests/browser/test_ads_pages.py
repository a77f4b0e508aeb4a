"""The campaign, ad set and ad pages in headless Chromium, against the sandbox: a lead ad built
campaign → ad set → ad through the forms, Meta's refusal shown on the form, "Check with Meta",
pause/resume and the writes on each page; at 1366 and 390 px, screenshots to look at."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from metaads.sandbox import SandboxState, create_sandbox_app, serve_in_thread
from tests.browser.conftest import (
    ADMIN_EMAIL,
    ADMIN_NAME,
    ADMIN_PASSWORD,
    LiveServer,
    build_app,
    log_in,
    open_tab,
    serve,
)
from tests.metaads.conftest import APP_ID, APP_SECRET

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
PIXEL = b'<svg xmlns="http://www.w3.org/2000/svg" width="2" height="1"><rect width="2" height="1" fill="#c9b28d"/></svg>'
NARROW = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[LiveServer, SandboxState]]:
    """The app on a live server, connected to the sandbox's business."""
    from plugins.accounts.service import create_admin
    from plugins.socials.connect import connect_with_token

    sandbox = create_sandbox_app({"APP_ID": APP_ID, "APP_SECRET": APP_SECRET})
    sandbox_url, stop = serve_in_thread(sandbox)
    graph: SandboxState = sandbox.extensions["sandbox"]
    app = build_app(
        tmp_path_factory.mktemp("ads-pages") / "app.db",
        FACEBOOK_GRAPH_URL=sandbox_url.rstrip("/"),
        FACEBOOK_CLIENT_ID=APP_ID,
        FACEBOOK_CLIENT_SECRET=APP_SECRET,
        METAADS_GRAPH_MAX_RETRIES=0,
    )
    with app.app_context():
        create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, name=ADMIN_NAME)
        connect_with_token(graph.user_token)
    try:
        yield from serve(app, {})
    finally:
        stop()


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1366", "390"])
def test_a_lead_ad_through_the_forms(
    browser: Browser,
    screenshots: Path,
    sandboxed: LiveServer,
    viewport: dict[str, int],
) -> None:
    size = viewport["width"]
    context, tab = open_tab(browser, sandboxed, screenshots, viewport=viewport)
    page = tab.page
    # The ad's page shows its creative's image from Meta's CDN, which tests cannot reach.
    page.route("https://scontent.sandbox.fbcdn.net/**", lambda route: route.fulfill(body=PIXEL, content_type="image/svg+xml"))
    try:
        log_in(tab)
        tab.goto("/admin/meta-ads/campaigns/new")
        page.get_by_label("Ad account").select_option(label="Acme Kitchens EU (EUR)")
        page.get_by_label("Name").fill(f"Leads – Winter {size}")
        page.get_by_label("Objective").select_option("OUTCOME_LEADS")
        page.get_by_label("Daily budget").fill("50")
        page.get_by_role("button", name="Create campaign").click()
        expect(page.locator("#daily_budget-error")).to_have_text("The minimum budget is 1 EUR.")
        expect(page.get_by_role("alert")).to_contain_text("Your Budget Is Too Low")
        assert not tab.has_horizontal_overflow()
        tab.screenshot(f"ads-campaign-refused-{size}")

        page.get_by_label("Daily budget").fill("1000")
        page.get_by_role("button", name="Check with Meta").click()
        expect(page.get_by_role("status")).to_contain_text("Meta accepts this campaign")
        tab.screenshot(f"ads-campaign-checked-{size}")

        page.get_by_role("button", name="Create campaign").click()
        expect(page.locator("main h1")).to_have_text(f"Leads – Winter {size}")
        page.get_by_role("button", name="Resume").click()
        expect(page.locator(".flash, [role=status]").first).to_contain_text("Campaign resumed")
        expect(page.locator("#writes-heading + .timeline > li")).to_have_count(2)
        assert not tab.has_horizontal_overflow()
        tab.screenshot(f"ads-campaign-detail-{size}")

        page.get_by_role("link", name="New ad set").click()
        page.get_by_label("Name").fill("Spain 25-55")
        page.get_by_label("Daily budget").fill("2500")
        page.get_by_label("Promoted Page id").fill(sandboxed_page_id(sandboxed))
        page.get_by_role("button", name="Create ad set").click()
        expect(page.locator("#daily_budget-error")).to_contain_text("campaign budget")  # ours: the campaign has one
        page.get_by_label("Daily budget").fill("")
        page.get_by_label("Promoted Page id").fill(sandboxed_page_id(sandboxed))
        assert not tab.has_horizontal_overflow()
        tab.screenshot(f"ads-adset-form-{size}")
        page.get_by_role("button", name="Create ad set").click()
        expect(page.locator("main h1")).to_have_text("Spain 25-55")
        assert not tab.has_horizontal_overflow()
        tab.screenshot(f"ads-adset-detail-{size}")

        page.get_by_role("link", name="New ad").click()
        page.get_by_label("Name").fill("Kitchens – static")
        page.get_by_label("Lead form").select_option(index=1)
        page.get_by_label("Text").fill("Get a quote for your new kitchen")
        tab.screenshot(f"ads-ad-form-{size}")
        page.get_by_role("button", name="Create ad").click()
        expect(page.locator("main h1")).to_have_text("Kitchens – static")
        expect(page.get_by_role("link", name="its leads")).to_be_visible()
        assert not tab.has_horizontal_overflow()
        tab.screenshot(f"ads-ad-detail-{size}")
        tab.assert_clean(allow=["status of 422", "status of 400"])
    finally:
        context.close()


def sandboxed_page_id(server: LiveServer) -> str:
    """The Page of the lead form the ad form offers first (active forms, by name)."""
    import sqlalchemy as sa

    from metaads.models import LeadForm
    from plugins.core.extensions import db

    first = sa.select(LeadForm.page_id).where(LeadForm.status == "ACTIVE").order_by(LeadForm.name).limit(1)
    return str(server.with_db(lambda: db.session.scalar(first)))
