"""The leads list sorted by each column, both ways: keyset pages (forward and back) that cross
ties and missing values, offsets and the CSV export all give the order a plain Python sort of
the same rows gives; ``sort`` is validated; cursors belong to their sort; each sort's pages are
read from an index (PostgreSQL's plans, SQLite's indexes); and the page's sortable headers."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import itertools
import re
import typing as t
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.leads.sorting import FIELDS, VALUES
from metaads.models import Lead
from metaads.models.enums import LeadStatus
from plugins.core.extensions import db
from tests.metaads.leads.test_support import LEADS, at, leads_config, make_form, make_lead, make_user

WORKFLOW = list(LeadStatus)
PAGE = 4


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, t.Any]:
    return leads_config(tmp_path)


@dataclasses.dataclass(frozen=True)
class Row:
    """What the sorts read of a lead, kept in Python for the expected order."""

    id: int
    created: dt.datetime
    full_name: str | None
    ad_name: str | None
    platform: str | None
    status: LeadStatus
    assigned_to: str | None
    form: int | None


@dataclasses.dataclass(frozen=True)
class Sample:
    rows: list[Row]
    users: dict[str, str]  # user id → display name
    forms: dict[int, str]  # form id → name


@pytest.fixture
def sample(app: Flask) -> Sample:
    """26 leads made to tie: the same names in other cases, one instant shared by many, missing
    names, ads, platforms, assignees and forms, assignee ids that name nobody, two forms and
    two users whose names differ only in case (ordered by id then), and a test lead (left out)."""
    users = [make_user("zed@example.com", "zed"), make_user("ada@example.com", "Ada"), make_user("anon@example.com")]
    users.append(make_user("ada2@example.com", "ADA"))
    forms = [make_form("beta"), make_form("Alpha"), make_form("alpha"), make_form("Gamma")]
    names = ["anna", "Anna", "ben", None, "Carla", "carla", "Carla", None, "Émile", "zoë", "Zoe", "ANNA", None]
    ads = ["Spring sale", None, "spring sale", "Autumn", None, "Winter"]
    platforms = ["fb", "ig", None, "fb", "an"]
    # Ids naming nobody, around and between the users' ids ("25" sorts between "2" and "3").
    assignees = [str(users[0].id), str(users[1].id), None, str(users[2].id), "999999", str(users[3].id), None, "0", "25"]
    shared = at(10, 9)  # many leads at this same instant: their order is their id's
    made = []
    for n in range(26):
        lead = make_lead(
            forms[n % 4] if n % 5 else None,
            created=shared if n % 3 == 0 else at(10, 9) + dt.timedelta(minutes=(n * 7) % 11 - 5),
            full_name=names[n % len(names)],
            ad_name=ads[n % len(ads)],
            meta_platform=platforms[n % len(platforms)],
            status=WORKFLOW[(n * 5) % len(WORKFLOW)],
            assigned_to=assignees[n % len(assignees)],
        )
        made.append(lead)
    make_lead(forms[0], full_name="A test", is_test=True)
    db.session.commit()
    return Sample(
        rows=[
            Row(
                lead.id,
                lead.created_time,
                lead.full_name,
                lead.ad_name,
                lead.meta_platform,
                lead.status,
                lead.assigned_to,
                lead.lead_form_id,
            )
            for lead in made
        ],
        users={str(user.id): user.display_name for user in users},
        forms={form.id: form.name for form in forms},
    )


def sort_key(sample: Sample, field: str, row: Row) -> tuple[t.Any, ...] | None:
    """The row's value in ``field``'s order, or None for a lead without one (last either way)."""
    match field:
        case "full_name" | "ad_name":
            text = getattr(row, field)
            return None if text is None else (text[:100].lower(),)
        case "platform":
            return (row.platform or "fb",)
        case "status":
            return (WORKFLOW.index(row.status),)
        case "assigned_to":
            if row.assigned_to is None:
                return None
            if row.assigned_to in sample.users:  # named users first, by name, then id
                return (0, sample.users[row.assigned_to].lower(), int(row.assigned_to), "")
            return (1, "", 0, row.assigned_to)  # then ids that name nobody
        case "lead_form_id":
            return None if row.form is None else (sample.forms[row.form].lower(), row.form)
    return ()


def expected(sample: Sample, sort: str) -> list[int]:
    field, descending = sort.lstrip("-"), sort.startswith("-")
    valued = [(key, row) for row in sample.rows if (key := sort_key(sample, field, row)) is not None]
    missing = [row for row in sample.rows if sort_key(sample, field, row) is None]
    valued.sort(key=lambda pair: (pair[0], pair[1].created, pair[1].id), reverse=descending)
    missing.sort(key=lambda row: (row.created, row.id), reverse=descending)
    return [row.id for _, row in valued] + [row.id for row in missing]


def answer(client: FlaskClient, headers: dict[str, str], query: str) -> dict[str, t.Any]:
    response = client.get(f"{LEADS}?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return t.cast(dict[str, t.Any], response.get_json())


def walk(client: FlaskClient, headers: dict[str, str], query: str, *, back_from: str | None = None) -> list[list[int]]:
    """Every page by next_cursor (or, from ``back_from``, by previous_cursor), in walking order."""
    pages: list[list[int]] = []
    cursor = back_from
    while True:
        position = f"&before={cursor}" if back_from else (f"&after={cursor}" if cursor else "")
        body = answer(client, headers, query + position)
        pages.append([lead["id"] for lead in body["leads"]])
        cursor = body["previous_cursor" if back_from else "next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursors go round in circles"


def flat(pages: t.Iterable[list[int]]) -> list[int]:
    return list(itertools.chain.from_iterable(pages))


@pytest.mark.parametrize("sort", VALUES)
def test_every_sort_pages_through_ties_and_missing_values_in_order(
    client: FlaskClient, api_headers: dict[str, str], sample: Sample, sort: str
) -> None:
    want = expected(sample, sort)
    query = f"sort={sort}&limit={PAGE}"

    forward = walk(client, api_headers, query)
    assert flat(forward) == want
    assert [len(page) for page in forward] == [PAGE] * (len(want) // PAGE) + ([len(want) % PAGE] if len(want) % PAGE else [])

    # From the last page back to the first, by previous_cursor: the same pages.
    last = answer(client, api_headers, f"{query}&after={cursor_of_last_page(client, api_headers, query)}")
    assert last["next_cursor"] is None
    backward = walk(client, api_headers, query, back_from=last["previous_cursor"])
    assert flat(reversed(backward)) == want[: len(want) - len(last["leads"])]

    # Offsets read the same order (as one ORDER BY), and their cursors carry on from there.
    for offset in range(0, len(want), PAGE + 1):
        body = answer(client, api_headers, f"sort={sort}&limit={PAGE + 1}&offset={offset}")
        assert [lead["id"] for lead in body["leads"]] == want[offset : offset + PAGE + 1]
        if body["next_cursor"]:
            following = answer(client, api_headers, f"{query}&after={body['next_cursor']}")
            assert [lead["id"] for lead in following["leads"]] == want[offset + PAGE + 1 : offset + 2 * PAGE + 1]


def cursor_of_last_page(client: FlaskClient, headers: dict[str, str], query: str) -> str:
    cursor = None
    while True:
        body = answer(client, headers, query + (f"&after={cursor}" if cursor else ""))
        if body["next_cursor"] is None:
            assert cursor is not None, "one page only"
            return cursor
        cursor = body["next_cursor"]


@pytest.mark.parametrize("sort", ["full_name", "-full_name", "assigned_to", "-status", "lead_form_id", "-ad_name"])
def test_the_csv_export_follows_the_sort(client: FlaskClient, api_headers: dict[str, str], sample: Sample, sort: str) -> None:
    response = client.post(f"{LEADS}/export?sort={sort}", json={"format": "full"}, headers=api_headers, buffered=True)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.data.decode(), newline="")))
    assert [int(row["id"]) for row in rows] == expected(sample, sort)


def test_a_sort_keeps_the_filters(client: FlaskClient, api_headers: dict[str, str], sample: Sample) -> None:
    ada = next(user_id for user_id, name in sample.users.items() if name == "Ada")
    body = answer(client, api_headers, f"sort=-full_name&assigned_to={ada}&limit=2")
    mine = [row for row in sample.rows if row.assigned_to == ada]
    wanted = [lead_id for lead_id in expected(sample, "-full_name") if lead_id in {row.id for row in mine}]
    pages = walk(client, api_headers, f"sort=-full_name&assigned_to={ada}&limit=2")
    assert flat(pages) == wanted and body["count"] == len(mine)


def test_the_former_order_argument_still_works_and_sort_wins(
    client: FlaskClient, api_headers: dict[str, str], sample: Sample
) -> None:
    oldest = expected(sample, "created_time")
    assert [lead["id"] for lead in answer(client, api_headers, "order=created_time&limit=50")["leads"]] == oldest
    both = answer(client, api_headers, "order=created_time&sort=full_name&limit=50")
    assert [lead["id"] for lead in both["leads"]] == expected(sample, "full_name")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=name", "sort"),
        ("sort=created", "sort"),
        ("sort=--full_name", "sort"),
        ("sort=field_data", "sort"),
        ("sort=full_name,status", "sort"),
        ("sort=-created_time&after=full_name~v~sYW5uYQ~1773133200000000_5", "after"),  # another sort's cursor
        ("sort=full_name&before=1773133200000000_5", "before"),  # a newest-first cursor
        ("sort=full_name&after=full_name~n~sYW5uYQ~1773133200000000_5", "after"),  # "no name" with a name
        ("sort=full_name&after=full_name~v~~1773133200000000_5", "after"),  # a name without one
        ("sort=lead_form_id&after=lead_form_id~424242~~1773133200000000_5", "after"),  # a form that is gone
        ("sort=status&after=status~won~~1773133200000000_5", "after"),
        ("sort=full_name&after=full_name~v~s%25%25~1773133200000000_5", "after"),
        ("sort=full_name&after=full_name~v~s_w~1773133200000000_5", "after"),  # not UTF-8
        ("sort=full_name&after=nope~v~~1773133200000000_5", "after"),
    ],
)
def test_an_unknown_sort_or_a_foreign_cursor_is_a_400(
    client: FlaskClient, api_headers: dict[str, str], sample: Sample, query: str, field: str
) -> None:
    response = client.get(f"{LEADS}?{query}", headers=api_headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]["fields"], error


def test_a_browser_with_a_bad_sort_sees_the_list_and_why(admin_client: FlaskClient, sample: Sample) -> None:
    response = admin_client.get(f"{LEADS}?sort=shoe_size")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "These filters could not be used" in html and "Must be one of" in html
    assert html.count('class="row-link"') == len(sample.rows)


# --- the page ----------------------------------------------------------------------------------


def headers_of(html: str) -> dict[str, tuple[str | None, str]]:
    """Each sort link in the table's head: its label → (the aria-sort of its <th>, its href)."""
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    found = {}
    for cell in re.findall(r"<th\b[^>]*>.*?</th>", head, flags=re.S):
        aria = re.search(r'aria-sort="(\w+)"', cell.split(">", 1)[0])
        for href, label in re.findall(r'<a class="sort[^"]*" href="([^"]+)"[^>]*>([^<]+)<', cell):
            found[label] = (aria.group(1) if aria else None, href.replace("&amp;", "&"))
    return found


