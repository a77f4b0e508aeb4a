"""Lead management in a real browser, as a sales admin works: log in, filter, open a lead and
take it new → contacted → qualified → converted, note and assign it, change two leads at once,
export what the filters show and read the file, look at a form's questions, erase a lead."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, Tab, log_in

pytestmark = pytest.mark.browser

LEADS = "/admin/meta-ads/leads"


def flash(tab: Tab) -> str:
    return tab.page.locator(".flash").first.inner_text()


def test_filter_open_and_work_a_lead_through_to_converted(leads_tab: Tab, leads_server: LiveServer) -> None:
    page = leads_tab.page
    log_in(leads_tab, then=LEADS)
    assert urlsplit(page.url).path == LEADS
    page.locator(".tabs").get_by_role("link", name=re.compile(r"^New")).click()
    page.wait_for_load_state()
    page.get_by_label("Search").fill("Zoë")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    # The filter form carries the list's sort (its menu, shown on phones, is part of the form).
    expected = {"q": ["Zoë"], "status": ["new"], "sort": ["-created_time"], "limit": ["50"]}
    assert parse_qs(urlsplit(page.url).query) == expected
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(1)
    expect(page.locator('.tabs a[aria-current="page"]')).to_have_text(re.compile(r"New\s+1"))
    expect(page.locator("main .count")).to_have_text("1")
    leads_tab.screenshot("leads-filtered")

    rows.first.get_by_role("link", name="Zoë Müller-Lüdenscheid").click()
    page.wait_for_url(f"**{LEADS}/{leads_server.ids['lead']}")
    status = page.locator("section", has=page.get_by_role("heading", name="Status"))
    # Keyboard only for the first step: the buttons are real buttons in real forms.
    status.get_by_role("button", name="Mark as contacted").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert flash(leads_tab) == "Status: contacted."
    expect(page.locator(".page-header .badge")).to_have_text("Contacted")
    status.get_by_role("button", name="Mark as qualified").click()
    page.wait_for_load_state()
    expect(page.locator(".page-header .badge")).to_have_text("Qualified")
    expect(status).to_contain_text("Converting links the lead to a Person")
    status.get_by_role("button", name="Convert to customer").click()
    page.wait_for_load_state()
    assert flash(leads_tab) == "Converted. Linked to a Person."
    expect(page.locator(".page-header .badge")).to_have_text("Converted")
    expect(status.get_by_role("button", name="Archive")).to_be_visible()

    page.get_by_label("Add a note").fill("Test ride booked for Saturday 10:00 in Köln-Ehrenfeld.")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_load_state()
    assert flash(leads_tab) == "Note added."
    notes = page.locator("section", has=page.get_by_role("heading", name="Notes"))
    expect(notes.locator(".prose")).to_contain_text("UTC · Ada Lovelace\nTest ride booked for Saturday 10:00 in Köln-Ehrenfeld.")

    page.get_by_label("Assign to").select_option(label="Grace Hopper")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert flash(leads_tab) == "Assigned to Grace Hopper."
    followup = page.locator("section", has=page.get_by_role("heading", name="Follow-up"))
    expect(followup.locator("dd").first).to_have_text("Grace Hopper")
    expect(followup).not_to_contain_text("Not yet")  # contacted and converted times are set

    timeline = page.locator(".timeline li")
    expect(timeline).to_have_count(5)
    expect(timeline.nth(0)).to_contain_text("Assigned to Grace Hopper")
    expect(timeline.nth(1)).to_contain_text("Note added")
    expect(timeline.nth(2)).to_contain_text("Converted: qualified → converted")
    expect(timeline.nth(4)).to_contain_text("Status changed: new → contacted")
    expect(timeline.nth(4)).to_contain_text("Ada Lovelace")
    leads_tab.screenshot("lead-workflow-converted")

    # A step the workflow does not allow is refused with the reason, not an error page.
    refused = page.request.post(
        f"{leads_server.url}{LEADS}/{leads_server.ids['lead']}",
        form={"csrf_token": page.locator('input[name="csrf_token"]').first.get_attribute("value") or "", "status": "new"},
    )
    assert refused.ok and "Allowed next: qualified, archived." in refused.text()  # reopen, or archive
    leads_tab.assert_clean()


def test_bulk_change_two_leads(leads_tab: Tab) -> None:
    page = leads_tab.page
    log_in(leads_tab, then=LEADS)
    table = page.locator("main table")
    select_all = table.get_by_label("Select every lead on this page")
    expect(select_all).to_be_visible()  # shown by platform.js
    select_all.check()
    expect(page.locator(".bulk-selected")).to_have_text("6 leads selected:")
    select_all.uncheck()
    table.get_by_label("Select José Ñúñez García").check()
    table.get_by_label("Select Σοφία Παπαδοπούλου").check()
    expect(page.locator(".bulk-selected")).to_have_text("2 leads selected:")
    expect(select_all).to_have_js_property("indeterminate", True)
    page.get_by_label("Set status").select_option("disqualified")
    page.locator(".bulk-bar").get_by_label("Assign to").select_option(label="Ada Lovelace")
    page.get_by_role("button", name="Apply to selected").click()
    page.wait_for_load_state()
    assert flash(leads_tab) == "2 leads updated."
    assert urlsplit(page.url).path == LEADS
    for name in ("José Ñúñez García", "Σοφία Παπαδοπούλου"):
        row = page.locator("main tbody tr", has_text=name)
        expect(row.locator(".badge")).to_have_text("Disqualified")
        expect(row).to_contain_text("Ada Lovelace")
    leads_tab.screenshot("leads-bulk-changed")
    leads_tab.assert_clean()


def test_export_what_the_filters_show(leads_tab: Tab) -> None:
    page = leads_tab.page
    log_in(leads_tab, then=LEADS)
    page.get_by_label("Search").fill("example.no")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    expect(page.locator("main tbody tr")).to_have_count(1)
    page.get_by_label("For Excel (adds a byte order mark)").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    download = download_info.value
    assert re.fullmatch(r"leads-\d{8}-\d{6}\.csv", download.suggested_filename)
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    [row] = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    # The readable export: headers in words, the form's question labels, names instead of ids.
    assert row["Full name"] == "Ingrid Bjørnstad" and row["Status"] == "Converted"
    assert row["Phone"] == "'+4791234567" and row["Phone (digits)"] == "4791234567"
    assert row["Welche Modelle möchten Sie testen?"] == "City E-Bike" and row["Wann passt es Ihnen am besten?"] == "Samstag"
    assert row["Campaign"] == "Spring test rides 2026 — DE" and row["Created (UTC)"] == "2026-03-10T14:02:00Z"
    assert row["Form"] == "Probefahrt anfragen — test ride request" and "platform_id" not in row

    # The same filters as a link for later: written by a job, then downloaded from its page.
    page.get_by_role("button", name="Prepare a download link").click()
    page.wait_for_url("**/admin/meta-ads/leads/exports/*")
    expect(page.locator(".page-header .badge")).to_have_text("Ready")
    expect(page.locator("main")).to_contain_text("1 lead.")
    link = page.get_by_label("Link (valid 24 hours)").input_value()
    assert "/admin/meta-ads/downloads/" in link
    leads_tab.screenshot("lead-export-link")
    with page.expect_download() as again:
        page.get_by_role("link", name="Download CSV").click()
    assert "Ingrid Bjørnstad" in Path(again.value.path()).read_bytes().decode("utf-8-sig")
    leads_tab.assert_clean()


def test_a_forms_questions(leads_tab: Tab, leads_server: LiveServer) -> None:
    page = leads_tab.page
    log_in(leads_tab, then=LEADS)
    page.locator(".mainnav").get_by_role("link", name="Lead forms", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Probefahrt anfragen — test ride request").click()
    page.wait_for_url(f"**/admin/meta-ads/lead-forms/{leads_server.ids['lead_form']}")
    questions = page.locator("section", has=page.get_by_role("heading", name="Questions"))
    expect(questions.locator("tbody tr")).to_have_count(6)
    expect(questions.locator("thead th")).to_have_text(["Question", "Type", "Options"])
    expect(questions.locator("tbody tr").nth(3)).to_contain_text("Welche Modelle möchten Sie testen?")
    expect(page.locator("main")).to_contain_text("https://acme.example/datenschutz")
    leads_tab.screenshot("lead-form-questions")
    page.get_by_role("link", name="View its leads").click()
    page.wait_for_load_state()
    assert parse_qs(urlsplit(page.url).query) == {"lead_form_id": [str(leads_server.ids["lead_form"])]}
    expect(page.locator("main tbody tr")).to_have_count(6)
    leads_tab.assert_clean()


def test_erase_a_leads_personal_data_after_confirming(leads_tab: Tab) -> None:
    page = leads_tab.page
    log_in(leads_tab, then=LEADS)
    page.get_by_role("link", name="Maximilian Mustermann-Schwarzenberger").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Delete personal data…").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete Maximilian Mustermann-Schwarzenberger's personal data?")
    leads_tab.screenshot("lead-erase-confirm")
    # The browser will not send the form without a reason: the log promises to say why.
    page.get_by_role("button", name="Delete personal data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete Maximilian Mustermann-Schwarzenberger's personal data?")
    page.get_by_label("The person withdrew consent").check()
    page.get_by_role("button", name="Delete personal data").click()
    page.wait_for_load_state()
    assert flash(leads_tab) == "Personal data deleted. The lead's source and status are kept."
    expect(page.get_by_role("heading", level=1)).to_have_text("Erased lead")
    expect(page.locator("main")).not_to_contain_text("sehr-lange-firmenbezeichnung")
    expect(page.locator(".timeline li").first).to_contain_text("Personal data deleted (consent withdrawn)")
    leads_tab.screenshot("lead-erased")
    leads_tab.assert_clean()
