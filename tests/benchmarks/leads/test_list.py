"""The leads list and search on a million leads: p95 server time, next to baselines measured in the
same run. Target: p95 ≤ 100 ms for the filtered list at every depth reached with Next, and for a
search by email and by phone; and for the list sorted by name (beside the same pages newest first).

Server time is measured in-process through Flask's test client (no network): a bare Flask route
shows what the framework and the test client cost by themselves, and a small authenticated JSON
route what the API token check adds.
"""

from __future__ import annotations

import statistics
import typing as t
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import selectinload

from metaads.leads.filters import read_list_args
from metaads.leads.paging import keyset_page
from metaads.leads.sorting import Ordering
from metaads.models import Lead
from plugins.core import create_app
from plugins.core.extensions import db
from tests.conftest import base_config, login

LEADS = "/admin/meta-ads/leads"
#: The busiest form's new leads over 20 months: deep enough to page 1,000 times by 50.
FILTERED = LEADS + "?status=new&lead_form_id={form}&created_after=2025-03-01&created_before=2026-11-01&limit=50"
DEPTHS = (1, 10, 100, 1000)
REPEAT = 40
TARGET_MS = 100.0


@pytest.fixture(scope="module")
def bench_app(bench_data: t.Any) -> t.Iterator[Flask]:
    app = create_app(base_config(bench_data.url))
    app.add_url_rule("/_bench/bare", "bench_bare", lambda: "ok")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def client(bench_app: Flask, bench_data: t.Any) -> FlaskClient:
    client = bench_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bench_data.token}"
    client.environ_base["HTTP_ACCEPT"] = "application/json"
    return client


def get(client: FlaskClient, path: str) -> dict[str, t.Any]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
    return t.cast(dict[str, t.Any], response.get_json(silent=True) or {})


@pytest.fixture(scope="module")
def browser(bench_app: Flask, bench_data: t.Any) -> FlaskClient:
    """A logged-in session asking for pages, as an admin's browser does."""
    client = bench_app.test_client()
    login(client, bench_data.admin_email, bench_data.admin_password)
    return client


