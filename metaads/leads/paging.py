"""Keyset paging over leads in any of the list's sorts, and counts that stop at a cap.

OFFSET makes the database walk past every skipped row, so page 20,000 of a million leads costs
as much as reading them all. A keyset page starts *at* the last row seen instead: with an index
ending in the sort's key, ``created_time`` and ``id``, every page costs the same, however deep.
A sort is read segment by segment (``metaads.leads.sorting``): a page reads on from its cursor's
segment into the next ones until it is full, asking first which of the next segments hold rows.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import re
import typing as t

import sqlalchemy as sa
from marshmallow import ValidationError

from metaads.leads.sorting import CREATED, FIELDS, Ordering, Segment, direction, in_order
from metaads.models import Lead
from metaads.models.enums import LeadStatus
from plugins.core.extensions import db

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: ``<µs>_<id>`` (newest or oldest first), or ``<field>~<segment>~<value>~<µs>_<id>`` (other sorts).
_CURSOR = re.compile(
    r"(?:(?P<field>[a-z_]{1,20})~(?P<segment>[a-z0-9_]{0,40})~(?:s(?P<value>[A-Za-z0-9_-]{0,800}))?~)?"
    r"(?P<micros>-?\d{1,18})_(?P<id>\d{1,18})"
)
#: How many following segments one query asks about (whether any of their rows match).
PROBE = 50


@dataclasses.dataclass(frozen=True)
class Cursor:
    """A position in the list: a row's place in its sort: the sort's field, the segment the row
    is in and its value there (see ``metaads.leads.sorting``), its created_time and id. Exact to
    the microsecond, URL-safe; in the default sort as short as ``<µs since 1970>_<id>``."""

    created_time: dt.datetime
    id: int
    field: str = CREATED
    segment: str = ""
    value: str | None = None

    @classmethod
    def decode(cls, text: str) -> Cursor:
        match = _CURSOR.fullmatch(text.strip())
        if not match or (match["field"] or CREATED) not in FIELDS:
            raise ValueError("not a cursor")
        value = match["value"]
        try:
            decoded = None if value is None else base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("not a cursor") from None
        return cls(
            created_time=EPOCH + dt.timedelta(microseconds=int(match["micros"])),
            id=int(match["id"]),
            field=match["field"] or CREATED,
            segment=match["segment"] or "",
            value=decoded,
        )

    def encode(self) -> str:
        micros = (self.created_time - EPOCH) // dt.timedelta(microseconds=1)
        if self.field == CREATED:
            return f"{micros}_{self.id}"
        value = "" if self.value is None else "s" + base64.urlsafe_b64encode(self.value.encode()).decode().rstrip("=")
        return f"{self.field}~{self.segment}~{value}~{micros}_{self.id}"


def check_cursor(ordering: Ordering, cursor: Cursor | None, argument: str) -> None:
    """Raises ValidationError (a 400 naming ``argument``) for a cursor that is no position in
    this order: written for another sort, or in a segment that is gone (a deleted form)."""
    if cursor is None:
        return
    if cursor.field != ordering.sort.field:
        raise ValidationError({argument: [f"This cursor belongs to the list sorted by {cursor.field}; pass that sort with it."]})
    segment = next((s for s in ordering.segments if s.token == cursor.segment), None)
    if segment is None or (segment.key is None) != (cursor.value is None):
        raise ValidationError({argument: ["This cursor no longer matches the list (its form or user is gone); start again."]})


@dataclasses.dataclass(frozen=True)
class Page:
    rows: list[Lead]
    next_cursor: str | None
    previous_cursor: str | None


def keyset_page(
    conditions: t.Sequence[sa.ColumnElement[bool]],
    ordering: Ordering,
    *,
    limit: int,
    offset: int = 0,
    after: Cursor | None = None,
    before: Cursor | None = None,
    options: t.Sequence[t.Any] = (),
) -> Page:
    """One page of the leads matching ``conditions``: the rows after ``after``, or the rows just
    before ``before``, or (neither) the rows from ``offset``. One extra row is read to learn
    whether there is a next page. The cursors must have passed ``check_cursor``."""
    backwards = before is not None
    cursor = before or after
    if offset:
        found = read_from_offset(conditions, ordering, limit + 1, offset, options)
    else:
        found = walk(conditions, ordering, limit + 1, cursor, backwards=backwards, options=options)
    more, found = len(found) > limit, found[:limit]
    if backwards:
        found.reverse()
    has_next = True if backwards else more
    has_previous = more if backwards else (after is not None or offset > 0)
    return Page(
        rows=[lead for lead, _ in found],
        next_cursor=position(ordering, *found[-1]).encode() if found and has_next else None,
        previous_cursor=position(ordering, *found[0]).encode() if found and has_previous else None,
    )


def position(ordering: Ordering, lead: Lead, value: t.Any) -> Cursor:
    segment, key = ordering.sorter.locate(lead, value, ordering.tokens)
    return Cursor(lead.created_time, lead.id, ordering.sort.field, segment, key)


Found = list[tuple[Lead, t.Any]]


def walk(
    conditions: t.Sequence[sa.ColumnElement[bool]],
    ordering: Ordering,
    need: int,
    cursor: Cursor | None,
    *,
    backwards: bool,
    options: t.Sequence[t.Any],
) -> Found:
    """Up to ``need`` rows from ``cursor`` on (or from the start), segment after segment, in the
    sort's direction (or against it, ``backwards``, for a previous page)."""
    segments = ordering.segments[::-1] if backwards else ordering.segments
    descending = ordering.sort.descending != backwards
    start = next(n for n, s in enumerate(segments) if s.token == cursor.segment) if cursor else 0
    found = read(conditions, ordering, segments[start], need, descending, cursor, options)
    following = segments[start + 1 :]
    while following and len(found) < need:
        batch, following = following[:PROBE], following[PROBE:]
        for segment in holding_rows(conditions, batch):
            found += read(conditions, ordering, segment, need - len(found), descending, None, options)
            if len(found) >= need:
                break
    return found


