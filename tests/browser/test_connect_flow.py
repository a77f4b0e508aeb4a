"""Connect Facebook in a real browser: Connect → the (sandbox) Facebook dialog → back on
Connections with both pages subscribed to leads."""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ADMIN_EMAIL, ADMIN_NAME, ADMIN_PASSWORD, LiveServer, logged_in_state, open_tab, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sandbox_url() -> t.Iterator[str]:
    from metaads.sandbox import create_sandbox_app, serve_in_thread

    url, stop = serve_in_thread(create_sandbox_app({"APP_ID": "browser-app-id", "APP_SECRET": "browser-app-secret"}))
    yield url.rstrip("/")
    stop()


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory: pytest.TempPathFactory, sandbox_url: str) -> t.Iterator[LiveServer]:
    import flask_migrate

    from plugins.accounts.service import create_admin
    from plugins.core import create_app
    from tests.conftest import EXTENSIONS

    db_file = tmp_path_factory.mktemp("browser-connect") / "connect.db"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
            "JOBS_MODE": "eager",
            "SECRET_KEY": "test",
            "PLATFORM_EXTENSIONS": EXTENSIONS,
            "ACCOUNTS_ARGON2": {"time_cost": 1, "memory_cost": 8192, "parallelism": 1},
            "FACEBOOK_GRAPH_URL": sandbox_url,
            "FACEBOOK_DIALOG_URL": sandbox_url,
            "FACEBOOK_CLIENT_ID": "browser-app-id",
            "FACEBOOK_CLIENT_SECRET": "browser-app-secret",
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, name=ADMIN_NAME)
    yield from serve(app, {})


def test_connect_through_the_facebook_dialog(browser: Browser, connect_server: LiveServer, screenshots: Path) -> None:
    state = logged_in_state(browser, connect_server, screenshots)
    context, tab = open_tab(browser, connect_server, screenshots, state=state)
    failed: list[str] = []
    tab.page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        tab.goto("/admin/socials/connections")
        tab.page.get_by_role("link", name="Connect Facebook").click()
        tab.page.wait_for_load_state()
        assert "/dialog/oauth" in tab.page.url, tab.page.url
        tab.screenshot("connect-dialog")
        tab.page.locator("#approve").click()
        tab.page.wait_for_url(re.compile(r"/admin/socials/connections(#.*)?$"))
        main = tab.page.locator("main")
        expect(main).to_contain_text("Connected: 2 pages, 2 subscribed to leads.")
        expect(main.locator("tbody tr")).to_have_count(2)
        expect(main.locator("tbody")).not_to_contain_text("Not subscribed")
        expect(main).to_contain_text("Subscribed")
        tab.screenshot("connections-connected")
        assert not failed, failed
        tab.goto("/admin/meta-ads/leads")
        expect(tab.page.locator("main tbody tr").first).to_be_visible()  # the backfill brought leads
        tab.screenshot("leads-after-connect")
    finally:
        context.close()


def test_cancelling_the_dialog_changes_nothing(browser: Browser, connect_server: LiveServer, screenshots: Path) -> None:
    state = logged_in_state(browser, connect_server, screenshots)
    context, tab = open_tab(browser, connect_server, screenshots, state=state)
    try:
        tab.goto("/admin/socials/connect", expect_status=200)
        cancel = tab.page.get_by_role("button", name="Cancel")
        if cancel.count() == 0:
            cancel = tab.page.get_by_role("link", name="Cancel")
        cancel.first.click()
        tab.page.wait_for_url(re.compile(r"/admin/socials/connections(#.*)?$"))
        expect(tab.page.locator("main")).to_contain_text("cancelled")
    finally:
        context.close()