def test_every_column_that_sorts_has_a_header_link_that_keeps_the_filters(admin_client: FlaskClient, sample: Sample) -> None:
    html = admin_client.get(f"{LEADS}?status=new&q=an&limit=25").get_data(as_text=True)
    links = headers_of(html)
    assert set(links) == {"Name", "Status", "Source", "Form", "Ad", "Assigned", "Created"}
    # Sorted newest first: only Created says so; another column starts A to Z, Created turns.
    assert {label: aria for label, (aria, _) in links.items() if aria} == {"Created": "descending"}
    for _, href in links.values():
        args = parse_qs(urlsplit(href).query)
        assert args["status"] == ["new"] and args["q"] == ["an"] and args["limit"] == ["25"]
        assert "after" not in args and "before" not in args
    assert parse_qs(urlsplit(links["Name"][1]).query)["sort"] == ["full_name"]
    assert parse_qs(urlsplit(links["Form"][1]).query)["sort"] == ["lead_form_id"]
    assert parse_qs(urlsplit(links["Created"][1]).query)["sort"] == ["created_time"]
    assert 'title="Sort by name"' in html


def test_the_sorted_column_turns_and_says_which_way(admin_client: FlaskClient, sample: Sample) -> None:
    html = admin_client.get(f"{LEADS}?sort=full_name&order=created_time").get_data(as_text=True)
    links = headers_of(html)
    assert links["Name"][0] == "ascending" and links["Form"][0] is None
    turned = parse_qs(urlsplit(links["Name"][1]).query)
    assert turned["sort"] == ["-full_name"] and "order" not in turned
    assert "Sorted: Name, A to Z." in html
    assert re.search(r'class="sort sorted"[^>]*>Name<span class="sort-arrow" aria-hidden="true">↑</span>', html)
    # The first page in the new order, and the filter form keeps the sort (a menu on phones).
    names = re.findall(r'class="row-link" href="/admin/meta-ads/leads/(\d+)"', html)
    assert [int(n) for n in names] == expected(sample, "full_name")
    assert re.search(r'<option value="full_name" selected>Name, A to Z</option>', html)

    back = admin_client.get(f"{LEADS}?sort=-full_name").get_data(as_text=True)
    assert headers_of(back)["Name"][0] == "descending"
    assert "sort" not in parse_qs(urlsplit(headers_of(back)["Created"][1]).query)  # newest first is the default


