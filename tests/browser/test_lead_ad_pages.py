"""The "New lead ad" page, the ad page's preview and lead form, Meta's own preview and the ad set's
summary in headless Chromium against the sandbox, at 1366 and 390 px: a lead ad started from a
lead form, checked with Meta, refused at its ad set (budget under Meta's minimum), fixed and
retried without a second campaign; screenshots to look at.

Meta's CDN and www.facebook.com are not reachable from tests: the browser answers for them
(an image, a stand-in preview page), so what the page allows and shows is what Meta would fill.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, expect

from metaads.sandbox import SandboxState, create_sandbox_app, serve_in_thread
from tests.browser.conftest import (
    ADMIN_EMAIL,
    ADMIN_NAME,
    ADMIN_PASSWORD,
    LiveServer,
    Tab,
    build_app,
    log_in,
    open_tab,
    serve,
)
from tests.metaads.conftest import APP_ID, APP_SECRET

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
NARROW = {"width": 390, "height": 844}
#: What Meta's CDN answers for a creative's image here: a kitchen-coloured picture.
IMAGE = b"""<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="628" viewBox="0 0 1200 628">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#d9c7a7"/>
<stop offset="1" stop-color="#6f8f7f"/></linearGradient></defs><rect width="1200" height="628" fill="url(#g)"/>
<rect x="120" y="330" width="960" height="200" fill="#f4efe6"/><rect x="160" y="360" width="260" height="140" fill="#c9b28d"/>
<rect x="470" y="360" width="260" height="140" fill="#c9b28d"/><rect x="780" y="360" width="260" height="140" fill="#c9b28d"/>
</svg>"""
#: What www.facebook.com answers for the preview iframe here.
PREVIEW = b"""<!doctype html><html><body style="margin:0;font:14px sans-serif;background:#fff">
<div style="padding:12px;border-bottom:1px solid #ddd"><b>Acme Kitchens</b><br><small>Sponsored</small></div>
<div style="padding:12px">Meta's preview of the ad renders here.</div></body></html>"""


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[LiveServer, SandboxState]]:
    """The app on a live server, connected to the sandbox's business (its ads synced)."""
    from plugins.accounts.service import create_admin
    from plugins.socials.connect import connect_with_token

    sandbox = create_sandbox_app({"APP_ID": APP_ID, "APP_SECRET": APP_SECRET})
    sandbox_url, stop = serve_in_thread(sandbox)
    graph: SandboxState = sandbox.extensions["sandbox"]
    app = build_app(
        tmp_path_factory.mktemp("lead-ad-pages") / "app.db",
        FACEBOOK_GRAPH_URL=sandbox_url.rstrip("/"),
        FACEBOOK_CLIENT_ID=APP_ID,
        FACEBOOK_CLIENT_SECRET=APP_SECRET,
        METAADS_GRAPH_MAX_RETRIES=0,
    )
    with app.app_context():
        create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, name=ADMIN_NAME)
        connect_with_token(graph.user_token)
    try:
        for server in serve(app, {}):
            yield server, graph
    finally:
        stop()


