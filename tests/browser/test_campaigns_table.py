"""The campaigns, ad sets and ads table in headless Chromium against the sandbox (Ads Manager as
the anchor): delivery with its reason, totals per currency, sorting, the date range picker, the
inline budget edit, bulk pause with a per-row result and one-click retry of the failure; at 1366
and 390 px, screenshots to look at."""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect

from metaads.sandbox import SandboxState, create_sandbox_app, serve_in_thread
from tests.browser.conftest import ADMIN_EMAIL, ADMIN_NAME, ADMIN_PASSWORD, LiveServer, Tab, build_app, log_in, open_tab, serve
from tests.metaads.conftest import APP_ID, APP_SECRET

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
NARROW = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[LiveServer, SandboxState]]:
    """The app on a live server, connected to the sandbox's business (campaigns, ad sets, ads and
    their insights synced), plus a campaign in the disabled USD account."""
    from metaads.insights.sync import sync_insights
    from metaads.models import AdAccount, AdCampaign
    from plugins.accounts.service import create_admin
    from plugins.core.extensions import db
    from plugins.socials.connect import connect_with_token

    sandbox = create_sandbox_app({"APP_ID": APP_ID, "APP_SECRET": APP_SECRET})
    sandbox_url, stop = serve_in_thread(sandbox)
    graph: SandboxState = sandbox.extensions["sandbox"]
    app = build_app(
        tmp_path_factory.mktemp("campaigns-table") / "app.db",
        FACEBOOK_GRAPH_URL=sandbox_url.rstrip("/"),
        FACEBOOK_CLIENT_ID=APP_ID,
        FACEBOOK_CLIENT_SECRET=APP_SECRET,
        METAADS_GRAPH_MAX_RETRIES=0,
        METAADS_INSIGHTS_POLL_SECONDS=0.0,
    )
    with app.app_context():
        create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, name=ADMIN_NAME)
        connect_with_token(graph.user_token)
        sync_insights()
        usd = db.session.execute(sa.select(AdAccount).where(AdAccount.currency == "USD")).scalar_one()
        usd.account_status = 2
        db.session.add(
            AdCampaign(
                meta_campaign_id="990001",
                name="US – Legacy leads",
                ad_account_id=usd.id,
                objective="OUTCOME_LEADS",
                status="ACTIVE",
                effective_status="ACTIVE",
                daily_budget=2500,
            )
        )
        db.session.commit()
    try:
        for server in serve(app, {}):
            yield server, graph
    finally:
        stop()


def campaign_ids(server: LiveServer) -> dict[str, int]:
    from metaads.models import AdCampaign
    from plugins.core.extensions import db

    def read() -> dict[str, int]:
        return dict(db.session.execute(sa.select(AdCampaign.name, AdCampaign.id)).all())

    return t.cast(dict[str, int], server.with_db(read))


def meta_id(server: LiveServer, name: str) -> str:
    from metaads.models import AdCampaign
    from plugins.core.extensions import db

    return t.cast(
        str,
        server.with_db(
            lambda: db.session.execute(sa.select(AdCampaign.meta_campaign_id).where(AdCampaign.name == name)).scalar_one()
        ),
    )


def row(tab: Tab, name: str) -> t.Any:
    return tab.page.locator("table.ads-table tbody tr").filter(has=tab.page.get_by_role("link", name=name, exact=True))