def test_the_next_page_link_keeps_the_sort(admin_client: FlaskClient, sample: Sample) -> None:
    html = admin_client.get(f"{LEADS}?sort=assigned_to&limit=25").get_data(as_text=True)
    following = re.search(r'<a[^>]+href="([^"]+)"[^>]*rel="next"|rel="next"[^>]*href="([^"]+)"', html)
    assert following, "no link to the next page"
    href = (following.group(1) or following.group(2)).replace("&amp;", "&")
    rest = admin_client.get(href).get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'class="row-link" href="/admin/meta-ads/leads/(\d+)"', html + rest)]
    assert shown == expected(sample, "assigned_to")


def test_an_export_link_page_names_its_sort(admin_client: FlaskClient, api_headers: dict[str, str], sample: Sample) -> None:
    made = admin_client.post(f"{LEADS}/export?sort=-ad_name", json={"mode": "link"}, headers=api_headers)
    assert made.status_code == 202
    export = made.get_json()["export"]
    assert export["filters"]["sort"] == "-ad_name"
    page = admin_client.get(f"{LEADS}/exports/{export['id']}").get_data(as_text=True)
    assert "Sorted by" in page and "Ad, Z to A" in page


# --- indexes -----------------------------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.parametrize("sort", VALUES)
def test_postgresql_reads_every_page_of_every_sort_from_an_index(
    client: FlaskClient, api_headers: dict[str, str], sample: Sample, sort: str
) -> None:
    """Each query that reads a page (ORDER BY … LIMIT on the leads), on the first page and on one
    reached by a cursor, planned with sorting and sequential scans priced out: a plan that still
    sorts means no index gives that order (PostgreSQL falls back to a disabled plan only then)."""
    db.session.execute(sa.text("ANALYZE metaads_leads"))
    db.session.commit()
    statements = page_reads(client, api_headers, f"sort={sort}&limit={PAGE}")
    assert statements
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cur:
            for setting in ("enable_sort", "enable_incremental_sort", "enable_seqscan"):
                cur.execute(f"SET {setting} = off")
            for statement, parameters in statements:
                cur.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(line for (line,) in cur.fetchall())
                assert "Sort" not in plan and "Index" in plan, f"{sort}: {statement}\n{plan}"


