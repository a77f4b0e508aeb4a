"""Leads as CSV: streamed in constant memory, whatever the number of rows.

Two formats. ``readable`` (the default) is what a sales team opens in a spreadsheet: headers in
words ("Created (UTC)", "Assigned to"), names instead of ids (form, page, assignee, Facebook /
Instagram), one column per question headed by its label (questions with the same label on
several forms share a column) with multiple-choice answers by their labels, and no internal
columns. ``full`` is the complete dump described below, for imports and audits.

Full columns: one per seed field of the lead (plus ``phone_digits``), then one per question of the
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

from metaads.answers import (
    EMAIL_KEYS,
    FIRST_NAME_KEYS,
    FULL_NAME_KEYS,
    LAST_NAME_KEYS,
    PHONE_KEYS,
    answers_by_key,
    option_labels,
    questions_by_key,
)
from metaads.leads.filters import LeadFilters
from metaads.leads.sorting import in_order
from metaads.models import Lead, LeadActivity, LeadForm
from plugins.accounts.models import User
from plugins.core.extensions import db
from plugins.socials.models import SocialPage

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
#: Standard questions whose answers are already the lead's name, email and phone columns.
CONTACT_KEYS = frozenset((*EMAIL_KEYS, *PHONE_KEYS, *FULL_NAME_KEYS, *FIRST_NAME_KEYS, *LAST_NAME_KEYS))
SEED_AT = {name: index for index, (name, _) in enumerate(SEED_COLUMNS)}
FORMATS = ("readable", "full")
PLATFORMS = {"fb": "Facebook", "ig": "Instagram", "an": "Audience Network", "ms": "Messenger"}
#: The readable format's lead columns: (header, seed field, how its value reads). Answers follow.
READABLE_COLUMNS: list[tuple[str, str, str]] = [
    ("Lead ID", "id", "text"),
    ("Created (UTC)", "created_time", "text"),
    ("Status", "status", "status"),
    ("Full name", "full_name", "text"),
    ("First name", "first_name", "text"),
    ("Last name", "last_name", "text"),
    ("Email", "email", "text"),
    ("Phone", "phone", "text"),
    ("Phone (digits)", "phone", "digits"),
    ("Source", "platform", "platform"),
    ("Form", "lead_form_id", "form"),
    ("Page", "page_id", "page"),
    ("Campaign", "campaign_name", "text"),
    ("Ad set", "adset_name", "text"),
    ("Ad", "ad_name", "text"),
    ("Organic", "is_organic", "yes_no"),
    ("Assigned to", "assigned_to", "user"),
    ("Contacted (UTC)", "contacted_at", "text"),
    ("Converted (UTC)", "converted_at", "text"),
    ("Notes", "notes", "text"),
]


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
    format: str = "full"
    #: Readable format: names by id, for forms, pages and users (read once, when prepared).
    names: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    #: Readable format: the question columns, as (label, its keys, option labels by key).
    questions: list[tuple[str, list[str], dict[str, str]]] = dataclasses.field(default_factory=list)

    @classmethod
    def prepare(cls, filters: LeadFilters, *, bom: bool = False, format: str = "readable") -> CsvExport:
        forms = matched_forms(filters)
        keys = list(dict.fromkeys(key for form in forms for key in questions_by_key(form)))
        if format == "full":
            return cls(filters=filters, question_keys=keys, bom=bom)
        return cls(
            filters=filters,
            question_keys=keys,
            bom=bom,
            format="readable",
            names=readable_names(forms),
            questions=question_columns(forms),
        )

    @property
    def header(self) -> list[str]:
        if self.format == "readable":
            return [*(header for header, _, _ in READABLE_COLUMNS), *(label for label, _, _ in self.questions), "Other answers"]
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
        if self.format == "readable":
            return self.readable_cells(row)
        *seed, field_data = row
        cells = [neutralise(value) if value else "" for value in seed]
        cells.insert(PHONE_AT + 1, phone_digits(seed[PHONE_AT]))
        data = json.loads(field_data) if field_data else None
        try:
            cells += self.answer_cells(meta_answers(data))
        except (TypeError, KeyError, AttributeError):
            cells += self.answer_cells(answers_by_key(data))  # not Meta's shape: read it tolerantly
        return cells

    def readable_cells(self, row: t.Sequence[t.Any]) -> list[str]:
        *seed, field_data = row
        cells = [neutralise(self.readable(seed[SEED_AT[field]], how)) for _, field, how in READABLE_COLUMNS]
        data = json.loads(field_data) if field_data else None
        answers = {key: values for key, values in answers_by_key(data).items() if key not in CONTACT_KEYS}
        for _, keys, labels in self.questions:
            values = [labels.get(value, value) for key in keys for value in answers.pop(key, ())]
            cells.append(neutralise(MULTI_VALUE_SEPARATOR.join(values)))
        cells.append(neutralise(json.dumps(answers, ensure_ascii=False, separators=(",", ":"))) if answers else "")
        return cells

    def readable(self, value: str | None, how: str) -> str:
        if not value:
            return ""
        match how:
            case "status":
                return value.capitalize()
            case "digits":
                return phone_digits(value)
            case "platform":
                return PLATFORMS.get(value, value)
            case "yes_no":
                return "Yes" if value == "true" else "No"
            case "form" | "page" | "user":
                return self.names[how].get(value, value)
        return value

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
    cells = [cell for _, cell in SEED_COLUMNS]
    query = in_order(sa.select(*cells, as_text(_c.field_data)).where(*filters.conditions()), filters.sort)
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


def matched_forms(filters: LeadFilters) -> list[LeadForm]:
    """The forms whose leads the filters match, in id order."""
    if filters.lead_form_id is not None:
        form_ids = [filters.lead_form_id]
    else:
        matched = sa.select(Lead.lead_form_id).where(*filters.conditions(), Lead.lead_form_id.is_not(None)).distinct()
        form_ids = [form_id for form_id in db.session.execute(matched).scalars() if form_id is not None]
    return list(db.session.execute(sa.select(LeadForm).where(LeadForm.id.in_(form_ids)).order_by(LeadForm.id)).scalars())


def question_keys(filters: LeadFilters) -> list[str]:
    """The union of the question keys of the forms whose leads the filters match."""
    return list(dict.fromkeys(key for form in matched_forms(filters) for key in questions_by_key(form)))


def question_columns(forms: t.Iterable[LeadForm]) -> list[tuple[str, list[str], dict[str, str]]]:
    """One column per question label (the same label on two forms is one column), with the keys
    it gathers and the option labels of its multiple-choice keys; name, email and phone questions
    are left out (the lead's own columns hold them)."""
    columns: dict[str, tuple[list[str], dict[str, str]]] = {}
    taken = {header for header, _, _ in READABLE_COLUMNS}
    for form in forms:
        for key, question in questions_by_key(form).items():
            if key in CONTACT_KEYS:
                continue  # already the lead's own columns
            label = str(question.get("label") or key.replace("_", " ").capitalize())
            label = f"{label} (answer)" if label in taken else label
            keys, labels = columns.setdefault(label, ([], {}))
            if key not in keys:
                keys.append(key)
            labels.update(option_labels(question))
    return [(label, keys, labels) for label, (keys, labels) in columns.items()]


def readable_names(forms: t.Iterable[LeadForm]) -> dict[str, dict[str, str]]:
    """Names by id (as the export's cells hold them: text) for forms, pages and users."""
    pages = db.session.execute(sa.select(SocialPage.page_id, SocialPage.name)).all()
    users = db.session.execute(sa.select(User)).scalars()
    return {
        "form": {str(form.id): form.name for form in forms},
        "page": {page_id: name for page_id, name in pages},
        "user": {str(user.id): user.display_name for user in users},
    }


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
