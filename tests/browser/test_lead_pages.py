"""What the review of every lead page at 1366 and 390 px found: names instead of ids, Sync
buttons, bulk changes that say what they did lead by lead, a test lead that says what it is, and
tables that stay readable on a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_NAME, LiveServer, Tab, log_in

pytestmark = pytest.mark.browser

PAGE_NAME = "Acme Bikes Deutschland"
FORM_NAME = "Probefahrt anfragen — test ride request"


def flash(tab: Tab) -> str:
    return tab.page.locator(".flash").first.inner_text()


def test_pages_and_assignees_by_name(admin_tab: Tab, live_server: LiveServer) -> None:
    page = admin_tab.page
    admin_tab.goto("/admin/meta-ads/lead-forms")
    form_row = page.locator("main tbody tr", has_text=FORM_NAME)
    expect(form_row).to_contain_text(PAGE_NAME)
    admin_tab.goto(f"/admin/meta-ads/lead-forms/{live_server.ids['lead_form']}")
    expect(page.locator(".facts dd", has_text=PAGE_NAME)).to_be_visible()
    admin_tab.goto(f"/admin/meta-ads/leads/{live_server.ids['lead']}")
    expect(page.locator("section", has=page.get_by_role("heading", name="Source"))).to_contain_text(PAGE_NAME)
    admin_tab.goto("/admin/meta-ads/leads")
    row = page.locator("main tbody tr", has_text="José Ñúñez García")
    expect(row.locator(".col-assigned")).to_have_text(ADMIN_NAME)
    admin_tab.assert_clean()


def test_sync_buttons_on_ad_accounts_and_lead_forms(empty_tab: Tab) -> None:
    page = empty_tab.page
    empty_tab.goto("/admin/meta-ads/lead-forms")
    page.get_by_role("button", name="Sync lead forms now").click()
    page.wait_for_load_state()
    assert flash(empty_tab) == "Reading lead forms from Facebook."
    empty_tab.goto("/admin/meta-ads/accounts")
    page.get_by_role("button", name="Sync ad accounts now").click()
    page.wait_for_load_state()
    assert flash(empty_tab) == "Reading ad accounts from Facebook."
    empty_tab.assert_clean()


def test_the_export_page_names_its_filters(leads_tab: Tab, leads_server: LiveServer) -> None:
    page = leads_tab.page
    log_in(leads_tab, then="/admin/meta-ads/leads")
    page.locator("#filter-form").select_option(label=FORM_NAME)
    page.locator("#filter-assignee").select_option(label=ADMIN_NAME)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Prepare a download link").click()
    page.wait_for_url("**/admin/meta-ads/leads/exports/*")
    filters = page.locator("section", has=page.get_by_role("heading", name="Filters"))
    expect(filters.locator("dd")).to_have_text([FORM_NAME, ADMIN_NAME])
    leads_tab.assert_clean()


def test_a_bulk_change_says_which_leads_it_left_and_why(leads_tab: Tab, leads_server: LiveServer) -> None:
    from metaads.models import Lead, LeadActivity
    from metaads.models.enums import LeadStatus
    from plugins.core.extensions import db

    # Two leads of this test's own (removed after it): the other tests on this server count the
    # seeded leads and read their logs.
    names = {"Ana Fresh": LeadStatus.NEW, "Bo Bought": LeadStatus.CONVERTED}

    def add() -> None:
        for number, (name, status) in enumerate(names.items()):
            db.session.add(
                Lead(
                    meta_lead_id=f"90000000000000008{number}",
                    full_name=name,
                    status=status,
                    created_time=dt.datetime(2026, 3, 15, 8, number, tzinfo=dt.UTC),
                )
            )

    def remove() -> None:
        ids = [lead.id for lead in db.session.query(Lead).filter(Lead.full_name.in_(names))]
        db.session.query(LeadActivity).filter(LeadActivity.lead_id.in_(ids)).delete()
        db.session.query(Lead).filter(Lead.id.in_(ids)).delete()

    leads_server.with_db(add)
    try:
        change_two(leads_tab)
    finally:
        leads_server.with_db(remove)


def change_two(leads_tab: Tab) -> None:
    page = leads_tab.page
    log_in(leads_tab, then="/admin/meta-ads/leads")
    table = page.locator("main table")
    table.get_by_label("Select Ana Fresh").check()
    table.get_by_label("Select Bo Bought").check()
    page.get_by_label("Set status").select_option("contacted")
    page.get_by_role("button", name="Apply to selected").click()
    page.wait_for_load_state()
    message = page.locator(".flash-warning")
    expect(message).to_have_text("1 lead updated. 1 left as they were: Bo Bought is converted (it can become new or archived).")
    expect(page.locator("main tbody tr", has_text="Ana Fresh").locator(".badge").first).to_have_text("Contacted")
    expect(page.locator("main tbody tr", has_text="Bo Bought").locator(".badge").first).to_have_text("Converted")
    leads_tab.screenshot("leads-bulk-partly")
    leads_tab.assert_clean()


def test_a_test_lead_says_what_it_is(leads_tab: Tab, leads_server: LiveServer) -> None:
    from metaads.models import Lead
    from plugins.core.extensions import db

    def add_test_lead() -> int:
        lead = Lead(
            meta_lead_id="900000000000000077",
            full_name="<test lead: dummy data for full_name>",
            created_time=dt.datetime(2026, 3, 14, 10, 0, tzinfo=dt.UTC),
            is_test=True,
            lead_form_id=leads_server.ids["lead_form"],
            page_id="112233445566778",
        )
        db.session.add(lead)
        db.session.flush()
        return lead.id

    lead_id = leads_server.with_db(add_test_lead)
    log_in(leads_tab)
    leads_tab.goto(f"/admin/meta-ads/leads/{lead_id}")
    note = leads_tab.page.locator("#test-lead-note")
    expect(note).to_contain_text("A test lead, sent with “Send a test lead”")
    expect(note.get_by_role("link", name="its form's page")).to_have_attribute(
        "href", f"/admin/meta-ads/lead-forms/{leads_server.ids['lead_form']}#test-lead"
    )
    leads_tab.assert_clean()


@pytest.mark.parametrize(
    ("path_key", "table"),
    [
        ("lead_form", ".questions-table"),
        ("/admin/socials/connections", ".stack-table"),
        ("/admin/meta-ads/pipeline", ".stack-table"),
    ],
)
def test_tables_read_on_a_phone_without_scrolling_sideways(
    mobile_tab: Tab, live_server: LiveServer, path_key: str, table: str
) -> None:
    path = f"/admin/meta-ads/lead-forms/{live_server.ids['lead_form']}" if path_key == "lead_form" else path_key
    mobile_tab.goto(path)
    tables = mobile_tab.page.locator(table)
    expect(tables.first).to_be_visible()
    for index in range(tables.count()):
        wrap = tables.nth(index).locator("xpath=..")
        assert wrap.evaluate("box => box.scrollWidth <= box.clientWidth + 1"), (path, index)
    assert not mobile_tab.has_horizontal_overflow(), path
    mobile_tab.screenshot(f"phone-{path.strip('/').replace('/', '-')}")
    mobile_tab.assert_clean()