def page_reads(client: FlaskClient, headers: dict[str, str], query: str) -> list[tuple[str, t.Any]]:
    """The statements that read rows of a page: the first page's and the next page's."""
    seen: list[tuple[str, t.Any]] = []

    def record(conn: t.Any, cursor: t.Any, statement: str, parameters: t.Any, context: t.Any, executemany: bool) -> None:
        if "FROM metaads_leads" in statement and "ORDER BY" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        first = answer(client, headers, query)
        answer(client, headers, f"{query}&after={first['next_cursor']}")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_the_sort_indexes_exist_on_both_databases(app: Flask) -> None:
    """SQLite's reflection cannot compare indexes on expressions (tests/core/test_migrations.py
    compares them on PostgreSQL), so their presence is checked here."""
    if db.engine.dialect.name == "sqlite":
        listed = sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'metaads_leads'")
        names = set(db.session.execute(listed).scalars())
    else:
        names = {str(index["name"]) for index in sa.inspect(db.engine).get_indexes("metaads_leads")}
    assert {
        "ix_metaads_leads_name_sort",
        "ix_metaads_leads_ad_name_sort",
        "ix_metaads_leads_platform_sort",
        "ix_metaads_leads_form_created",
        "ix_metaads_leads_status_created",
        "ix_metaads_leads_assigned_created",
    } <= names


def test_sqlite_orders_a_name_page_from_its_index(app: Flask) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner")
    from metaads.leads.sorting import NAME_KEY

    query = sa.select(Lead.id).where(NAME_KEY.is_not(None)).order_by(NAME_KEY, Lead.created_time, Lead.id).limit(5)
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = " ".join(str(row[-1]) for row in db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_metaads_leads_name_sort" in plan and "TEMP B-TREE" not in plan, plan


def test_every_field_has_a_label_and_a_header() -> None:
    from metaads.leads.sorting import LABELS

    assert set(LABELS) == set(FIELDS)