def test_the_campaigns_table_at_1366(
    browser: Browser,
    screenshots: Path,
    sandboxed: tuple[LiveServer, SandboxState],
) -> None:
    server, _ = sandboxed
    context, tab = open_tab(browser, server, screenshots, viewport=WIDE)
    page = tab.page
    try:
        log_in(tab)
        tab.goto("/admin/meta-ads/campaigns")
        expect(page.get_by_role("heading", name=re.compile("^Campaigns"))).to_be_visible()
        expect(page.locator(".range-picker summary")).to_contain_text("Last 30 days")
        # Delivery with its reason; names, not ids.
        expect(row(tab, "US – Legacy leads").locator(".col-delivery")).to_contain_text("Not delivering")
        expect(row(tab, "US – Legacy leads").locator(".col-delivery")).to_contain_text("Account disabled")
        expect(row(tab, "Leads – Summer 2026").locator(".col-delivery")).to_contain_text("Archived")
        expect(row(tab, "Leads – Solar quotes").locator(".col-budget")).to_have_text("Using ad set budget")
        expect(row(tab, "Leads – Kitchens Q4").locator(".col-budget summary")).to_contain_text("€50.00")
        # One totals row per currency, never added together.
        totals = page.locator("table.ads-table tfoot tr")
        expect(totals).to_have_count(3)
        expect(totals.nth(0)).to_contain_text("Total · EUR")
        expect(totals.nth(1)).to_contain_text("Total · JPY")
        expect(totals.nth(1)).to_contain_text("¥")
        tab.screenshot("campaigns-table-1366")

        # Sorting by amount spent, biggest first, on the server.
        page.locator("thead").get_by_role("link", name="Amount spent").click()
        expect(page).to_have_url(re.compile(r"sort=-spend"))
        expect(page.locator("thead th[aria-sort='descending']")).to_contain_text("Amount spent")
        names = page.locator("table.ads-table tbody .row-link").all_inner_texts()
        listed = tab.page.request.get(
            server.url + "/admin/meta-ads/campaigns?sort=-spend&date_preset=last_30d", headers={"Accept": "application/json"}
        ).json()
        assert names == [c["name"] for c in listed["campaigns"]]

        # The date range picker: a preset, then a custom range; the sort is kept.
        page.locator(".range-picker summary").click()
        tab.screenshot("campaigns-range-picker-1366")
        page.locator(".range-presets").get_by_role("link", name="Last 7 days").click()
        expect(page).to_have_url(re.compile(r"date_preset=last_7d"))
        expect(page).to_have_url(re.compile(r"sort=-spend"))
        expect(page.locator(".range-picker summary")).to_contain_text("Last 7 days")
        page.locator(".range-picker summary").click()
        page.get_by_label("From", exact=True).fill("2026-01-01")
        page.get_by_label("To", exact=True).fill("2026-01-31")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator(".range-picker summary")).to_contain_text("2026-01-01 – 2026-01-31")
        tab.goto("/admin/meta-ads/campaigns?date_preset=last_2d")
        expect(page.locator(".range-error")).to_contain_text("could not be used")
        tab.assert_clean()
    finally:
        context.close()


def test_inline_budget_and_bulk_pause_with_a_retry(
    browser: Browser,
    screenshots: Path,
    sandboxed: tuple[LiveServer, SandboxState],
) -> None:
    server, graph = sandboxed
    context, tab = open_tab(browser, server, screenshots, viewport=WIDE)
    page = tab.page
    try:
        log_in(tab)
        tab.goto("/admin/meta-ads/campaigns?q=Leads")
        # Inline budget edit, through the write path, back to the same list.
        kitchens = row(tab, "Leads – Kitchens Q4")
        kitchens.locator(".col-budget summary").click()
        kitchens.get_by_label("Daily budget, in minor units").fill("6000")
        tab.screenshot("campaigns-inline-budget-1366")
        kitchens.get_by_role("button", name="Save at Meta").click()
        expect(page.locator(".flash-success")).to_contain_text("Campaign saved at Meta.")
        expect(page).to_have_url(re.compile(r"campaigns\?q=Leads"))
        expect(row(tab, "Leads – Kitchens Q4").locator(".col-budget summary")).to_contain_text("€60.00")

        # Bulk pause: one of three refused by Meta, the others done; retry the failure.
        graph.add_fault(kind="permission", path=f"^/{meta_id(server, 'Leads – Kitchens Q4')}$", method="POST", times=1)
        for name in ("Leads – Kitchens Q4", "Leads – Solar quotes", "Leads – Retargeting"):
            row(tab, name).get_by_role("checkbox").check()
        expect(page.locator(".bulk-selected")).to_have_text("3 campaigns selected:")
        page.locator(".bulk-bar").get_by_role("button", name="Pause").click()
        results = page.locator(".bulk-results")
        expect(results).to_contain_text("2 of 3 done")
        expect(results.locator("tr", has_text="Leads – Kitchens Q4")).to_contain_text("Failed")
        expect(results.locator("tr", has_text="Leads – Solar quotes")).to_contain_text("Done")
        expect(row(tab, "Leads – Solar quotes").locator(".col-delivery")).to_contain_text("Paused")
        tab.screenshot("campaigns-bulk-results-1366")
        results.get_by_role("button", name="Retry the 1 not done").click()
        expect(page.locator(".bulk-results")).to_contain_text("1 of 1 done")
        expect(row(tab, "Leads – Kitchens Q4").locator(".col-delivery")).to_contain_text("Paused")
        assert graph.store.objects[meta_id(server, "Leads – Kitchens Q4")]["status"] == "PAUSED"
        tab.assert_clean()
    finally:
        context.close()


