"""How the leads list can be sorted, as SQL that an index can answer page by page.

``sort`` names a lead field, ``-`` in front for descending: ``-created_time`` (newest first, the
default), ``full_name``, ``status``, ``assigned_to``, ``platform``, ``ad_name``, ``lead_form_id``.
Rows with the same value come in ``created_time`` order, then by ``id``, in the sort's direction,
so the order is total and a cursor can resume it exactly. Leads without a value (no name, no ad
name, nobody assigned, no form) come last in both directions, on PostgreSQL and SQLite alike.

What each field sorts by is what the list shows for it:

- ``full_name``, ``ad_name``: the text, ignoring case (the first ``TEXT_PREFIX`` characters: a
  longer value is ordered among its equals by time);
- ``platform``: Meta's code, a missing one counting as ``fb`` as the list shows it (Facebook);
- ``status``: the workflow's order, new → contacted → qualified → converted → disqualified →
  archived, not the alphabet;
- ``assigned_to``, ``lead_form_id``: the user's and the form's *name* (then their id).

An ``ORDER BY`` over a join (a user's name) or with ``NULLS LAST`` both ways cannot be read from
one index. So a sort is a list of **segments**, each a set of rows ordered by an index: "has a
name" then "has none"; or one segment per user, in their names' order, each read from the index on
``(assigned_to, created_time, id)``. A page reads the segment its cursor is in from there on, and
the following segments until it is full (``metaads.leads.paging``). ``in_order`` is the same
order as one ``ORDER BY``, for an offset and the CSV export, which read rows the index cannot skip
anyway.
"""

from __future__ import annotations

import dataclasses
import itertools
import typing as t

import sqlalchemy as sa

from metaads.models import Lead, LeadForm
from metaads.models.enums import LeadStatus
from plugins.accounts.models import User
from plugins.core.extensions import db

#: How many characters of a name are compared: an index entry must stay small whatever Meta sends.
TEXT_PREFIX = 100
CREATED = "created_time"
#: Every field the list sorts by, in the order its columns show them.
FIELDS = ("full_name", "status", "platform", "ad_name", "lead_form_id", "assigned_to", CREATED)
#: Accepted values of ``sort``: each field, ascending or descending.
VALUES = [prefix + field for field in FIELDS for prefix in ("", "-")]
#: The segment of the rows without a value, last in either direction.
NONE = "n"
#: The rows with a value, in a sort by value.
VALUED = "v"
#: Assigned to a user id that names no user: after the named ones.
UNKNOWN = "o"

#: What people read for each sort, ascending and descending.
LABELS = {
    "full_name": ("Name, A to Z", "Name, Z to A"),
    "status": ("Status, new to archived", "Status, archived to new"),
    "platform": ("Source, A to Z", "Source, Z to A"),
    "ad_name": ("Ad, A to Z", "Ad, Z to A"),
    "lead_form_id": ("Form, A to Z", "Form, Z to A"),
    "assigned_to": ("Assignee, A to Z", "Assignee, Z to A"),
    CREATED: ("Oldest first", "Newest first"),
}


def folded(column: t.Any) -> sa.ColumnElement[str]:
    """``lower(substr(column, 1, 100))``: written with literal numbers so PostgreSQL matches the
    expression to the index built on it (a bound parameter would not match)."""
    return sa.func.lower(sa.func.substr(column, sa.literal_column("1"), sa.literal_column(str(TEXT_PREFIX))))


#: The expressions the indexes ``ix_metaads_leads_*_sort`` are built on (see the Lead model).
NAME_KEY = folded(Lead.full_name)
AD_KEY = folded(Lead.ad_name)
PLATFORM_KEY = sa.func.coalesce(Lead.meta_platform, sa.literal_column("'fb'"))


@dataclasses.dataclass(frozen=True)
class LeadSort:
    field: str = CREATED
    descending: bool = True

    @classmethod
    def parse(cls, text: str) -> LeadSort:
        """``-full_name`` → full_name, descending; raises ValueError for anything else."""
        if text not in VALUES:
            raise ValueError(f"not a sort: {text!r}")
        return cls(text.lstrip("-"), text.startswith("-"))

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.field

    @property
    def label(self) -> str:
        return LABELS[self.field][self.descending]

    def toggled(self) -> LeadSort:
        return dataclasses.replace(self, descending=not self.descending)


