"""The leads list's filters, shared by the list (query string), the export (form or JSON body) and
the export job: validated by marshmallow, turned into SQL conditions, and written back to arguments.

Each filter is named after the lead's field it matches, with that field's value: ``form_id``,
``campaign_id`` and ``ad_id`` are Meta's ids as stored on the lead, ``lead_form_id`` is our LeadForm
id (the number in ``/lead-forms/<id>``). Test leads (``is_test``) are left out unless
``include_test`` asks for them (``true``: with the others; ``only``: nothing else). Times are UTC;
``created_after`` is inclusive and ``created_before`` exclusive, and a bare date means midnight UTC.
``sort`` (see ``metaads.leads.sorting``) orders the rows; ``order``, its former name, which knew
only ``-created_time`` and ``created_time``, is still read when ``sort`` is not given.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import typing as t

import sqlalchemy as sa
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from metaads.leads import sorting
from metaads.leads.paging import Cursor
from metaads.leads.sorting import LeadSort
from metaads.models import Lead
from metaads.models.enums import LeadStatus
from plugins.persons.phones import to_e164

#: The type marshmallow gives ``Field.default_error_messages``.
ErrorMessages = dict[str, str | list[t.Any] | dict[t.Any, t.Any]]
#: ``assigned_to=none`` selects the leads nobody is assigned to.
UNASSIGNED = "none"
NEWEST_FIRST, OLDEST_FIRST = "-created_time", "created_time"
STATUSES = [status.value for status in LeadStatus]
#: ``include_test``: test leads left out (the default), shown with the others, or alone.
WITHOUT_TEST, WITH_TEST, ONLY_TEST = "false", "true", "only"
TEST_CHOICES = [WITHOUT_TEST, WITH_TEST, ONLY_TEST]
#: Defaults that a link or the activity log need not repeat.
DEFAULTS_LEFT_OUT = {"sort": str(sorting.DEFAULT), "include_test": WITHOUT_TEST}
#: Settings that choose how rows are shown, not which: leaving test leads out is the default view.
NOT_NARROWING = ("sort", "include_test")
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]{6,}")
#: A "+02:00" offset arrives as " 02:00" when a client forgets to encode the "+" in a query string.
_SPACE_FOR_PLUS = re.compile(r"(T[\d:.]+) (\d\d:?\d\d)$")


class UTCInstant(fields.Field):
    """An ISO 8601 date or date-time. A date is midnight UTC; a time without offset is UTC."""

    default_error_messages: ErrorMessages = {  # noqa: RUF012 (declared so by marshmallow)
        "invalid": "Not a valid date or date-time (ISO 8601, e.g. 2026-03-14 or 2026-03-14T09:30:00Z)."
    }

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> dt.datetime:
        text = _SPACE_FOR_PLUS.sub(r"\1+\2", str(value).strip())
        try:
            if len(text) == 10:
                return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=dt.UTC)
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise self.make_error("invalid") from None
        return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


class StatusList(fields.Field):
    """One status or several, comma separated (``new,contacted``)."""

    default_error_messages: ErrorMessages = {"invalid": "Must be one or more of: " + ", ".join(STATUSES) + "."}  # noqa: RUF012

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> tuple[LeadStatus, ...]:
        names = [part.strip() for part in str(value).split(",") if part.strip()]
        if not names or any(name not in STATUSES for name in names):
            raise self.make_error("invalid")
        return tuple(LeadStatus(name) for name in dict.fromkeys(names))


class CursorField(fields.Field):
    default_error_messages: ErrorMessages = {  # noqa: RUF012 (declared so by marshmallow)
        "invalid": "Not a valid cursor: pass on next_cursor or previous_cursor from a list answer."
    }

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> Cursor:
        try:
            return Cursor.decode(str(value))
        except ValueError:
            raise self.make_error("invalid") from None


class LeadFilterSchema(Schema):
    """Unknown arguments are ignored: pages carry their own (``limit``, ``page``) and links from
    elsewhere carry tracking ones."""

    class Meta:
        unknown = EXCLUDE

    status = StatusList()
    lead_form_id = fields.Integer(strict=False, validate=validate.Range(min=1, max=2**63 - 1))
    form_id = fields.String(validate=validate.Length(max=64))
    campaign_id = fields.String(validate=validate.Length(max=64))
    ad_id = fields.String(validate=validate.Length(max=64))
    assigned_to = fields.String(validate=validate.Regexp(r"^(none|\d{1,18})$", error="A user id, or 'none' for unassigned."))
    q = fields.String(validate=validate.Length(max=200))
    created_after = UTCInstant()
    created_before = UTCInstant()
    sort = fields.String(
        validate=validate.OneOf(sorting.VALUES),
        metadata={
            "description": "A field, descending with a leading '-' (default -created_time). Equal values come in "
            "created_time order, then by id; leads without the value come last either way. status sorts in the "
            "workflow's order; assigned_to and lead_form_id by the user's and the form's name."
        },
    )
    order = fields.String(
        validate=validate.OneOf([NEWEST_FIRST, OLDEST_FIRST]),
        metadata={"description": "The former name of sort (created_time or -created_time), read when sort is absent."},
    )
    include_test = fields.String(validate=validate.OneOf(TEST_CHOICES, error="One of: true, false, only."))

    @validates_schema
    def check_range(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        after, before = data.get("created_after"), data.get("created_before")
        if after and before and after >= before:
            raise ValidationError("Must be later than created_after.", "created_before")

    @post_load
    def sorted_by(self, data: dict[str, t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        order = data.pop("order", None)
        data["sort"] = LeadSort.parse(data.get("sort") or order or str(sorting.DEFAULT))
        return data


class LeadListSchema(LeadFilterSchema):
    """The list adds its position: a cursor (``after`` / ``before``) and, for pages, the page number
    shown in "Showing 51–100" (a label only; the cursor decides which rows come)."""

    after = CursorField()
    before = CursorField()
    page = fields.Integer(strict=False, validate=validate.Range(min=1, max=10_000_000))

    @validates_schema
    def one_cursor(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        if data.get("after") and data.get("before"):
            raise ValidationError("Give after or before, not both.", "before")


@dataclasses.dataclass(frozen=True)
class LeadFilters:
    status: tuple[LeadStatus, ...] = ()
    lead_form_id: int | None = None
    form_id: str | None = None
    campaign_id: str | None = None
    ad_id: str | None = None
    assigned_to: str | None = None
    q: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    sort: LeadSort = sorting.DEFAULT
    include_test: str = WITHOUT_TEST

    @property
    def newest_first(self) -> bool:
        return self.sort == sorting.DEFAULT

    @property
    def active(self) -> bool:
        """Does anything narrow the list (the sort order does not)?"""
        return any(getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in NOT_NARROWING)

    @property
    def reads_every_row(self) -> bool:
        """A free-text search: no index can answer it, every row is looked at."""
        q = self.q
        return bool(q) and search_kind(q or "")[0] == "text"

    def conditions(self, *, with_status: bool = True) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = []
        if with_status and self.status:
            found.append(Lead.status == self.status[0] if len(self.status) == 1 else Lead.status.in_(self.status))
        if self.lead_form_id is not None:
            found.append(Lead.lead_form_id == self.lead_form_id)
        if self.form_id:
            found.append(Lead.form_id == self.form_id)
        if self.campaign_id:
            found.append(Lead.campaign_id == self.campaign_id)
        if self.ad_id:
            found.append(Lead.ad_id == self.ad_id)
        if self.assigned_to == UNASSIGNED:
            found.append(Lead.assigned_to.is_(None))
        elif self.assigned_to:
            found.append(Lead.assigned_to == self.assigned_to)
        if self.q:
            found.append(search_condition(self.q))
        if self.created_after:
            found.append(Lead.created_time >= self.created_after)
        if self.created_before:
            found.append(Lead.created_time < self.created_before)
        if self.include_test == WITHOUT_TEST:
            found.append(Lead.is_test.is_(False))
        elif self.include_test == ONLY_TEST:
            found.append(Lead.is_test.is_(True))
        return found

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments (for links, the export form, the activity log)."""
        args: dict[str, str] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in DEFAULTS_LEFT_OUT and str(value) == DEFAULTS_LEFT_OUT[field.name]:
                continue
            if isinstance(value, tuple):
                value = ",".join(v.value for v in value)
            elif isinstance(value, LeadSort):
                value = str(value)
            elif isinstance(value, dt.datetime):
                value = value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat()
            if value not in (None, ""):
                args[field.name] = str(value)
        return args