def answer_for_meta(tab: Tab) -> None:
    def image(route: Route) -> None:
        route.fulfill(status=200, body=IMAGE, content_type="image/svg+xml")

    def preview(route: Route) -> None:
        route.fulfill(status=200, body=PREVIEW, content_type="text/html")

    tab.page.route("https://scontent.sandbox.fbcdn.net/**", image)
    tab.page.route("https://www.facebook.com/**", preview)


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1366", "390"])
def test_a_lead_ad_from_a_lead_form(
    browser: Browser,
    screenshots: Path,
    sandboxed: tuple[LiveServer, SandboxState],
    viewport: dict[str, int],
) -> None:
    server, graph = sandboxed
    size = viewport["width"]
    name = f"Kitchens – Winter {size}"
    context, tab = open_tab(browser, server, screenshots, viewport=viewport)
    answer_for_meta(tab)
    page = tab.page
    try:
        log_in(tab)
        tab.goto("/admin/meta-ads/campaigns")
        expect(page.get_by_role("link", name="New lead ad")).to_have_attribute("href", "/admin/meta-ads/lead-ads/new")
        tab.goto("/admin/meta-ads/lead-forms")
        assert not tab.has_horizontal_overflow()
        tab.screenshot(f"lead-forms-create-lead-ad-{size}")
        row = page.get_by_role("row").filter(has_text="Contact us – Kitchens")
        row.get_by_role("link", name="Create lead ad").click()
        expect(page.locator("main h1")).to_have_text("New lead ad")
        expect(page.get_by_label("Lead form")).to_have_value(str(lead_form_id(server, "Contact us – Kitchens")))
        page.get_by_label("Ad account").select_option(label="Acme Kitchens EU (EUR)")
        expect(page.locator("[data-currency-of]")).to_have_text("EUR")
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Daily budget").fill("0.50")
        page.get_by_label("Countries").fill("Spain, Portugal")
        page.get_by_label("Youngest age").fill("25")
        page.get_by_label("Oldest age").fill("55")
        page.get_by_label("Headline").fill("Your new kitchen, planned for free")
        page.get_by_label("Text").fill("Tell us about your kitchen and get a quote within two days.")
        page.get_by_label("Image URL").fill("https://acme.example/kitchen.jpg")
        page.get_by_label("Button").select_option("GET_QUOTE")
        assert not tab.has_horizontal_overflow()
        tab.screenshot(f"lead-ad-new-{size}")

        page.get_by_role("button", name="Check with Meta").click()
        expect(page.locator(".callout-success")).to_contain_text("Meta would accept this lead ad")
        expect(page.locator(".step-unchecked")).to_contain_text("Meta judges an ad set once its campaign exists")
        tab.screenshot(f"lead-ad-checked-{size}")

        page.get_by_role("button", name="Create (paused)").click()
        expect(page.locator("#daily_budget_amount-error")).to_have_text("The minimum budget is 1 EUR.")
        expect(page.locator(".step-created")).to_contain_text(name)
        expect(page.locator(".step-not_started")).to_contain_text("Ad")
        expect(page.get_by_role("button", name="Retry from the ad set")).to_be_visible()
        assert not tab.has_horizontal_overflow()
        tab.screenshot(f"lead-ad-refused-{size}")

        page.get_by_label("Daily budget").fill("20")
        page.get_by_role("button", name="Retry from the ad set").click()
        expect(page.locator("main h1")).to_have_text(f"{name} – Ad")
        expect(page.locator(".flash")).to_contain_text("Lead ad created at Meta, paused")
        expect(page.locator(".ad-mock")).to_contain_text("Tell us about your kitchen")
        expect(page.locator(".ad-mock-cta")).to_have_text("Get quote")
        expect(page.get_by_role("link", name="View its leads")).to_be_visible()
        page.wait_for_function("document.querySelector('.ad-mock-image').naturalWidth > 0")
        assert not tab.has_horizontal_overflow()
        tab.screenshot(f"lead-ad-detail-{size}")
        assert len([c for c in graph.store.children_of(account_meta_id(graph), "campaign") if c["name"] == name]) == 1

        page.get_by_role("link", name="Instagram Feed").click()
        expect(page.locator("main h1")).to_have_text("Meta's preview")
        expect(page.frame_locator("iframe.meta-preview").locator("body")).to_contain_text("Meta's preview of the ad")
        assert not tab.has_horizontal_overflow()
        tab.screenshot(f"lead-ad-meta-preview-{size}")

        page.get_by_role("link", name=f"{name} – ES, PT 25-55").first.click()
        expect(page.locator("main h1")).to_have_text(f"{name} – ES, PT 25-55")
        summary = page.locator("#summary-heading + *, section[aria-labelledby=summary-heading]").first
        expect(summary).to_contain_text("Spain, Portugal")
        expect(summary).to_contain_text("25–55")
        expect(summary).to_contain_text("Instant form")
        expect(summary).to_contain_text("€20.00 a day")
        assert not tab.has_horizontal_overflow()
        tab.screenshot(f"lead-ad-adset-summary-{size}")
        tab.assert_clean(allow=["status of 422", "status of 400"])
    finally:
        context.close()


def lead_form_id(server: LiveServer, name: str) -> int:
    import sqlalchemy as sa

    from metaads.models import LeadForm
    from plugins.core.extensions import db

    return int(server.with_db(lambda: db.session.scalar(sa.select(LeadForm.id).where(LeadForm.name == name))))


def account_meta_id(graph: SandboxState) -> str:
    return graph.seed.ad_accounts["EUR"]