DEFAULT = LeadSort()


@dataclasses.dataclass(frozen=True)
class Segment:
    """Rows matching ``where``, ordered by ``(key, created_time, id)`` (or ``(created_time, id)``
    when ``key`` is None); ``token`` names it in a cursor."""

    token: str
    where: sa.ColumnElement[bool]
    key: sa.SQLColumnExpression[t.Any] | None = None
    #: A segment that is one value of a column (a user, a form, a status): many of them may be
    #: empty under the filters, so the pager asks which hold rows before reading them.
    group: bool = False


class Sorter(t.Protocol):
    """What a field's sort provides (one per field in ``SORTERS``)."""

    @property
    def key(self) -> sa.SQLColumnExpression[t.Any] | None:
        """The expression read with each row to write a cursor (None: the segment alone says it)."""
        ...

    def segments(self, descending: bool) -> list[Segment]:
        """The whole order, segment by segment, for this direction."""
        ...

    def locate(self, lead: Lead, value: t.Any, known: t.Container[str]) -> tuple[str, str | None]:
        """Where ``lead`` is: its segment's token (one of ``known``) and, when its segment has a
        key, its value there (``value``: ``key`` as the database read it with the row)."""
        ...

    def ordered(self, query: sa.Select[t.Any], descending: bool) -> sa.Select[t.Any]:
        """``query`` (which selects from leads) in this order as one ORDER BY."""
        ...


def tie_break(descending: bool) -> list[sa.ColumnElement[t.Any]]:
    return [Lead.created_time.desc(), Lead.id.desc()] if descending else [Lead.created_time.asc(), Lead.id.asc()]


def direction(column: sa.SQLColumnExpression[t.Any], descending: bool) -> sa.UnaryExpression[t.Any]:
    return column.desc() if descending else column.asc()


class ByCreated:
    key = None

    def segments(self, descending: bool) -> list[Segment]:
        return [Segment("", sa.true())]

    def locate(self, lead: Lead, value: t.Any, known: t.Container[str]) -> tuple[str, str | None]:
        return "", None

    def ordered(self, query: sa.Select[t.Any], descending: bool) -> sa.Select[t.Any]:
        return query.order_by(*tie_break(descending))


@dataclasses.dataclass(frozen=True)
class ByValue:
    """A value of the lead itself (indexed with created_time and id); without one, last."""

    key: sa.SQLColumnExpression[t.Any]
    nullable: bool = True

    def segments(self, descending: bool) -> list[Segment]:
        if not self.nullable:
            return [Segment(VALUED, sa.true(), self.key)]
        return [Segment(VALUED, self.key.is_not(None), self.key), Segment(NONE, self.key.is_(None))]

    def locate(self, lead: Lead, value: t.Any, known: t.Container[str]) -> tuple[str, str | None]:
        return (NONE, None) if value is None else (VALUED, str(value))

    def ordered(self, query: sa.Select[t.Any], descending: bool) -> sa.Select[t.Any]:
        return query.order_by(direction(self.key, descending).nulls_last(), *tie_break(descending))


class ByStatus:
    """The workflow's order: one segment per status, each read from (status, created_time, id)."""

    key = None
    order: t.ClassVar[list[LeadStatus]] = list(LeadStatus)

    def segments(self, descending: bool) -> list[Segment]:
        statuses = reversed(self.order) if descending else self.order
        return [Segment(status.value, Lead.status == status, group=True) for status in statuses]

    def locate(self, lead: Lead, value: t.Any, known: t.Container[str]) -> tuple[str, str | None]:
        return LeadStatus(lead.status).value, None

    def ordered(self, query: sa.Select[t.Any], descending: bool) -> sa.Select[t.Any]:
        rank = sa.case({status: n for n, status in enumerate(self.order)}, value=Lead.status)
        return query.order_by(direction(rank, descending), *tie_break(descending))


