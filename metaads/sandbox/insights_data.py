"""Deterministic daily delivery per ad, and the date arithmetic of insights (§6)."""

from __future__ import annotations

import calendar
import datetime as dt
import random
import typing as t
import zoneinfo

from metaads.sandbox.config import currency_offset
from metaads.sandbox.errors import GraphError, param_error

if t.TYPE_CHECKING:
    from metaads.sandbox.state import SandboxState

Obj = dict[str, t.Any]
Day = dt.date
#: Typical CPM in major units, so spend looks plausible in each currency.
CPM = {"JPY": 900.0, "KRW": 9000.0, "USD": 7.0, "EUR": 6.0}
MAX_MONTHS = 37


def today(state: SandboxState, account: Obj) -> Day:
    """Insights days are the ad account's days (§6.1)."""
    return dt.datetime.fromtimestamp(state.now(), zoneinfo.ZoneInfo(account["timezone_name"])).date()


def day_bounds(account: Obj, day: Day) -> tuple[int, int]:
    tz = zoneinfo.ZoneInfo(account["timezone_name"])
    start = dt.datetime.combine(day, dt.time(), tz)
    return int(start.timestamp()), int((start + dt.timedelta(days=1)).timestamp())


def local_day(account: Obj, ts: float) -> Day:
    return dt.datetime.fromtimestamp(ts, zoneinfo.ZoneInfo(account["timezone_name"])).date()


def daily(state: SandboxState, account: Obj, ad: Obj, day: Day) -> Obj | None:
    """One ad's numbers for one day, or None outside its delivery; leads are the real leads."""
    end = local_day(account, ad["delivery_end"]) if ad.get("delivery_end") else today(state, account)
    if not local_day(account, ad["created"]) <= day <= end:
        return None
    rng = random.Random(f"{ad['id']}:{day.isoformat()}")
    impressions = rng.randint(400, 4000)
    cpm = CPM.get(account["currency"], 6.0) * rng.uniform(0.7, 1.3)
    lo, hi = day_bounds(account, day)
    index = state.store.ad_leads.get(ad["id"])
    start, stop = index.bounds(lo, hi) if index is not None else (0, 0)
    numbers = {
        "impressions": impressions,
        "clicks": int(impressions * rng.uniform(0.005, 0.03)),
        "reach": int(impressions / rng.uniform(1.05, 1.6)),
        "leads": stop - start,
        "spend": round(impressions / 1000 * cpm * currency_offset(account["currency"])),
    }
    # Restated numbers (SandboxState.restate) replace the generated ones for that day.
    numbers.update(state.restated.get((ad["id"], day.isoformat()), {}))
    return numbers


def _months_back(day: Day, months: int) -> Day:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return Day(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _quarter_start(day: Day) -> Day:
    return Day(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def preset_range(preset: str, now: Day, created: Day) -> tuple[Day, Day]:
    """Meta's date_preset values (§6.1); ``last_Nd`` ends yesterday."""
    one = dt.timedelta(days=1)
    if preset.startswith("last_") and preset.endswith("d") and preset[5:-1].isdigit():
        days = int(preset[5:-1])
        if days in (3, 7, 14, 28, 30, 90):
            return now - dt.timedelta(days=days), now - one
    month_start = now.replace(day=1)
    week_mon = now - dt.timedelta(days=now.weekday())
    week_sun = now - dt.timedelta(days=(now.weekday() + 1) % 7)
    quarter = _quarter_start(now)
    ranges: dict[str, tuple[Day, Day]] = {
        "today": (now, now),
        "yesterday": (now - one, now - one),
        "this_month": (month_start, now),
        "last_month": ((month_start - one).replace(day=1), month_start - one),
        "this_quarter": (quarter, now),
        "last_quarter": (_months_back(quarter, 3), quarter - one),
        "this_year": (Day(now.year, 1, 1), now),
        "last_year": (Day(now.year - 1, 1, 1), Day(now.year - 1, 12, 31)),
        "this_week_mon_today": (week_mon, now),
        "this_week_sun_today": (week_sun, now),
        "last_week_mon_sun": (week_mon - 7 * one, week_mon - one),
        "last_week_sun_sat": (week_sun - 7 * one, week_sun - one),
        "maximum": (max(created, _months_back(now, MAX_MONTHS)), now),
        "data_maximum": (max(created, _months_back(now, MAX_MONTHS)), now),
    }
    if preset not in ranges:
        raise param_error(f"Param date_preset must be one of the documented presets (got {preset})", blame="date_preset")
    return ranges[preset]


def parse_range(time_range: t.Any) -> tuple[Day, Day]:
    if not isinstance(time_range, dict) or "since" not in time_range or "until" not in time_range:
        raise param_error('Param time_range must be {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}', blame="time_range")
    try:
        since, until = Day.fromisoformat(time_range["since"]), Day.fromisoformat(time_range["until"])
    except (TypeError, ValueError):
        raise param_error("Param time_range dates must be YYYY-MM-DD", blame="time_range") from None
    if since > until:
        raise param_error("Param time_range: since must not be after until", blame="time_range")
    return since, until


def check_lookback(since: Day, now: Day) -> None:
    if since < _months_back(now, MAX_MONTHS):
        raise GraphError("(#3018) The start date of the time range cannot be beyond 37 months from the current date", 3018)


def buckets(since: Day, until: Day, increment: str) -> list[tuple[Day, Day]]:
    """The [date_start, date_stop] rows of ``time_increment`` (days, ``monthly``, ``all_days``)."""
    if increment in ("all_days", ""):
        return [(since, until)]
    out = []
    if increment == "monthly":
        start = since
        while start <= until:
            end = min(start.replace(day=calendar.monthrange(start.year, start.month)[1]), until)
            out.append((start, end))
            start = end + dt.timedelta(days=1)
        return out
    if not increment.isdigit() or not 1 <= int(increment) <= 90:
        raise param_error("Param time_increment must be 1-90, monthly or all_days", blame="time_increment")
    step = dt.timedelta(days=int(increment))
    start = since
    while start <= until:
        out.append((start, min(start + step - dt.timedelta(days=1), until)))
        start += step
    return out
