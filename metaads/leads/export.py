"""Leads as CSV: streamed in constant memory, whatever the number of rows.

Columns: one per seed field of the lead (plus ``phone_digits``), then one per question of the
forms the filters match (``answer:<question key>``, the union over those forms, in form then
question order), then ``other_answers``: a JSON object of answers to keys no form lists (a
question since removed from its form), so nothing a person answered is left out.

Formula injection (reliability.md §3.7): a cell that starts with ``=`` ``+`` ``-`` ``@``, TAB, CR,
LF or NUL is prefixed with ``'`` so spreadsheets show it as text. A cell that already starts with
``'`` gets one too, so *removing one leading ``'`` always restores the exact value*. Quoting
follows RFC 4180 (Python's ``csv``: CRLF line ends, ``"`` doubled).

Phone numbers: E.164 starts with ``+``, so ``phone`` comes out as ``'+4915112345678`` like any
other cell that starts with a trigger — we do not exempt the column, because the person filling in
the form controls it. ``phone_digits`` carries the same number without its ``+``
(``4915112345678``): digits never need neutralising, so that column imports into a spreadsheet or
CRM as is (put the ``+`` back in front to dial).

Multiple-choice answers are joined with ``"; "`` in their ``answer:`` cell.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import typing as t
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from metaads.capture.answers import answers_by_key
from metaads.leads.answers import questions_by_key
from metaads.leads.filters import LeadFilters
from metaads.models import Lead, LeadActivity, LeadForm
from plugins.core.extensions import db

FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\0")
ESCAPE = "'"
NEEDS_ESCAPE = FORMULA_TRIGGERS | {ESCAPE}
BOM = "\ufeff"
#: Rows fetched from the database at a time (a server-side cursor on PostgreSQL).
BATCH = 5_000
#: Bytes of CSV gathered before a chunk is sent.
CHUNK = 256 * 1024
MULTI_VALUE_SEPARATOR = "; "


class utc_iso(sa.sql.functions.GenericFunction[str]):
    """A UTC time rendered by the database as ISO 8601 to the second: ``2026-03-14T09:26:05Z``."""

    type = sa.String()
    inherit_cache = True


@compiles(utc_iso, "postgresql")
def _utc_iso_postgresql(element: utc_iso, compiler: t.Any, **kw: t.Any) -> str:
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


@compiles(utc_iso, "sqlite")
def _utc_iso_sqlite(element: utc_iso, compiler: t.Any, **kw: t.Any) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {compiler.process(element.clauses, **kw)})"


def as_text(column: sa.ColumnElement[t.Any]) -> sa.ColumnElement[t.Any]:
    return sa.cast(column, sa.Text)


def as_bool(column: sa.ColumnElement[t.Any]) -> sa.ColumnElement[t.Any]:
    return sa.case((column.is_(True), "true"), (column.is_(False), "false"))


_c = Lead.__table__.c
#: (header, cell) for every seed field: the header is the seed's (and LeadSchema's) name, the
#: cell the value rendered as text *by the database*. A million rows of 36 cells make every
#: Python call per cell count, so the export reads plain strings (see ``fetch_batches``).
SEED_COLUMNS: list[tuple[str, sa.ColumnElement[t.Any]]] = [
    ("id", as_text(_c.id)),
    ("meta_lead_id", _c.meta_lead_id),
    ("created_time", utc_iso(_c.created_time)),
    ("status", as_text(_c.status)),
    ("full_name", _c.full_name),
    ("first_name", _c.first_name),
    ("last_name", _c.last_name),
    ("email", _c.email),
    ("phone", _c.phone),
    ("ad_id", _c.ad_id),
    ("ad_name", _c.ad_name),
    ("adset_id", _c.adset_id),
    ("adset_name", _c.adset_name),
    ("campaign_id", _c.campaign_id),
    ("campaign_name", _c.campaign_name),
    ("form_id", _c.form_id),
    ("lead_form_id", as_text(_c.lead_form_id)),
    ("page_id", _c.page_id),
    ("platform", _c.meta_platform),
    ("platform_id", as_text(_c.platform_id)),
    ("is_organic", as_bool(_c.is_organic)),
    ("source", as_text(_c.source)),
    ("notes", _c.notes),
    ("assigned_to", _c.assigned_to),
    ("contacted_at", utc_iso(_c.contacted_at)),
    ("converted_at", utc_iso(_c.converted_at)),
    ("person_id", as_text(_c.person_id)),
    ("erased_at", utc_iso(_c.erased_at)),
    ("metadata", as_text(_c.metadata)),
]
PHONE_AT = [name for name, _ in SEED_COLUMNS].index("phone")


def neutralise(cell: str) -> str:
    """Make ``cell`` safe to open in a spreadsheet; ``cell[1:]`` undoes it whenever it acted."""
    return ESCAPE + cell if cell and cell[0] in NEEDS_ESCAPE else cell


def restore(cell: str) -> str:
    """The exact value ``neutralise`` was given."""
    return cell[1:] if cell.startswith(ESCAPE) else cell


def phone_digits(phone: str | None) -> str:
    return phone[1:] if phone and phone.startswith("+") and phone[1:].isdigit() else ""


@dataclasses.dataclass
class CsvExport:
    """One export: its filters and columns are fixed when it is prepared; ``chunks()`` writes it."""

    filters: LeadFilters
    question_keys: list[str]
    bom: bool = False
    rows: int = 0

    @classmethod
    def prepare(cls, filters: LeadFilters, *, bom: bool = False) -> CsvExport:
        return cls(filters=filters, question_keys=question_keys(filters), bom=bom)

    @property
    def header(self) -> list[str]:
        names = [name for name, _ in SEED_COLUMNS]
        names.insert(PHONE_AT + 1, "phone_digits")
        return [*names, *(f"answer:{key}" for key in self.question_keys), "other_answers"]

    def chunks(self) -> t.Iterator[bytes]:
        """The file as UTF-8 chunks of about ``CHUNK`` bytes; ``rows`` counts what was written."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if self.bom:
            buffer.write(BOM)
        writer.writerow([neutralise(name) for name in self.header])
        for batch in fetch_batches(self.filters):
            writer.writerows([self.cells(row) for row in batch])
            self.rows += len(batch)
            if buffer.tell() >= CHUNK:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue().encode()

    def cells(self, row: t.Sequence[t.Any]) -> list[str]:
        *seed, field_data = row
        cells = [neutralise(value) if value else "" for value in seed]
        cells.insert(PHONE_AT + 1, phone_digits(seed[PHONE_AT]))
        data = json.loads(field_data) if field_data else None
        try:
            cells += self.answer_cells(meta_answers(data))
        except (TypeError, KeyError, AttributeError):
            cells += self.answer_cells(answers_by_key(data))  # not Meta's shape: read it tolerantly
        return cells

    def answer_cells(self, answers: dict[str, list[str]]) -> list[str]:
        """One cell per question column, then the other answers as JSON (``answers`` is used up)."""
        cells = [neutralise(MULTI_VALUE_SEPARATOR.join(answers.pop(key, ()))) for key in self.question_keys]
        cells.append(neutralise(json.dumps(answers, ensure_ascii=False, separators=(",", ":"))) if answers else "")
        return cells


