"""The admin pages in a real browser: login, every page of the nav, a detail page of each kind,
mobile widths, empty states, errors, and no Content Security Policy violation anywhere."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect
from werkzeug.exceptions import default_exceptions

from tests.browser.conftest import ADMIN_EMAIL, ADMIN_NAME, ADMIN_PASSWORD, LOGOUT_EMAIL, LiveServer, Tab, log_in, open_tab

pytestmark = pytest.mark.browser

#: Chromium logs a console error for every non-2xx document; expected on error pages.
HTTP_ERROR_LOG = "Failed to load resource: the server responded with a status of"

#: (nav label, path, h1 text, texts the page must show, screenshot name)
NAV_PAGES = [
    (
        "Dashboard",
        "/admin/meta-ads/",
        "Dashboard",
        ["Acme Bikes EU", "Acme Bikes Japan", "Funnel per campaign", "Lead forms"],
        "dashboard",
    ),
    (
        "Leads",
        "/admin/meta-ads/leads",
        "Leads",
        ["Zoë Müller-Lüdenscheid", "Σοφία Παπαδοπούλου", "Spring test rides 2026 — DE"],
        "leads",
    ),
    (
        "Lead forms",
        "/admin/meta-ads/lead-forms",
        "Lead forms",
        ["Probefahrt anfragen — test ride request", "Newsletter sign-up"],
        "lead-forms",
    ),
    (
        "Campaigns",
        "/admin/meta-ads/campaigns",
        "Campaigns",
        ["Spring test rides 2026 — DE", "Tokyo launch", "154,321"],
        "campaigns",
    ),
    ("Ad accounts", "/admin/meta-ads/accounts", "Ad accounts", ["Acme Bikes EU", "act_1234567890", "1,234.56"], "ad-accounts"),
    ("Pipeline", "/admin/meta-ads/pipeline", "Lead pipeline", ["Webhook inbox", "Needs attention", "Sync runs"], "pipeline"),
    ("Conversions API", "/admin/meta-ads/conversions", "Conversions API for CRM", ["Dataset"], "conversions"),
    (
        "Connections",
        "/admin/socials/connections",
        "Connections",
        ["Acme Marketing", "Acme Bikes Deutschland", "pages_manage_metadata"],
        "connections",
    ),
    ("Persons", "/admin/persons/", "Persons", ["Zoë Müller-Lüdenscheid", "José Ñúñez García"], "persons"),
]

#: Nav pages that hold a settings form rather than a table.
FORM_PAGES = {"/admin/meta-ads/conversions"}


def h1(tab: Tab) -> str:
    return tab.page.locator("main h1").first.inner_text()


# --- logging in and out --------------------------------------------------------------------


def test_anonymous_visit_redirects_to_login(anon_tab: Tab) -> None:
    anon_tab.goto("/admin/meta-ads/leads")
    url = urlsplit(anon_tab.page.url)
    assert url.path == "/login"
    assert parse_qs(url.query)["next"] == ["/admin/meta-ads/leads"]
    expect(anon_tab.page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(anon_tab.page.locator(".mainnav")).to_have_count(0)
    expect(anon_tab.page.get_by_label("Email")).to_be_focused()
    anon_tab.screenshot("login")
    anon_tab.assert_clean()


def test_wrong_password_shows_the_error(anon_tab: Tab) -> None:
    anon_tab.goto("/login")
    anon_tab.page.get_by_label("Email").fill(ADMIN_EMAIL)
    anon_tab.page.get_by_label("Password").fill("not the password")
    with anon_tab.page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as answer:
        anon_tab.page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 401
    expect(anon_tab.page.locator(".flash-error")).to_have_text("That email and password do not match an active account.")
    expect(anon_tab.page.get_by_label("Email")).to_have_value(ADMIN_EMAIL)
    expect(anon_tab.page.get_by_label("Password")).to_have_value("")
    assert urlsplit(anon_tab.page.url).path == "/login"
    anon_tab.screenshot("login-error")
    anon_tab.assert_clean(allow=[HTTP_ERROR_LOG])


def test_login_through_the_form_with_the_keyboard_lands_on_the_page_asked_for(anon_tab: Tab) -> None:
    anon_tab.goto("/admin/meta-ads/campaigns")
    anon_tab.page.keyboard.type(ADMIN_EMAIL)  # the email field has focus on arrival
    anon_tab.page.keyboard.press("Tab")
    anon_tab.page.keyboard.type(ADMIN_PASSWORD)
    anon_tab.page.keyboard.press("Enter")
    anon_tab.page.wait_for_url("**/admin/meta-ads/campaigns")
    assert h1(anon_tab).startswith("Campaigns")
    expect(anon_tab.page.locator(".who")).to_have_text(ADMIN_NAME)
    anon_tab.assert_clean()


def test_log_out(browser: Browser, live_server: LiveServer, screenshots: Path) -> None:
    context, tab = open_tab(browser, live_server, screenshots)
    try:
        log_in(tab, LOGOUT_EMAIL)
        assert h1(tab).startswith("Dashboard")
        tab.page.get_by_role("button", name="Log out").click()
        tab.page.wait_for_url("**/login")
        expect(tab.page.locator(".flash-info")).to_have_text("You are logged out.")
        tab.screenshot("logged-out")
        tab.goto("/admin/meta-ads/leads")
        assert urlsplit(tab.page.url).path == "/login"
        tab.assert_clean()
    finally:
        context.close()


# --- every page in the nav -----------------------------------------------------------------


def test_nav_lists_every_section(admin_tab: Tab) -> None:
    admin_tab.goto("/admin/meta-ads/leads")
    labels = admin_tab.page.locator(".mainnav a").all_inner_texts()
    assert labels == [label for label, *_ in NAV_PAGES]
    admin_tab.assert_clean()


@pytest.mark.parametrize(("label", "path", "heading", "texts", "shot"), NAV_PAGES, ids=[p[-1] for p in NAV_PAGES])
def test_nav_page(admin_tab: Tab, label: str, path: str, heading: str, texts: list[str], shot: str) -> None:
    admin_tab.goto("/admin/meta-ads/leads")
    admin_tab.page.locator(".mainnav").get_by_role("link", name=label, exact=True).click()
    admin_tab.page.wait_for_load_state()
    assert urlsplit(admin_tab.page.url).path == path
    assert h1(admin_tab).startswith(heading)
    current = admin_tab.page.locator('.mainnav a[aria-current="page"]')
    expect(current).to_have_count(1)
    expect(current).to_have_text(label)
    main = admin_tab.page.locator("main")
    for text in texts:
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    if path not in FORM_PAGES:
        assert admin_tab.page.locator("main tbody tr").count() >= 1
    admin_tab.screenshot(shot)
    admin_tab.assert_clean()


def test_leads_list_columns_and_badges(admin_tab: Tab) -> None:
    admin_tab.page.set_viewport_size({"width": 1366, "height": 800})
    admin_tab.goto("/admin/meta-ads/leads")
    headers = admin_tab.page.locator("main thead th").all_inner_texts()
    shown = [re.sub(r"\s+", " ", h).strip().lower() for h in headers]
    assert shown == ["name↕", "status↕", "phone", "source↕ · form↕", "ad↕", "assigned↕", "created↓"], shown
    rows = admin_tab.page.locator("main tbody tr")
    expect(rows).to_have_count(6)
    first = rows.first
    expect(first.locator("time")).to_have_attribute("title", "2026-03-14 09:26 UTC")
    expect(first).to_contain_text("zoe.mueller@example.de")
    expect(first).to_contain_text("+4915112345678")
    expect(first).to_contain_text("Facebook")
    expect(first).to_contain_text("Probefahrt anfragen")
    expect(first).to_contain_text("Spring test rides 2026 — DE")
    expect(rows.last).to_contain_text("Organic")
    expect(rows.last).to_contain_text("Unassigned")
    assert not admin_tab.page.locator("main .table-wrap").evaluate("el => el.scrollWidth > el.clientWidth"), (
        "at 1366 px every column of the leads list fits without scrolling"
    )
    for status in ["new", "contacted", "qualified", "converted", "disqualified", "archived"]:
        expect(admin_tab.page.locator(f"main .badge-{status}")).to_have_count(1)
    expect(admin_tab.page.locator("main .count")).to_have_text("6")
    expect(admin_tab.page.locator(".pagination")).to_contain_text("Showing 1–6 of 6 leads")
    # The bulk bar shows only while rows are selected, and selected rows are highlighted.
    bar = admin_tab.page.locator(".bulk-bar")
    expect(bar).to_be_hidden()
    first.locator('input[name="ids"]').check()
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("1 lead selected")
    highlighted = first.locator("td").first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert highlighted != rows.nth(1).locator("td").first.evaluate("el => getComputedStyle(el).backgroundColor")
    admin_tab.screenshot("leads-selected")
    first.locator('input[name="ids"]').uncheck()
    expect(bar).to_be_hidden()
    admin_tab.screenshot("leads")
    admin_tab.assert_clean()


def test_leads_list_sorts_by_created_and_changes_page_size(admin_tab: Tab) -> None:
    admin_tab.goto("/admin/meta-ads/leads")
    admin_tab.page.get_by_role("link", name="Created", exact=True).click()
    admin_tab.page.wait_for_load_state()
    assert parse_qs(urlsplit(admin_tab.page.url).query)["sort"] == ["created_time"]
    expect(admin_tab.page.locator("main thead th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    admin_tab.page.get_by_label("Leads per page").select_option("25")
    admin_tab.page.get_by_role("button", name="Filter").click()
    admin_tab.page.wait_for_load_state()
    assert parse_qs(urlsplit(admin_tab.page.url).query)["limit"] == ["25"]
    admin_tab.assert_clean()


def test_an_invalid_filter_is_a_message_above_the_list(admin_tab: Tab) -> None:
    admin_tab.goto("/admin/meta-ads/leads?created_after=yesterday", expect_status=400)
    expect(admin_tab.page.get_by_role("alert")).to_contain_text("These filters could not be used")
    expect(admin_tab.page.locator("main tbody tr")).to_have_count(6)
    admin_tab.screenshot("leads-invalid-filter")
    admin_tab.assert_clean(allow=[HTTP_ERROR_LOG])


def test_new_leads_notice_appears_while_the_page_is_open(admin_tab: Tab, live_server: LiveServer) -> None:
    admin_tab.goto("/admin/meta-ads/leads")
    notice = admin_tab.page.locator(".new-leads")
    expect(notice).to_be_hidden()
    # Pretend the list had 3 fewer leads when it was shown, and ask again at once.
    admin_tab.page.evaluate(
        """() => { const n = document.querySelector('.new-leads');
                   const copy = n.cloneNode(true);
                   copy.setAttribute('data-poll-count', String(Number(n.dataset.pollCount) - 3));
                   copy.setAttribute('data-poll-seconds', '0.2');
                   n.replaceWith(copy); }"""
    )
    admin_tab.page.add_script_tag(url="/static/platform.js")
    expect(notice).to_have_text("3 new leads — show")
    admin_tab.screenshot("leads-new-notice")
    admin_tab.assert_clean()


def test_clicking_anywhere_on_a_lead_row_opens_it(admin_tab: Tab, live_server: LiveServer) -> None:
    admin_tab.goto("/admin/meta-ads/leads")
    admin_tab.page.locator("main tbody tr").first.locator(".badge").click()
    admin_tab.page.wait_for_url(f"**/admin/meta-ads/leads/{live_server.ids['lead']}")
    admin_tab.assert_clean()


def test_pagination_keeps_other_query_arguments(admin_tab: Tab) -> None:
    admin_tab.goto("/admin/meta-ads/leads?limit=2&utm=keep")
    expect(admin_tab.page.locator("main tbody tr")).to_have_count(2)
    pager = admin_tab.page.locator(".pagination")
    expect(pager).to_contain_text("Showing 1–2 of 6 leads")
    expect(pager.locator('[aria-disabled="true"]')).to_have_text(re.compile("Previous"))
    pager.get_by_role("link", name="Next").click()
    admin_tab.page.wait_for_load_state()
    query = parse_qs(urlsplit(admin_tab.page.url).query)
    # Keyset paging: Next carries a cursor (fast at any depth), never an offset.
    assert (query["limit"], query["utm"], query["page"]) == (["2"], ["keep"], ["2"])
    assert "after" in query and "offset" not in query
    expect(pager).to_contain_text("Showing 3–4 of 6 leads")
    pager.get_by_role("link", name="Previous").click()
    admin_tab.page.wait_for_load_state()
    query = parse_qs(urlsplit(admin_tab.page.url).query)
    assert query["page"] == ["1"] and "before" in query
    expect(pager).to_contain_text("Showing 1–2 of 6 leads")
    admin_tab.assert_clean()


def test_persons_search(admin_tab: Tab) -> None:
    admin_tab.goto("/admin/persons/")
    admin_tab.page.get_by_label("Search by name, email or phone").fill("müller")
    admin_tab.page.get_by_role("button", name="Search").click()
    admin_tab.page.wait_for_load_state()
    assert parse_qs(urlsplit(admin_tab.page.url).query)["q"] == ["müller"]
    rows = admin_tab.page.locator("main tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Zoë Müller-Lüdenscheid")
    expect(admin_tab.page.get_by_label("Search by name, email or phone")).to_have_value("müller")

    admin_tab.page.get_by_label("Search by name, email or phone").fill("nobody-like-this")
    admin_tab.page.get_by_role("button", name="Search").click()
    admin_tab.page.wait_for_load_state()
    expect(admin_tab.page.get_by_role("heading", name="No persons match “nobody-like-this”")).to_be_visible()
    admin_tab.screenshot("persons-search-empty")
    admin_tab.page.get_by_role("link", name="Show everyone").click()
    admin_tab.page.wait_for_load_state()
    expect(admin_tab.page.locator("main tbody tr")).to_have_count(2)
    admin_tab.assert_clean()


# --- a detail page of each kind --------------------------------------------------------------


def test_lead_detail(admin_tab: Tab, live_server: LiveServer) -> None:
    admin_tab.goto("/admin/meta-ads/leads")
    admin_tab.page.get_by_role("link", name="Zoë Müller-Lüdenscheid").click()
    admin_tab.page.wait_for_url(f"**/admin/meta-ads/leads/{live_server.ids['lead']}")
    page = admin_tab.page
    assert h1(admin_tab) == "Zoë Müller-Lüdenscheid"
    expect(page.locator(".mainnav a[aria-current='page']")).to_have_text("Leads")
    expect(page.locator(".page-header .badge-new")).to_have_text("New")

    answers = page.locator(".answers")
    # Questions come out with the form's labels, answers verbatim.
    expect(answers.locator("dt", has_text="Welche Modelle möchten Sie testen?")).to_be_visible()
    multi = answers.locator("dd").nth(3).locator("li")
    expect(multi).to_have_text(["City E-Bike", "Cargo Family"])
    expect(answers).to_contain_text("Zoe.Mueller@example.de")
    expect(answers).to_contain_text("Köln-Ehrenfeld")
    # An answer to a question the form no longer lists still shows, under its key.
    expect(answers.locator("dt", has_text="Postleitzahl")).to_be_visible()
    expect(answers).to_contain_text("50823")

    source = page.locator("section", has=page.get_by_role("heading", name="Source"))
    for text in [
        "112233445566778",
        "Probefahrt anfragen",
        "Cargo bike video",
        "Berlin 25–45 cyclists",
        "Spring test rides 2026 — DE",
        "Facebook",
        "Webhook",
    ]:
        expect(source).to_contain_text(text)
    expect(source.locator("dt", has_text="Organic").locator("xpath=following-sibling::dd[1]")).to_have_text("No, from an ad")

    followup = page.locator("section", has=page.get_by_role("heading", name="Follow-up"))
    expect(followup).to_contain_text("Unassigned")
    expect(followup).to_contain_text("Not yet")
    admin_tab.screenshot("lead-detail")

    followup.get_by_role("link", name="Zoë Müller-Lüdenscheid").click()
    page.wait_for_url(f"**/admin/persons/{live_server.ids['person']}")
    assert h1(admin_tab) == "Zoë Müller-Lüdenscheid"
    expect(page.locator("main")).to_contain_text("+4915112345678")
    admin_tab.screenshot("person-detail")
    admin_tab.assert_clean()


def test_contacted_lead_shows_times_notes_and_activity(admin_tab: Tab, live_server: LiveServer) -> None:
    admin_tab.goto(f"/admin/meta-ads/leads/{live_server.ids['lead_contacted']}")
    main = admin_tab.page.locator("main")
    expect(main.locator(".page-header .badge-contacted")).to_have_text("Contacted")
    expect(main).to_contain_text("2026-03-13 18:40 UTC")
    expect(main).to_contain_text("prefers a test ride in the Hamburg store")
    expect(main.locator("dd", has_text=ADMIN_NAME).first).to_be_visible()  # the assignee by name
    expect(main.locator(".timeline li")).to_have_count(2)
    expect(main).to_contain_text("Instagram")
    admin_tab.screenshot("lead-detail-contacted")
    admin_tab.assert_clean()


def test_lead_form_detail(admin_tab: Tab, live_server: LiveServer) -> None:
    admin_tab.goto("/admin/meta-ads/lead-forms")
    admin_tab.page.get_by_role("link", name="Probefahrt anfragen — test ride request").click()
    admin_tab.page.wait_for_url(f"**/admin/meta-ads/lead-forms/{live_server.ids['lead_form']}")
    main = admin_tab.page.locator("main")
    rows = main.locator("table tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.nth(3)).to_contain_text("which_models")
    expect(rows.nth(3)).to_contain_text("Welche Modelle möchten Sie testen?")
    expect(rows.nth(3).locator("li")).to_have_count(3)
    expect(main.get_by_role("link", name="https://acme.example/datenschutz")).to_have_attribute("rel", re.compile("noopener"))
    expect(main.get_by_role("link", name="https://acme.example/danke")).to_be_visible()
    expect(main.locator(".page-header")).to_contain_text("6 leads")
    admin_tab.screenshot("lead-form-detail")
    admin_tab.assert_clean()


def test_ad_account_detail(admin_tab: Tab, live_server: LiveServer) -> None:
    admin_tab.goto("/admin/meta-ads/accounts")
    admin_tab.page.get_by_role("link", name="Acme Bikes EU").click()
    admin_tab.page.wait_for_url(f"**/admin/meta-ads/accounts/{live_server.ids['account']}")
    main = admin_tab.page.locator("main")
    stats = main.locator(".stats")
    expect(stats).to_contain_text("1,234.56")  # 123456 minor units of EUR
    expect(stats).to_contain_text("5,000.00")
    expect(stats).to_contain_text("20.50")
    expect(main.locator('[aria-labelledby="campaigns-heading"] table tbody tr')).to_have_count(3)
    expect(main).to_contain_text("Europe/Berlin")
    admin_tab.screenshot("ad-account-detail")
    admin_tab.assert_clean()


def test_zero_decimal_currency(admin_tab: Tab, live_server: LiveServer) -> None:
    admin_tab.goto(f"/admin/meta-ads/accounts/{live_server.ids['account_jpy']}")
    expect(admin_tab.page.locator("main .stats")).to_contain_text("98,000")
    expect(admin_tab.page.locator("main .stats")).not_to_contain_text("980.00")
    admin_tab.assert_clean()


def test_campaign_detail(admin_tab: Tab, live_server: LiveServer) -> None:
    admin_tab.goto("/admin/meta-ads/campaigns")
    admin_tab.page.get_by_role("link", name="Spring test rides 2026 — DE").click()
    admin_tab.page.wait_for_url(f"**/admin/meta-ads/campaigns/{live_server.ids['campaign']}")
    main = admin_tab.page.locator("main")
    expect(main.locator(".page-header .badge-ACTIVE")).to_have_text("Active")
    expect(main.locator(".stats")).to_contain_text("987.65")
    expect(main.locator(".stats")).to_contain_text("154,321")
    expect(main.locator('[aria-labelledby="adsets-heading"] table tbody tr')).to_have_count(2)
    expect(main).to_contain_text("Berlin 25–45 cyclists")
    expect(main).to_contain_text("25.00")  # the daily budget, 2500 cents
    admin_tab.screenshot("campaign-detail")
    admin_tab.assert_clean()


def test_campaigns_show_every_delivery_status(admin_tab: Tab) -> None:
    admin_tab.goto("/admin/meta-ads/campaigns")
    for status, label in [("ACTIVE", "Active"), ("PAUSED", "Paused"), ("ARCHIVED", "Archived"), ("DELETED", "Deleted")]:
        expect(admin_tab.page.locator(f"main .badge-{status}")).to_have_text(label)
    admin_tab.assert_clean()


def test_connections_show_scopes_and_pages(admin_tab: Tab) -> None:
    admin_tab.goto("/admin/socials/connections")
    main = admin_tab.page.locator("main")
    missing = main.locator(".chip-missing")
    expect(missing).to_have_count(2)
    expect(missing).to_contain_text(["instagram_manage_messages", "pages_manage_metadata"])
    expect(main.locator(".chip-ok").first).to_be_visible()
    rows = main.locator("table tbody tr")
    expect(rows.filter(has_text="Acme Bikes Deutschland")).to_contain_text("✓ Subscribed")
    expect(rows.filter(has_text="Acme Outlet")).to_contain_text("✗ Not subscribed")
    expect(main).to_contain_text("2026-12-31 23:59 UTC")
    expect(main).to_contain_text("flask --app wsgi socials connect-token")
    admin_tab.assert_clean()


# --- banners, errors, empty states ----------------------------------------------------------


def test_reauth_banner_on_every_page(admin_tab: Tab, live_server: LiveServer) -> None:
    from plugins.core.extensions import db
    from plugins.socials.models import SocialPlatform

    def set_status(status: str, reason: str | None) -> None:
        platform = db.session.get(SocialPlatform, live_server.ids["platform"])
        platform.status, platform.status_reason = status, reason

    live_server.with_db(
        lambda: set_status("needs_reauth", "Facebook says the session was invalidated because the user changed their password.")
    )
    try:
        admin_tab.goto("/admin/meta-ads/leads")
        banner = admin_tab.page.locator(".banner-error")
        expect(banner).to_contain_text("lost access to Facebook")
        expect(banner.get_by_role("link", name="Reconnect")).to_be_visible()
        admin_tab.screenshot("banner")
        banner.get_by_role("link", name="Reconnect").click()
        admin_tab.page.wait_for_url("**/admin/socials/connections")
        expect(admin_tab.page.locator("main .badge-needs_reauth")).to_have_text("Needs reconnecting")
        expect(admin_tab.page.locator("main .callout-error")).to_contain_text("user changed their password")
        admin_tab.screenshot("connections-reauth")
        admin_tab.assert_clean()
    finally:
        live_server.with_db(lambda: set_status("active", None))


def test_not_found_page(admin_tab: Tab) -> None:
    admin_tab.goto("/admin/meta-ads/leads/999999", expect_status=404)
    expect(admin_tab.page.locator(".error-code")).to_have_text("404")
    expect(admin_tab.page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(admin_tab.page.locator("main")).to_contain_text("No such lead.")
    admin_tab.screenshot("error-404")
    admin_tab.page.get_by_role("link", name="Go to the home page").click()
    admin_tab.page.wait_for_url("**/admin/meta-ads/")
    admin_tab.assert_clean(allow=[HTTP_ERROR_LOG])


def test_bad_request_page(admin_tab: Tab) -> None:
    admin_tab.goto("/admin/meta-ads/lead-forms?limit=abc", expect_status=400)
    expect(admin_tab.page.locator(".error-code")).to_have_text("400")
    expect(admin_tab.page.get_by_role("heading", name="That request was not valid")).to_be_visible()
    expect(admin_tab.page.locator("main")).to_contain_text("limit must be a whole number.")
    admin_tab.screenshot("error-400")
    admin_tab.assert_clean(allow=[HTTP_ERROR_LOG])


@pytest.mark.parametrize(
    ("code", "heading"),
    [
        (400, "That request was not valid"),
        (403, "You are not allowed to see this"),
        (404, "Page not found"),
        (405, "That action is not allowed here"),
        (409, "That cannot be done right now"),
        (413, "That is too large"),
        (429, "Too many requests"),
        (500, "Something went wrong"),
    ],
)
def test_error_pages(admin_tab: Tab, code: int, heading: str) -> None:
    admin_tab.goto(f"/_test/error/{code}", expect_status=code)
    expect(admin_tab.page.locator(".error-code")).to_have_text(str(code))
    expect(admin_tab.page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(admin_tab.page.locator(".mainnav")).to_be_visible()
    expect(admin_tab.page.get_by_role("link", name="Go to the home page")).to_be_visible()
    # Werkzeug's stock descriptions ("The server encountered an internal error…") stay hidden.
    stock = default_exceptions[code].description or ""
    expect(admin_tab.page.locator("main")).not_to_contain_text(stock[:30])
    if code in (403, 500):
        admin_tab.screenshot(f"error-{code}")
    admin_tab.assert_clean(allow=[HTTP_ERROR_LOG])


def test_method_not_allowed_page(anon_tab: Tab) -> None:
    anon_tab.goto("/logout", expect_status=405)
    expect(anon_tab.page.get_by_role("heading", name="That action is not allowed here")).to_be_visible()
    anon_tab.assert_clean(allow=[HTTP_ERROR_LOG])


def test_empty_states(empty_tab: Tab) -> None:
    empty_tab.goto("/admin/meta-ads/leads")
    empty = empty_tab.page.locator("main .empty")
    expect(empty).to_contain_text("No leads yet — connect Facebook on the Connections page")
    empty_tab.screenshot("leads-empty")
    empty.get_by_role("link", name="Open Connections").click()
    empty_tab.page.wait_for_url("**/admin/socials/connections")
    empty = empty_tab.page.locator("main .empty")
    expect(empty).to_contain_text("No Facebook account connected")
    expect(empty.get_by_role("link", name="Connect Facebook")).to_have_attribute("href", "/admin/socials/connect")
    expect(empty).to_contain_text("flask --app wsgi socials connect-token")
    empty_tab.screenshot("connections-empty")
    for path, text in [
        ("/admin/meta-ads/lead-forms", "No lead forms yet"),
        ("/admin/meta-ads/campaigns", "No campaigns yet"),
        ("/admin/meta-ads/accounts", "No ad accounts yet"),
        ("/admin/meta-ads/", "No ad accounts yet"),
        ("/admin/persons/", "No persons yet"),
    ]:
        empty_tab.goto(path)
        expect(empty_tab.page.locator("main .empty h2")).to_have_text(text)
        expect(empty_tab.page.locator("main .empty .button.primary")).to_be_visible()
    empty_tab.assert_clean()


# --- small screens ----------------------------------------------------------------------------


def test_mobile_leads_list_and_detail(mobile_tab: Tab, live_server: LiveServer) -> None:
    mobile_tab.goto("/admin/meta-ads/leads")
    expect(mobile_tab.page.locator("main tbody tr")).to_have_count(6)
    assert not mobile_tab.has_horizontal_overflow(), "the page scrolls sideways"
    # A card per lead, its status first.
    card = mobile_tab.page.locator("main tbody tr").first
    status_top = card.locator(".col-status").bounding_box()
    name_top = card.locator(".col-name").bounding_box()
    assert status_top and name_top and status_top["y"] < name_top["y"]
    table_wrap = mobile_tab.page.locator("main .table-wrap")
    assert not table_wrap.evaluate("el => el.scrollWidth > el.clientWidth"), "cards, not a table scrolling sideways"
    mobile_tab.screenshot("leads-mobile")

    mobile_tab.goto(f"/admin/meta-ads/leads/{live_server.ids['lead']}")
    assert not mobile_tab.has_horizontal_overflow()
    expect(mobile_tab.page.locator(".answers li")).to_have_count(2)
    mobile_tab.screenshot("lead-detail-mobile")
    mobile_tab.assert_clean()


@pytest.mark.parametrize(
    "path_key",
    [
        "/admin/meta-ads/",
        "/admin/meta-ads/lead-forms",
        "/admin/meta-ads/campaigns",
        "/admin/meta-ads/accounts",
        "/admin/socials/connections",
        "/admin/persons/",
        "/admin/meta-ads/leads",
        "/admin/meta-ads/pipeline",
        "lead_form",
        "campaign",
        "account",
        "person",
    ],
)
def test_mobile_pages_do_not_overflow(mobile_tab: Tab, live_server: LiveServer, path_key: str) -> None:
    details = {
        "lead_form": "/admin/meta-ads/lead-forms/{}",
        "campaign": "/admin/meta-ads/campaigns/{}",
        "account": "/admin/meta-ads/accounts/{}",
        "person": "/admin/persons/{}",
    }
    path = details[path_key].format(live_server.ids[path_key]) if path_key in details else path_key
    mobile_tab.goto(path)
    assert not mobile_tab.has_horizontal_overflow(), path
    mobile_tab.assert_clean()


def test_mobile_nav_shows_the_current_section(mobile_tab: Tab) -> None:
    mobile_tab.goto("/admin/persons/")
    current = mobile_tab.page.locator('.mainnav a[aria-current="page"]')
    expect(current).to_have_text("Persons")
    expect(current).to_be_in_viewport(ratio=1)
    mobile_tab.assert_clean()


# --- the CSP check itself ---------------------------------------------------------------------


def test_csp_violations_are_detected(admin_tab: Tab) -> None:
    """Guards the other tests: an inline style must show up as a violation."""
    admin_tab.goto("/admin/meta-ads/leads")
    admin_tab.page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">inline</p>')")
    admin_tab.page.wait_for_timeout(200)
    assert admin_tab.csp_violations(), admin_tab.errors