def holding_rows(conditions: t.Sequence[sa.ColumnElement[bool]], segments: list[Segment]) -> list[Segment]:
    """The segments with at least one matching row, asked in one query (each an index probe that
    stops at its first row), so a sort by form does not read hundreds of empty forms one by one."""
    if len(segments) == 1:
        return segments
    probes = [sa.exists().where(*conditions, segment.where) for segment in segments]
    holding = db.session.execute(sa.select(*probes)).one()
    return [segment for segment, has_rows in zip(segments, holding, strict=True) if has_rows]


def read(
    conditions: t.Sequence[sa.ColumnElement[bool]],
    ordering: Ordering,
    segment: Segment,
    limit: int,
    descending: bool,
    cursor: Cursor | None,
    options: t.Sequence[t.Any],
) -> Found:
    """The first ``limit`` rows of one segment, after ``cursor`` when it is in this segment."""
    columns = [*([segment.key] if segment.key is not None else []), Lead.created_time, Lead.id]
    query = sa.select(Lead, value_column(ordering)).where(*conditions, segment.where)
    if cursor is not None:
        bound = [*([cursor.value] if segment.key is not None else []), cursor.created_time, cursor.id]
        key, start = sa.tuple_(*columns), sa.tuple_(*bound)
        query = query.where(key < start if descending else key > start)
    query = query.order_by(*(direction(column, descending) for column in columns)).limit(limit).options(*options)
    return [(lead, value) for lead, value in db.session.execute(query).all()]


