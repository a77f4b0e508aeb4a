"""The platform loads the extensions its configuration names, and knows none of them itself."""

from __future__ import annotations

import ast
import datetime as dt

import pytest
from flask import Flask

from plugins.core import create_app
from plugins.core.registry import DEFAULT_QUEUE, PeriodicJob, PlatformState, platform_state
from tests.conftest import EXTENSIONS, ROOT


def bare(**config: object) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True, **config})


def test_the_platform_alone_loads_no_extension() -> None:
    app = bare()
    state = platform_state(app)
    assert state.extensions == [] and "metaads" not in app.extensions and "metaads" not in app.blueprints
    assert state.queue_names() == [DEFAULT_QUEUE]
    assert {job.queue for job in state.periodic_jobs} == {DEFAULT_QUEUE}  # socials' token check
    assert state.home_endpoint() == state.admin_menu[0].endpoint  # no extension: the first menu entry
    assert app.test_client().get("/").status_code == 302


def test_an_extension_registers_its_queues_jobs_menu_and_home() -> None:
    app = bare(PLATFORM_EXTENSIONS=EXTENSIONS)
    state = platform_state(app)
    assert state.extensions == EXTENSIONS and "metaads" in app.extensions
    assert state.queue_names() == ["metaads-high", DEFAULT_QUEUE, "metaads-default", "metaads-low"]
    queue_of = {job.name: job.queue for job in state.periodic_jobs}
    assert queue_of["metaads-sweep-inbox"] == "metaads-high" and queue_of["metaads-reconcile-leads"] == "metaads-low"
    assert queue_of["socials-check-tokens"] == DEFAULT_QUEUE
    assert state.home_endpoint() == "metaads.dashboard"
    assert [item.endpoint for item in state.admin_menu][:2] == ["metaads.dashboard", "metaads.leads_index"]


def test_the_tests_load_what_wsgi_loads() -> None:
    tree = ast.parse((ROOT / "wsgi.py").read_text(encoding="utf-8"))
    assigned = {
        target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id == "EXTENSIONS"
    }
    assert assigned == {"EXTENSIONS": EXTENSIONS}


def test_an_extension_that_is_not_callable_is_refused() -> None:
    with pytest.raises(RuntimeError, match="not callable"):
        bare(PLATFORM_EXTENSIONS=["plugins.core.registry:DEFAULT_QUEUE"])


def test_queues_are_kept_in_priority_order_and_named_once() -> None:
    state = PlatformState()
    state.add_queue("late", priority=90)
    state.add_queue("early", priority=10)
    assert state.queue_names() == ["early", DEFAULT_QUEUE, "late"]
    with pytest.raises(RuntimeError, match="already registered"):
        state.add_queue("early")


def test_one_home_page() -> None:
    state = PlatformState()
    with pytest.raises(RuntimeError, match="no home page"):
        state.home_endpoint()
    state.set_home("x.index")
    with pytest.raises(RuntimeError, match="already"):
        state.set_home("y.index")
    assert PeriodicJob("j", lambda: None, dt.timedelta(1)).queue == DEFAULT_QUEUE


def test_the_current_menu_entry_is_the_longest_that_holds_the_page() -> None:
    """A home page whose URL holds the other entries is current on its own page only."""
    state = PlatformState()
    urls = {"x.home": "/admin/x/", "x.leads": "/admin/x/leads", "people.index": "/admin/people/"}
    for label, endpoint in [("Home", "x.home"), ("Leads", "x.leads"), ("People", "people.index")]:
        state.add_menu_item(label, endpoint)
    current = {
        path: state.current_menu_item(path, urls.__getitem__)
        for path in [
            "/admin/x/",
            "/admin/x",
            "/admin/x/leads",
            "/admin/x/leads/7",
            "/admin/x/adsets/3",
            "/admin/people/9",
            "/login",
        ]
    }
    assert current == {
        "/admin/x/": "x.home",
        "/admin/x": "x.home",
        "/admin/x/leads": "x.leads",
        "/admin/x/leads/7": "x.leads",
        "/admin/x/adsets/3": None,
        "/admin/people/9": "people.index",
        "/login": None,
    }
