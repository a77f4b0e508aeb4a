"""Insights days are the ad account's days (meta-graph.md §6.1): "today" is today in its time
zone, every range is a pair of inclusive local dates, and Meta reads back at most 37 months."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

from metaads.models import AdAccount

#: How far back Meta answers insights (§6.1): a range starting earlier is refused with 3018.
MAX_MONTHS = 37

DateRange = tuple[dt.date, dt.date]


def zone_of(account: AdAccount | None) -> dt.tzinfo:
    """The account's time zone (UTC when there is no account, or it has none or an unknown one)."""
    try:
        return zoneinfo.ZoneInfo(account.timezone) if account is not None and account.timezone else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def account_today(account: AdAccount, now: dt.datetime | None = None) -> dt.date:
    """Today in the account's time zone (UTC when the account has none or an unknown one)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(zone_of(account)).date()


def day_start(account: AdAccount | None, day: dt.date) -> dt.datetime:
    """The instant (UTC) the account's ``day`` begins: its days are 23, 24 or 25 hours long."""
    return dt.datetime.combine(day, dt.time(), zone_of(account)).astimezone(dt.UTC)


def instants(account: AdAccount | None, since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``since``..``until`` (the account's days, inclusive) as UTC instants [start, end)."""
    return day_start(account, since), day_start(account, until + dt.timedelta(days=1))


def months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def earliest(today: dt.date) -> dt.date:
    """The oldest day Meta still answers for."""
    return months_back(today, MAX_MONTHS) + dt.timedelta(days=1)


def trailing(today: dt.date, days: int) -> DateRange:
    """The last ``days`` days before today, and today (28 → 29 days), clamped to 37 months."""
    return max(today - dt.timedelta(days=days), earliest(today)), today


def clamp(since: dt.date, until: dt.date, today: dt.date) -> DateRange | None:
    """``since``..``until`` cut to what Meta can answer (not before 37 months, not after today);
    None when nothing is left."""
    since, until = max(since, earliest(today)), min(until, today)
    return (since, until) if since <= until else None


def preset(name: str, today: dt.date) -> DateRange:
    """Meta's ``date_preset`` values as local dates; ``last_Nd`` ends yesterday, as on Meta.

    :raises ValueError: for a name Meta does not have.
    """
    one = dt.timedelta(days=1)
    if name.startswith("last_") and name.endswith("d") and name[5:-1] in ("3", "7", "14", "28", "30", "90"):
        return today - dt.timedelta(days=int(name[5:-1])), today - one
    month_start = today.replace(day=1)
    week_mon = today - dt.timedelta(days=today.weekday())
    week_sun = today - dt.timedelta(days=(today.weekday() + 1) % 7)
    quarter = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    ranges = {
        "today": (today, today),
        "yesterday": (today - one, today - one),
        "this_month": (month_start, today),
        "last_month": ((month_start - one).replace(day=1), month_start - one),
        "this_quarter": (quarter, today),
        "last_quarter": (months_back(quarter, 3), quarter - one),
        "this_year": (dt.date(today.year, 1, 1), today),
        "last_year": (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
        "this_week_mon_today": (week_mon, today),
        "this_week_sun_today": (week_sun, today),
        "last_week_mon_sun": (week_mon - 7 * one, week_mon - one),
        "last_week_sun_sat": (week_sun - 7 * one, week_sun - one),
        "maximum": (earliest(today), today),
        "data_maximum": (earliest(today), today),
    }
    if name not in ranges:
        raise ValueError(f"unknown date_preset {name!r}")
    return ranges[name]


def days(since: dt.date, until: dt.date) -> int:
    return (until - since).days + 1


def split(since: dt.date, until: dt.date, size: int) -> list[DateRange]:
    """``since``..``until`` in consecutive pieces of at most ``size`` days."""
    out = []
    start = since
    while start <= until:
        stop = min(start + dt.timedelta(days=size - 1), until)
        out.append((start, stop))
        start = stop + dt.timedelta(days=1)
    return out