def meta_answers(data: list[dict[str, t.Any]] | None) -> dict[str, list[str]]:
    """``{key: values}`` when ``data`` has Meta's shape; raises otherwise (a value that is not a
    string fails in the join)."""
    answers = {}
    for item in data or ():
        values = item["values"]
        if values.__class__ is not list:
            raise TypeError("values is not a list")
        answers[item["name"]] = values
    return answers


def fetch_batches(filters: LeadFilters) -> t.Iterator[t.Sequence[t.Sequence[t.Any]]]:
    """Matching rows in list order as tuples of strings (or None), ``BATCH`` at a time, from one
    query: a server-side cursor on PostgreSQL (one consistent snapshot, constant memory), the
    driver's lazy cursor on SQLite.

    SQLAlchemy builds and runs the query (the list's filters, bind types); the rows are then read
    from the driver's cursor itself: every cell is already text, so SQLAlchemy's row handling
    would only add 2–3 µs a row, a sixth of the whole export."""
    order = (_c.created_time.desc(), _c.id.desc()) if filters.newest_first else (_c.created_time, _c.id)
    cells = [cell for _, cell in SEED_COLUMNS]
    query = sa.select(*cells, as_text(_c.field_data)).where(*filters.conditions()).order_by(*order)
    result = db.session.connection().execute(query, execution_options={"stream_results": True})
    try:
        # A streaming result keeps the first row in its own buffer (it reads one to start): take
        # that one through the result, then the rest from the cursor, where it continues.
        first = result.fetchone()
        if first is None:
            return
        yield [tuple(first)]
        yield from read_ahead(lambda: result.cursor.fetchmany(BATCH))
    finally:
        result.close()  # a download cut short must not leave the cursor open


def read_ahead(fetch: t.Callable[[], t.Sequence[t.Any]]) -> t.Iterator[t.Sequence[t.Any]]:
    """What ``fetch`` returns until it returns nothing, the next batch being fetched in a thread
    while the caller formats this one: the database and Python work at the same time instead of
    by turns. One fetch is in flight at most, so at most two batches are in memory; when the
    caller stops early, the fetch in flight is waited for before the cursor is closed."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lead-export") as pool:
        pending = pool.submit(fetch)
        while batch := pending.result():
            pending = pool.submit(fetch)
            yield batch


def question_keys(filters: LeadFilters) -> list[str]:
    """The union of the question keys of the forms whose leads the filters match."""
    if filters.lead_form_id is not None:
        form_ids = [filters.lead_form_id]
    else:
        matched = sa.select(Lead.lead_form_id).where(*filters.conditions(), Lead.lead_form_id.is_not(None)).distinct()
        form_ids = [form_id for form_id in db.session.execute(matched).scalars() if form_id is not None]
    forms = db.session.execute(sa.select(LeadForm).where(LeadForm.id.in_(form_ids)).order_by(LeadForm.id)).scalars()
    return list(dict.fromkeys(key for form in forms for key in questions_by_key(form)))


def filename(now: dt.datetime) -> str:
    return f"leads-{now.astimezone(dt.UTC):%Y%m%d-%H%M%S}.csv"


def record_export(
    filters: LeadFilters, rows: int, actor_id: int | None, *, mode: str, completed: bool = True, export_id: str | None = None
) -> None:
    """The audit record of an export: who, which filters, how many rows. A search text may be
    personal data (an email address), so it is noted as present, never written down."""
    logged = filters.as_args()
    if "q" in logged:
        logged["q"] = "[search text not logged]"
    details: dict[str, t.Any] = {"filters": logged, "rows": rows, "mode": mode, "completed": completed}
    if export_id:
        details["export_id"] = export_id
    db.session.add(LeadActivity(lead_id=None, action="exported", actor_user_id=actor_id, details=details))
