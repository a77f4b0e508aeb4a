"""The date range of every page that shows performance: one reading of the query string, one
picker on the page (``m.date_range_picker`` in ``metaads/_macros.html``).

A range is chosen with ``date_preset`` (Meta's names: ``last_7d`` … ``last_90d``,
``this_month``, ``last_month``; the other names Meta has are accepted too) or with ``since`` and
``until`` (``YYYY-MM-DD``, both inclusive). A preset is a set of *days*, so it is resolved in each
ad account's own time zone (``last_7d`` ends yesterday there, as on Meta); ``since``/``until``
are the same local dates for every account.

Use it in a view::

    chosen = chosen_range()                      # the query string of this request
    since, until = chosen.days(account)          # one account's days
    ranges = chosen.days_by_account(accounts)    # {account id: (since, until)} for a list

and on its page ``{{ m.date_range_picker(chosen) }}`` (a GET form: works without JavaScript;
every other query argument is kept, the page offset is reset). Bad input is a 400
``validation_error`` for JSON clients; a page falls back to the default range and says why
(``chosen.error``), so a hand-edited URL never costs the page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t
from collections.abc import Iterable, Mapping

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validates_schema

from metaads.insights import dates
from metaads.models import AdAccount
from plugins.core.http import APIError, wants_json

#: What the picker offers, in its order (Meta's ``date_preset`` names).
PRESETS: dict[str, str] = {
    "last_7d": "Last 7 days",
    "last_14d": "Last 14 days",
    "last_28d": "Last 28 days",
    "last_30d": "Last 30 days",
    "last_90d": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
}
#: The range of a page whose query string chooses none.
DEFAULT_PRESET = "last_30d"
#: The query arguments that choose a range (a link to another range drops them all).
ARGS = ("since", "until", "date_preset")

Days = tuple[dt.date | None, dt.date | None]


def _known_preset(name: str) -> None:
    try:
        dates.preset(name, dt.date(2000, 1, 1))  # dates.preset is the one list of Meta's names
    except ValueError:
        raise ValidationError(f"Unknown date_preset {name!r}: use one of {', '.join(PRESETS)}.") from None


class RangeQuery(Schema):
    """``date_preset``, or ``since`` and ``until`` together (not both ways at once)."""

    class Meta:
        unknown = EXCLUDE  # the other arguments of the query string are the route's own

    date_preset = fields.String(
        validate=_known_preset,
        metadata={"description": "Meta's names: last_7d, last_14d, last_28d, last_30d, last_90d, this_month, last_month…"},
    )
    since = fields.Date(
        metadata={"description": "YYYY-MM-DD, the first day (each account's own days)."},
        error_messages={"invalid": "since must be a date YYYY-MM-DD."},
    )
    until = fields.Date(
        metadata={"description": "YYYY-MM-DD, the last day, inclusive."},
        error_messages={"invalid": "until must be a date YYYY-MM-DD."},
    )

    @validates_schema
    def one_range(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        given = [name for name in ("since", "until") if data.get(name)]
        if data.get("date_preset") and given:
            raise ValidationError("Give since and until, or date_preset, not both.", "date_preset")
        if len(given) == 1:
            raise ValidationError("since and until go together.", "until" if given == ["since"] else "since")
        if given and data["since"] > data["until"]:
            raise ValidationError("since must not be after until.", "since")


_RANGE_QUERY = RangeQuery()


@dataclasses.dataclass(frozen=True)
class ChosenRange:
    """A preset (``preset``), two dates (``since``/``until``), or — only where a route's
    default is "every stored day" — neither. ``error`` says why the request's own choice was
    not used (pages only)."""

    preset: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    error: str | None = None

    @property
    def custom(self) -> bool:
        return self.preset is None and self.since is not None

    @property
    def choices(self) -> list[tuple[str, str]]:
        """The presets the picker offers: ``(name, label)``."""
        return list(PRESETS.items())

    @property
    def label(self) -> str:
        """``Last 30 days``, ``2026-03-01 – 2026-03-14``, or ``All time``."""
        if self.preset:
            return PRESETS.get(self.preset) or self.preset.replace("_", " ").capitalize()
        if self.since and self.until:
            return f"{self.since.isoformat()} – {self.until.isoformat()}"
        return "All time"

    def days(self, account: AdAccount | None, now: dt.datetime | None = None) -> Days:
        """The account's days of this range (UTC's for no account); ``(None, None)`` for all time."""
        if self.preset:
            if account is None:
                today = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
            else:
                today = dates.account_today(account, now)
            return dates.preset(self.preset, today)
        return self.since, self.until

    def days_by_account(self, accounts: Iterable[AdAccount], now: dt.datetime | None = None) -> dict[int, Days]:
        """Each account's days of this range, by our account id."""
        return {account.id: self.days(account, now) for account in accounts}

    def args(self) -> dict[str, str]:
        """The query arguments that choose this range again (none for the default)."""
        if self.preset:
            return {"date_preset": self.preset}
        if self.since and self.until:
            return {"since": self.since.isoformat(), "until": self.until.isoformat()}
        return {}


def chosen_range(args: Mapping[str, str] | None = None, *, default: str | None = DEFAULT_PRESET) -> ChosenRange:
    """The range the query string (``args``, else this request's) chooses, else ``default``
    (a preset name; ``None``: all time, for routes whose JSON totals every stored day).

    :raises APIError: 400 ``validation_error`` naming the argument, for a JSON client; a page
        gets the default range with ``error`` set instead.
    """
    source = request.args if args is None else args
    given = {name: source[name] for name in ARGS if source.get(name, "") != ""}
    try:
        loaded = _RANGE_QUERY.load(given)
    except ValidationError as exc:
        problems = t.cast(dict[str, list[str]], exc.messages)
        message = " ".join(str(p[0]) for p in problems.values())
        if wants_json():
            raise APIError(400, "validation_error", message, {"fields": problems}) from None
        return ChosenRange(preset=default, error=message)
    if loaded.get("date_preset"):
        return ChosenRange(preset=loaded["date_preset"])
    if loaded.get("since"):
        return ChosenRange(since=loaded["since"], until=loaded["until"])
    return ChosenRange(preset=default)
