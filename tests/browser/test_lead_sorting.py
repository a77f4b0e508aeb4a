"""Sorting the leads list as a person does: clicking a column's header (and with the keyboard),
the arrow and aria-sort following, the filters kept; on a phone, the sort menu above the cards.
Screenshots at 1366 and 390 px."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Tab

pytestmark = pytest.mark.browser

LIST = "/admin/meta-ads/leads?include_test=true"
UNNAMED = ("Erased lead", "Lead #")


def names(tab: Tab) -> list[str]:
    return [text.strip() for text in tab.page.locator("main tbody .row-link").all_inner_texts()]


def named_then_unnamed(shown: list[str], *, descending: bool) -> None:
    """The named leads in alphabetical order (ignoring case), the unnamed ones after them."""
    named = [name for name in shown if not name.startswith(UNNAMED)]
    assert named == sorted(named, key=str.casefold, reverse=descending), shown
    assert shown[: len(named)] == named, f"an unnamed lead before a named one: {shown}"


def query(tab: Tab) -> dict[str, list[str]]:
    return parse_qs(urlsplit(tab.page.url).query)


def header(tab: Tab, label: str) -> object:
    return tab.page.locator("main thead th", has=tab.page.get_by_role("link", name=label, exact=True))


def test_clicking_headers_sorts_and_turns_keeping_the_filters(admin_tab: Tab) -> None:
    page = admin_tab.page
    page.set_viewport_size({"width": 1366, "height": 800})
    admin_tab.goto(LIST)
    newest_first = names(admin_tab)
    expect(header(admin_tab, "Created")).to_have_attribute("aria-sort", "descending")

    page.get_by_role("link", name="Name", exact=True).click()
    page.wait_for_load_state()
    assert query(admin_tab)["sort"] == ["full_name"] and query(admin_tab)["include_test"] == ["true"]
    expect(header(admin_tab, "Name")).to_have_attribute("aria-sort", "ascending")
    expect(header(admin_tab, "Created")).not_to_have_attribute("aria-sort", "descending")
    expect(page.locator("main thead a.sorted .sort-arrow")).to_have_text("↑")
    by_name = names(admin_tab)
    assert sorted(by_name) == sorted(newest_first) and by_name != newest_first
    named_then_unnamed(by_name, descending=False)
    expect(page.locator(".subtitle")).to_contain_text("Sorted: Name, A to Z")
    admin_tab.screenshot("leads-sorted-by-name-1366")

    page.get_by_role("link", name="Name", exact=True).click()  # the sorted column turns
    page.wait_for_load_state()
    assert query(admin_tab)["sort"] == ["-full_name"]
    expect(header(admin_tab, "Name")).to_have_attribute("aria-sort", "descending")
    expect(page.locator("main thead a.sorted .sort-arrow")).to_have_text("↓")
    named_then_unnamed(names(admin_tab), descending=True)

    # With the keyboard: Tab reaches the header links, Enter follows one.
    status = page.get_by_role("link", name="Status", exact=True)
    page.get_by_role("link", name="Name", exact=True).focus()
    page.keyboard.press("Tab")  # from Name to Status
    expect(status).to_be_focused()
    page.locator("main thead").screenshot(path=str(admin_tab.shots / "leads-sort-header-focus-1366.png"))
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=status**")
    expect(header(admin_tab, "Status")).to_have_attribute("aria-sort", "ascending")
    statuses = [text.strip().lower() for text in page.locator("main tbody .col-status").all_inner_texts()]
    workflow = ["new", "contacted", "qualified", "converted", "disqualified", "archived"]
    assert statuses == sorted(statuses, key=workflow.index), statuses

    # Filtering keeps the sort (the form carries it), and the list stays sorted.
    page.locator("#filter-test").select_option("true")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert query(admin_tab)["sort"] == ["status"]
    admin_tab.screenshot("leads-sorted-by-status-1366")
    assert not admin_tab.has_horizontal_overflow()
    admin_tab.assert_clean()


def test_on_a_phone_the_sort_is_a_menu_above_the_cards(mobile_tab: Tab) -> None:
    page = mobile_tab.page
    mobile_tab.goto(LIST)
    expect(page.locator("main thead")).to_be_hidden()
    menu = page.get_by_label("Sort by")
    expect(menu).to_be_visible()
    expect(menu).to_have_value("-created_time")
    menu.select_option(label="Name, Z to A")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert query(mobile_tab)["sort"] == ["-full_name"]
    expect(page.get_by_label("Sort by")).to_have_value("-full_name")
    named_then_unnamed(names(mobile_tab), descending=True)
    assert not mobile_tab.has_horizontal_overflow()
    mobile_tab.screenshot("leads-sorted-by-name-390")
    mobile_tab.assert_clean()


def test_a_wide_screen_hides_the_menu_but_keeps_the_sort(admin_tab: Tab) -> None:
    page = admin_tab.page
    page.set_viewport_size({"width": 1366, "height": 800})
    admin_tab.goto("/admin/meta-ads/leads?sort=ad_name")
    expect(page.get_by_label("Sort by")).to_be_hidden()
    expect(header(admin_tab, "Ad")).to_have_attribute("aria-sort", "ascending")
    page.get_by_label("Leads per page").select_option("25")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert query(admin_tab)["sort"] == ["ad_name"] and query(admin_tab)["limit"] == ["25"]
    admin_tab.assert_clean()