def test_filtered_list_and_search(client: FlaskClient, browser: FlaskClient, bench_data: t.Any, measure: t.Any) -> None:
    filtered = FILTERED.format(form=bench_data.busiest_form)
    for path in ("/_bench/bare", "/admin/meta-ads/lead-forms?limit=1", filtered):  # warm up: imports, pools, caches
        measure.timed_ms(lambda path=path: client.get(path), 10)
    measure.timed_ms(lambda: browser.get(filtered), 5)  # and the page's templates
    bare = measure.p95(measure.timed_ms(lambda: client.get("/_bench/bare"), 300))
    small = measure.p95(measure.timed_ms(lambda: get(client, "/admin/meta-ads/lead-forms?limit=1"), 100))
    baseline = f"baselines: bare Flask route {bare:.2f} ms, token-checked tiny JSON route {small:.2f} ms"

    keyset, offset, paths = walk_with_next(client, filtered, measure)
    rows = [(f"filtered list (JSON), page {d:>4} by Next (keyset)", f"p95 {keyset[d]:7.1f} ms", baseline) for d in DEPTHS]
    pages = {d: measure.p95(measure.timed_ms(lambda d=d: page(browser, paths[d]), REPEAT // 2)) for d in (1, max(DEPTHS))}
    rows += [
        (f"the same as the page (HTML), page {d:>4}", f"p95 {pages[d]:7.1f} ms", "(template, tabs, filter options)")
        for d in pages
    ]
    rows += [
        (f"same page by offset={(d - 1) * 50:,}", f"p95 {offset[d]:7.1f} ms", "(for comparison; not used by the pages)")
        for d in DEPTHS
    ]

    emails = [email for email, _ in bench_data.samples]
    phones = [typed(phone) for _, phone in bench_data.samples]
    by_email = measure.timed_ms(iter_search(client, emails, expect=1), len(emails) * 2)
    by_phone = measure.timed_ms(iter_search(client, phones, expect=1), len(phones) * 2)
    by_name = measure.timed_ms(iter_search(client, ["Tanaka", "lead12345", "Bjørnstad"]), 9)
    rows += [
        ("search by email address", f"p95 {measure.p95(by_email):7.1f} ms", baseline),
        ("search by phone (+49 151 … typed)", f"p95 {measure.p95(by_phone):7.1f} ms", baseline),
        ("free-text name search (reads every row)", f"p95 {measure.p95(by_name):7.1f} ms", "(no target: no index answers it)"),
    ]
    measure.table(
        f"Leads list on {bench_data.leads:,} leads (PostgreSQL), server time in-process, target p95 ≤ {TARGET_MS:.0f} ms", rows
    )

    assert all(keyset[d] <= TARGET_MS for d in DEPTHS), keyset
    assert all(ms <= TARGET_MS for ms in pages.values()), pages
    assert measure.p95(by_email) <= TARGET_MS and measure.p95(by_phone) <= TARGET_MS


#: The list's sorts timed against the default, newest first, on the same pages of the same data.
SORTS = ("full_name", "-full_name", "status", "assigned_to", "lead_form_id", "-ad_name")
SORT_DEPTHS = (1, 10, 100)


def test_sorted_pages_beside_newest_first(
    bench_app: Flask, client: FlaskClient, browser: FlaskClient, bench_data: t.Any, measure: t.Any
) -> None:
    """The whole list and the filtered one sorted by name (and the other sorts on the whole list),
    at pages 1, 10 and 100 reached with Next, each beside the same page newest first: the whole
    request, and the page's rows alone (``keyset_page``, without the counts both share). A sort
    reads its page from an index as newest first does, so the two should be alike."""
    lists = {"all leads": LEADS + "?limit=50", "filtered list": FILTERED.format(form=bench_data.busiest_form)}
    for path in lists.values():  # warm up
        measure.timed_ms(lambda path=path: client.get(path + "&sort=full_name"), 5)
    rows, reads = [], {}
    for name, first in lists.items():
        baseline = walk_sorted(bench_app, client, first + "&sort=-created_time", measure)
        for sort in SORTS if name == "all leads" else ("full_name", "-full_name"):
            timed = walk_sorted(bench_app, client, f"{first}&sort={sort}", measure)
            reads[name, sort] = [timed[d][2] for d in SORT_DEPTHS]
            for depth in SORT_DEPTHS:
                (request_ms, read_ms, _), (base_request, base_read, _) = timed[depth], baseline[depth]
                rows.append(
                    (
                        f"{name} sorted by {sort}, page {depth:>3} by Next",
                        f"p95 {request_ms:6.1f} ms, rows {read_ms:5.1f}",
                        f"baseline newest first: p95 {base_request:6.1f} ms, rows {base_read:5.1f}",
                    )
                )
    by_name = lists["all leads"] + "&sort=full_name"
    html = measure.p95(measure.timed_ms(lambda: page(browser, by_name), REPEAT // 4))
    rows.append(("all leads sorted by full_name as the page (HTML), page 1", f"p95 {html:6.1f} ms", "(template, tabs, filters)"))
    measure.table(
        f"Sorted leads list on {bench_data.leads:,} leads (PostgreSQL), in-process: the whole request, and "
        f"reading the page's rows alone (p95 ms); target for the rows ≤ {TARGET_MS:.0f} ms (median: the p95 of a "
        "few ms reads follows the other processes on the machine)",
        rows,
    )
    assert all(ms <= TARGET_MS for timings in reads.values() for ms in timings), reads


def walk_sorted(app: Flask, client: FlaskClient, first: str, measure: t.Any) -> dict[int, tuple[float, float, float]]:
    """Follow next_cursor to each depth in SORT_DEPTHS; there, the p95 of the whole request, and
    the p95 and median of reading the page's rows alone (the same filters, sort and cursor,
    without the counts)."""
    timings, cursor = {}, None
    for number in range(1, max(SORT_DEPTHS) + 1):
        path = first + (f"&after={cursor}" if cursor else "")
        if number in SORT_DEPTHS:
            request_ms = measure.p95(measure.timed_ms(lambda path=path: get(client, path), REPEAT // 4))
            timings[number] = (request_ms, *rows_alone(app, path, measure))
        body = get(client, path)
        assert len(body["leads"]) == 50, f"{first}: too few leads to reach page {max(SORT_DEPTHS)}"
        cursor = body["next_cursor"]
    return timings


def rows_alone(app: Flask, path: str, measure: t.Any) -> tuple[float, float]:
    args = dict(parse_qsl(urlsplit(path).query))
    with app.app_context():
        filters, position = read_list_args(args)
        ordering = Ordering.of(filters.sort)

        def read() -> None:
            keyset_page(filters.conditions(), ordering, limit=50, after=position.after, options=[selectinload(Lead.lead_form)])
            db.session.rollback()

        samples = measure.timed_ms(read, REPEAT // 2)
        db.session.remove()
    return measure.p95(samples), statistics.median(samples)


def walk_with_next(client: FlaskClient, first: str, measure: t.Any) -> tuple[dict[int, float], dict[int, float], dict[int, str]]:
    """Follow next_cursor page after page; at each depth in DEPTHS, time that page REPEAT times,
    and the same rows reached by offset. Returns both timings and each depth's URL."""
    keyset, offset, paths, cursor = {}, {}, {}, None
    for number in range(1, max(DEPTHS) + 1):
        path = first + (f"&after={cursor}" if cursor else "")
        if number in DEPTHS:
            paths[number] = path
            keyset[number] = measure.p95(measure.timed_ms(lambda path=path: get(client, path), REPEAT))
            by_offset = f"{first}&offset={(number - 1) * 50}"
            offset[number] = measure.p95(measure.timed_ms(lambda path=by_offset: get(client, path), REPEAT // 4))
        body = get(client, path)
        assert len(body["leads"]) == 50, f"the filter is too narrow to reach page {max(DEPTHS)}"
        cursor = body["next_cursor"]
    return keyset, offset, paths


def page(browser: FlaskClient, path: str) -> None:
    response = browser.get(path)
    assert response.status_code == 200 and b"Showing " in response.data


def typed(phone: str) -> str:
    """``+4915100016665`` as someone types it: ``+49 151 0001 6665``."""
    return f"{phone[:3]} {phone[3:6]} {phone[6:10]} {phone[10:]}"


def iter_search(client: FlaskClient, queries: list[str], expect: int | None = None) -> t.Callable[[], None]:
    """A call that searches for the next query each time it is made (round robin)."""
    state = {"n": 0}

    def search() -> None:
        query = queries[state["n"] % len(queries)]
        state["n"] += 1
        body = get(client, f"{LEADS}?q={quote(query, safe='')}")
        assert expect is None or body["count"] == expect, (query, body["count"])

    return search