def read_from_offset(
    conditions: t.Sequence[sa.ColumnElement[bool]], ordering: Ordering, limit: int, offset: int, options: t.Sequence[t.Any]
) -> Found:
    """Rows by offset: the whole order as one ORDER BY (the database reads every skipped row)."""
    query = in_order(sa.select(Lead, value_column(ordering)).where(*conditions), ordering.sort)
    return [(lead, value) for lead, value in db.session.execute(query.limit(limit).offset(offset).options(*options)).all()]


def value_column(ordering: Ordering) -> sa.ColumnElement[t.Any]:
    """What a row's cursor needs besides the row: its value of the sort's key, as the database
    computes it (SQLite and PostgreSQL fold case differently), or nothing."""
    key = ordering.sorter.key
    return (key if key is not None else sa.null()).label("sort_value")


@dataclasses.dataclass(frozen=True)
class Counts:
    """``total`` and ``by_status`` each stop at ``cap``. ``total_is_estimate`` says the total did,
    so it is a lower bound ("10,000+"); ``capped_statuses`` says the same of each status."""

    total: int
    total_is_estimate: bool
    by_status: dict[str, int]
    capped_statuses: frozenset[str]
    cap: int


def capped_count(conditions: t.Sequence[sa.ColumnElement[bool]], cap: int) -> sa.ScalarSelect[int]:
    """``count(*)`` of at most ``cap + 1`` matching rows: it costs at most that many index entries,
    where an exact count of a million rows reads them all."""
    matching = sa.select(sa.literal(1)).select_from(Lead).where(*conditions).limit(cap + 1).subquery()
    return sa.select(sa.func.count()).select_from(matching).scalar_subquery()


def count_leads(
    conditions: t.Sequence[sa.ColumnElement[bool]],
    status_free_conditions: t.Sequence[sa.ColumnElement[bool]],
    cap: int,
    *,
    selected: t.Sequence[LeadStatus] = (),
    one_scan: bool = False,
) -> Counts:
    """The capped total under ``conditions``, and per status under ``status_free_conditions`` (the
    same filters without the status one: the tabs show what each status would give). One query.

    With indexes a capped count per status is cheapest (each reads at most ``cap + 1`` index
    entries). When no index can answer the filters (``one_scan``: a free-text search), each of
    those counts would read the whole table, so the statuses are counted in one pass instead."""
    if one_scan:
        return count_in_one_scan(status_free_conditions, cap, selected)
    statuses = list(LeadStatus)
    columns = [capped_count(conditions, cap)]
    columns += [capped_count([*status_free_conditions, Lead.status == status], cap) for status in statuses]
    total, *per_status = db.session.execute(sa.select(*columns)).one()
    return Counts(
        total=min(total, cap),
        total_is_estimate=total > cap,
        by_status={status.value: min(n, cap) for status, n in zip(statuses, per_status, strict=True)},
        capped_statuses=frozenset(s.value for s, n in zip(statuses, per_status, strict=True) if n > cap),
        cap=cap,
    )


def count_in_one_scan(
    status_free_conditions: t.Sequence[sa.ColumnElement[bool]], cap: int, selected: t.Sequence[LeadStatus]
) -> Counts:
    """Counts per status among the first ``cap + 1`` matching rows: exact when fewer match, else
    every count is a lower bound (flagged as capped)."""
    matching = sa.select(Lead.status).where(*status_free_conditions).limit(cap + 1).subquery()
    counted: dict[str, int] = dict(
        db.session.execute(sa.select(matching.c.status, sa.func.count()).group_by(matching.c.status)).all()
    )
    by_status = {status.value: int(counted.get(status.value, 0)) for status in LeadStatus}
    stopped = sum(by_status.values()) > cap
    total = sum(by_status[status.value] for status in selected) if selected else sum(by_status.values())
    return Counts(
        total=min(total, cap),
        total_is_estimate=stopped or total > cap,
        by_status={status: min(n, cap) for status, n in by_status.items()},
        capped_statuses=frozenset(by_status) if stopped else frozenset(),
        cap=cap,
    )
