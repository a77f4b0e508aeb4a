"""The dashboard's days: one ``since``..``until`` applied in each ad account's own time zone.

Insights rows are already dated in their account's days. Leads carry a UTC ``created_time``: a
lead is in the range when it falls between its account's local midnights (``Range.instants``),
which is the same as its local date (``local_date``, computed by the database: PostgreSQL's
``AT TIME ZONE``, and the same rule as a function registered on every SQLite connection) lying
within ``since``..``until``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import typing as t
import zoneinfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from metaads.insights import dates
from metaads.models import AdAccount

#: Dates outside these are no one's ads (and would overflow time arithmetic near year 1 or 9999).
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


@dataclasses.dataclass(frozen=True)
class Range:
    """``since``..``until``, both inclusive, each account's own days."""

    since: dt.date
    until: dt.date

    def days(self) -> list[dt.date]:
        return [self.since + dt.timedelta(days=n) for n in range(dates.days(self.since, self.until))]

    def instants(self, account: AdAccount | None) -> tuple[dt.datetime, dt.datetime]:
        """The range in ``account``'s time zone as UTC instants [start, end)."""
        return dates.instants(account, self.since, self.until)

    def widest(self, accounts: t.Iterable[AdAccount | None]) -> tuple[dt.datetime, dt.datetime]:
        """From the earliest start to the latest end over ``accounts`` (an index range that holds
        every account's range; each row is then judged in its own account's days)."""
        bounds = [self.instants(account) for account in accounts] or [self.instants(None)]
        return min(start for start, _ in bounds), max(end for _, end in bounds)


def latest_today(accounts: t.Iterable[AdAccount], now: dt.datetime | None = None) -> dt.date:
    """The latest "today" of any account (Tokyo's today starts before Berlin's); UTC's without
    accounts. A preset is resolved once, on this day, so every account shows the same dates (an
    account still on yesterday has one day without data rather than a missing one)."""
    now = now or dt.datetime.now(dt.UTC)
    return max((dates.account_today(account, now) for account in accounts), default=now.astimezone(dt.UTC).date())


def resolve(preset: str | None, since: dt.date | None, until: dt.date | None, accounts: t.Iterable[AdAccount]) -> Range:
    """The dates of a picker's choice: ``since``..``until`` as given, else the preset's days."""
    if since is not None and until is not None:
        return Range(since, until)
    return Range(*dates.preset(preset or "last_30d", latest_today(accounts)))


def problem(period: Range) -> str | None:
    """Why the dashboard cannot show ``period`` (None when it can)."""
    if period.since < EARLIEST or period.until > LATEST:
        return f"Dates must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
    if period.since < dates.months_back(period.until, dates.MAX_MONTHS):
        return f"A range may span at most {dates.MAX_MONTHS} months (what Meta keeps of insights)."
    return None


# --- an instant's date in a time zone, in SQL ------------------------------------------------


class local_date(sa.sql.functions.FunctionElement[dt.date]):
    """``local_date(instant, zone)``: the date of a UTC instant in the IANA time ``zone``."""

    type = sa.Date()
    inherit_cache = True
    name = "metaads_local_date"


@compiles(local_date, "postgresql")
def _local_date_postgresql(element: local_date, compiler: SQLCompiler, **kw: t.Any) -> str:
    instant, zone = list(element.clauses)
    return f"(({compiler.process(instant, **kw)}) AT TIME ZONE ({compiler.process(zone, **kw)}))::date"


@compiles(local_date)
def _local_date_default(element: local_date, compiler: SQLCompiler, **kw: t.Any) -> str:
    return f"metaads_local_date({compiler.process(element.clauses, **kw)})"


def _sqlite_local_date(stored: str | None, zone: str | None) -> str | None:
    """SQLite stores a UTC instant as naive text ('2026-11-01 09:30:00.000000')."""
    if stored is None:
        return None
    try:
        instant = dt.datetime.fromisoformat(stored).replace(tzinfo=dt.UTC)
        return instant.astimezone(zoneinfo.ZoneInfo(zone) if zone else dt.UTC).date().isoformat()
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None


@sa.event.listens_for(Engine, "connect")
def _register_sqlite_local_date(dbapi_connection: t.Any, _record: t.Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("metaads_local_date", 2, _sqlite_local_date, deterministic=True)


def zone_name(account: AdAccount | None) -> str:
    """The account's IANA zone as the database is given it: a known name, else UTC."""
    zone = dates.zone_of(account)
    return str(getattr(zone, "key", "UTC"))


def zone_by_account(accounts: t.Iterable[AdAccount], account_id: t.Any) -> t.Any:
    """SQL for the zone of the account whose id ``account_id`` holds (UTC for an unknown one)."""
    zones = {account.id: zone_name(account) for account in accounts}
    if not zones:
        return sa.literal("UTC")
    return sa.case(zones, value=account_id, else_=sa.literal("UTC"))