@dataclasses.dataclass(frozen=True)
class ListPosition:
    after: Cursor | None = None
    before: Cursor | None = None
    page: int | None = None


def present(data: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Drop empty values: a submitted filter form sends every field, most of them blank."""
    return {key: value for key, value in data.items() if value is not None and value != ""}


def read_filters(data: t.Mapping[str, t.Any]) -> LeadFilters:
    """Raises marshmallow's ValidationError (a 400 with field errors) for anything invalid."""
    values = LeadFilterSchema().load(present(data))
    return LeadFilters(**values)


def read_list_args(data: t.Mapping[str, t.Any]) -> tuple[LeadFilters, ListPosition]:
    values = LeadListSchema().load(present(data))
    position = ListPosition(after=values.pop("after", None), before=values.pop("before", None), page=values.pop("page", None))
    return LeadFilters(**values), position


def search_kind(q: str) -> tuple[str, str]:
    """What ``q`` is, chosen so the common searches use an index:

    - ``phone``: a number that parses (``+49 151 1234 5678``), as E.164 → ``phone``, exactly;
    - ``email``: an address or its beginning (``zoe.m@``), lower-cased → ``email`` by prefix;
    - ``text``: anything else → contained in the name or email, or, with 4+ digits, in the phone
      number (a national ``0151 …`` is matched without its trunk ``0``). This one reads every row.
    """
    text = q.strip()
    phone = to_e164(text) if _PHONE_LIKE.fullmatch(text) else None
    if phone:
        return "phone", phone
    if "@" in text and not text.startswith("@"):
        return "email", text.lower()
    return "text", text


def search_condition(q: str) -> sa.ColumnElement[bool]:
    kind, value = search_kind(q)
    if kind == "phone":
        return Lead.phone == value
    if kind == "email":
        return Lead.email.like(escape_like(value) + "%", escape="\\")
    # ILIKE folds case on both sides in the database (fully on PostgreSQL; SQLite folds ASCII only,
    # so there a name matches as typed or in ASCII case variants).
    clauses = [
        Lead.full_name.ilike(f"%{escape_like(value)}%", escape="\\"),
        Lead.email.like(f"%{escape_like(value.lower())}%", escape="\\"),
    ]
    digits = re.sub(r"\D", "", value).lstrip("0")
    if len(digits) >= 4:
        clauses.append(Lead.phone.like(f"%{digits}%"))
    return sa.or_(*clauses)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
