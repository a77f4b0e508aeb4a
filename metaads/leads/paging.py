"""Keyset paging over leads on (created_time, id), and counts that stop at a cap.

OFFSET makes the database walk past every skipped row, so page 20,000 of a million leads costs
as much as reading them all. A keyset page starts *at* the last row seen instead: with an index
ending in (created_time, id) every page costs the same, however deep.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import typing as t

import sqlalchemy as sa

from metaads.models import Lead
from metaads.models.enums import LeadStatus
from plugins.core.extensions import db

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_CURSOR = re.compile(r"(-?\d{1,18})_(\d{1,18})")


@dataclasses.dataclass(frozen=True)
class Cursor:
    """A position in the list: the (created_time, id) of a row. Written as ``<µs since 1970>_<id>``,
    exact to the microsecond, URL-safe and short."""

    created_time: dt.datetime
    id: int

    @classmethod
    def of(cls, lead: Lead) -> Cursor:
        return cls(lead.created_time, lead.id)

    @classmethod
    def decode(cls, text: str) -> Cursor:
        match = _CURSOR.fullmatch(text.strip())
        if not match:
            raise ValueError("not a cursor")
        return cls(EPOCH + dt.timedelta(microseconds=int(match.group(1))), int(match.group(2)))

    def encode(self) -> str:
        micros = (self.created_time - EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}_{self.id}"


@dataclasses.dataclass(frozen=True)
class Page:
    rows: list[Lead]
    next_cursor: str | None
    previous_cursor: str | None


def keyset_page(
    query: sa.Select[t.Any],
    *,
    newest_first: bool,
    limit: int,
    offset: int = 0,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> Page:
    """One page of ``query`` (which selects ``Lead``): the rows after ``after``, or the rows just
    before ``before``, or (neither) the rows from ``offset``. One extra row is read to learn
    whether there is a next page."""
    backwards = before is not None
    descending = newest_first != backwards  # a previous page is read in the opposite direction
    cursor = before or after
    if cursor is not None:
        key, bound = sa.tuple_(Lead.created_time, Lead.id), (cursor.created_time, cursor.id)
        query = query.where(key < bound if descending else key > bound)
    order = (Lead.created_time.desc(), Lead.id.desc()) if descending else (Lead.created_time.asc(), Lead.id.asc())
    rows = list(db.session.execute(query.order_by(*order).limit(limit + 1).offset(offset)).scalars())
    more, rows = len(rows) > limit, rows[:limit]
    if backwards:
        rows.reverse()
    has_next = True if backwards else more
    has_previous = more if backwards else (after is not None or offset > 0)
    return Page(
        rows=rows,
        next_cursor=Cursor.of(rows[-1]).encode() if rows and has_next else None,
        previous_cursor=Cursor.of(rows[0]).encode() if rows and has_previous else None,
    )


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
