"""The demo as a new user runs it: "Send a test lead" shows its webhook received and the lead
stored within seconds, on a page that refreshes itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT
from tests.plugins.core.test_redis_outage import free_port, wait_for

SETTINGS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY")


@pytest.fixture
def demo(tmp_path: Path) -> t.Iterator[tuple[str, str]]:
    """The demo on free ports and its own SQLite file; yields (its URL, the admin's password)."""
    port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS and not k.startswith("FLASK_")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/demo.db", PYTHONUNBUFFERED="1")
    argv = ["--port", str(port), "--sandbox-port", str(sandbox_port), "--interval", "3600"]
    log = tmp_path / "demo.log"
    with (
        log.open("wb") as out,
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "--debug", "metaads", "demo", *argv],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        ) as proc,
    ):
        try:
            wait_for(lambda: b"with password" in log.read_bytes() or proc.poll() is not None, 60, "the demo to start")
            found = re.search(r"with password (\S+)", log.read_text())
            assert found, log.read_text()[-3000:]
            wait_for(lambda: answers(f"http://127.0.0.1:{port}/login"), 20, "the demo to answer")
            yield f"http://127.0.0.1:{port}", found.group(1)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.ConnectionError:
        return False


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert found, html[:2000]
    return found.group(1)


def test_send_a_test_lead_shows_webhook_received_and_stored_within_seconds(demo: tuple[str, str]) -> None:
    url, password = demo
    browser = requests.Session()
    login_page = browser.get(f"{url}/login", timeout=10)
    browser.post(
        f"{url}/login",
        data={"email": "admin@example.com", "password": password, "csrf_token": csrf_token(login_page.text)},
        timeout=10,
    ).raise_for_status()
    forms_url = f"{url}/admin/meta-ads/lead-forms"

    def forms() -> list[dict[str, t.Any]]:
        return list(browser.get(forms_url, headers={"Accept": "application/json"}, timeout=10).json()["lead_forms"])

    wait_for(lambda: bool(forms()), 20, "the demo's lead forms")
    page_url = f"{forms_url}/{forms()[0]['id']}"
    page = browser.get(page_url, timeout=10).text
    sent_at = time.monotonic()
    sent = browser.post(f"{page_url}/test-lead", data={"csrf_token": csrf_token(page)}, timeout=10)
    assert sent.ok and "data-live" in sent.text, "the page refreshes itself while the lead is on its way"

    def status() -> dict[str, t.Any]:
        return dict(browser.get(f"{page_url}/test-lead", headers={"Accept": "application/json"}, timeout=10).json()["test_lead"])

    wait_for(lambda: status()["received_at"] is not None and status()["lead_id"] is not None, 10, "webhook and lead")
    took = time.monotonic() - sent_at
    assert took < 10, f"{took:.1f} s"
    done = browser.get(page_url, timeout=10).text
    section = done[done.index('id="test-lead"') :]
    assert "data-live" not in section.split(">", 1)[0], "refreshing stops once the lead is stored"
    assert "Not yet" not in section.split("</section>", 1)[0]