@dataclasses.dataclass(frozen=True)
class ByName:
    """A lead column that holds the id of a named row (a user, a form): one segment per row, in
    the order of its name, then (``unknown``) the values that name no row, then the leads with none."""

    column: sa.SQLColumnExpression[t.Any]  # the lead's (its value is the key of those naming no row)
    table: t.Any  # the model of the named rows
    name: sa.SQLColumnExpression[str]
    #: The joined row's id as the lead column holds it (assigned_to holds a user id as text).
    joined_id: sa.SQLColumnExpression[t.Any]
    unknown: bool

    @property
    def key(self) -> sa.SQLColumnExpression[t.Any]:
        return self.column

    def groups(self) -> list[t.Any]:
        """The ids of the named rows, ordered by name (ignoring case), then id."""
        order = sa.select(self.joined_id).order_by(folded(self.name), self.table.id)
        return list(db.session.execute(order).scalars())

    def segments(self, descending: bool) -> list[Segment]:
        ids = self.groups()
        named = [Segment(str(value), self.column == value, group=True) for value in ids]
        unknown = [Segment(UNKNOWN, self.between(ids), self.column)] if self.unknown else []
        valued = unknown + named[::-1] if descending else named + unknown
        return [*valued, Segment(NONE, self.column.is_(None))]

    def between(self, ids: list[t.Any]) -> sa.ColumnElement[bool]:
        """The values that name no row, as the ranges between the named ones: each an index range
        holding only such values, where ``NOT IN`` would read every named row's entries too. (The
        ids are digit strings, which sort alike in Python and under any collation.)"""
        if not ids:
            return self.column.is_not(None)
        bounds = sorted(ids)
        gaps = [self.column < bounds[0], self.column > bounds[-1]]
        gaps += [sa.and_(self.column > low, self.column < high) for low, high in itertools.pairwise(bounds)]
        return sa.or_(*gaps)

    def locate(self, lead: Lead, value: t.Any, known: t.Container[str]) -> tuple[str, str | None]:
        if value is None:
            return NONE, None
        return (str(value), None) if str(value) in known else (UNKNOWN, str(value))

    def ordered(self, query: sa.Select[t.Any], descending: bool) -> sa.Select[t.Any]:
        """Named rows first (by name, then id), then the values naming none, then the leads without
        one; descending reverses the first two."""
        joined = query.outerjoin(self.table, self.joined_id == self.column)
        missing = self.table.id.is_(None)
        rank = sa.case((self.column.is_(None), 2), (missing, 0 if descending else 1), else_=1 if descending else 0)
        keys = (folded(self.name), self.table.id, self.column)
        return joined.order_by(rank, *(direction(key, descending) for key in keys), *tie_break(descending))


SORTERS: dict[str, Sorter] = {
    CREATED: ByCreated(),
    "full_name": ByValue(NAME_KEY),
    "ad_name": ByValue(AD_KEY),
    "platform": ByValue(PLATFORM_KEY, nullable=False),
    "status": ByStatus(),
    "assigned_to": ByName(
        Lead.assigned_to,
        User,
        sa.func.coalesce(sa.func.nullif(User.name, ""), User.email),
        sa.cast(User.id, sa.String),
        unknown=True,
    ),
    "lead_form_id": ByName(Lead.lead_form_id, LeadForm, LeadForm.name, LeadForm.id, unknown=False),
}


@dataclasses.dataclass(frozen=True)
class Ordering:
    """A sort made concrete for one request: its segments in reading order (a sort by assignee
    or form reads the current users or forms once)."""

    sort: LeadSort
    sorter: Sorter
    segments: list[Segment]

    @classmethod
    def of(cls, sort: LeadSort) -> Ordering:
        sorter = SORTERS[sort.field]
        return cls(sort, sorter, sorter.segments(sort.descending))

    @property
    def tokens(self) -> list[str]:
        return [segment.token for segment in self.segments]


def in_order(query: sa.Select[t.Any], sort: LeadSort) -> sa.Select[t.Any]:
    """``query`` (which selects from leads) in ``sort``'s order, as one ORDER BY."""
    return SORTERS[sort.field].ordered(query, sort.descending)


#: The sorts as a menu offers them (where the table's headers are not shown): newest first first.
CHOICES = [(str(LeadSort(field, down)), LABELS[field][down]) for field in reversed(FIELDS) for down in (True, False)]