def test_a_campaigns_ad_sets_and_an_ad_sets_ads_use_the_same_table(
    browser: Browser,
    screenshots: Path,
    sandboxed: tuple[LiveServer, SandboxState],
) -> None:
    server, _ = sandboxed
    context, tab = open_tab(browser, server, screenshots, viewport=WIDE)
    page = tab.page
    try:
        log_in(tab)
        tab.goto("/admin/meta-ads/campaigns?q=Solar")
        row(tab, "Leads – Solar quotes").get_by_role("link", name="Ad sets").click()
        expect(page.locator(".breadcrumbs")).to_contain_text("Leads – Solar quotes")
        expect(page.locator("table.ads-table tbody tr")).to_have_count(2)
        expect(row(tab, "Solar – Madrid").locator(".col-budget summary")).to_contain_text("€25.00")
        tab.screenshot("adsets-table-1366")
        row(tab, "Solar – Madrid").get_by_role("link", name="Ads").click()
        expect(page.locator(".breadcrumbs")).to_contain_text("Solar – Madrid")
        expect(row(tab, "Solar – Static")).to_be_visible()
        tab.screenshot("ads-table-1366")
        tab.assert_clean()
    finally:
        context.close()


def test_the_table_at_390_px_is_cards_without_page_overflow(
    browser: Browser,
    screenshots: Path,
    sandboxed: tuple[LiveServer, SandboxState],
) -> None:
    server, _ = sandboxed
    context, tab = open_tab(browser, server, screenshots, viewport=NARROW)
    page = tab.page
    try:
        log_in(tab)
        tab.goto("/admin/meta-ads/campaigns")
        expect(row(tab, "Leads – Kitchens Q4")).to_be_visible()
        assert not tab.has_horizontal_overflow()
        tab.screenshot("campaigns-table-390")
        page.screenshot(path=str(screenshots / "campaigns-table-390-top.png"))
        page.locator(".range-picker summary").click()
        assert not tab.has_horizontal_overflow()
        tab.screenshot("campaigns-range-picker-390")
        page.locator(".range-picker summary").click()
        row(tab, "Leads – Kitchens Q4").get_by_role("checkbox").check()
        row(tab, "Leads – Kitchens Q4").locator(".col-budget summary").click()
        assert not tab.has_horizontal_overflow()
        tab.screenshot("campaigns-selected-390")
        page.screenshot(path=str(screenshots / "campaigns-selected-390-top.png"))
        tab.goto(f"/admin/meta-ads/adsets?campaign_id={campaign_ids(server)['Leads – Solar quotes']}")
        assert not tab.has_horizontal_overflow()
        tab.screenshot("adsets-table-390")
        tab.assert_clean()
    finally:
        context.close()
