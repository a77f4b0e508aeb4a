"""Graph timestamps as aware UTC datetimes.

Object timestamps are ISO 8601 with a ``+0000``-style offset; webhook times are Unix seconds;
Insights ``date_start``/``date_stop`` are plain dates (meta-graph.md §0).
"""

from __future__ import annotations

import datetime as dt
import typing as t


def parse_graph_time(value: t.Any) -> dt.datetime:
    """``"2016-06-24T02:26:12+0000"``, ``"...-0700"``, ``"...Z"`` or Unix seconds, in UTC."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a time")
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return dt.datetime.fromtimestamp(int(text), tz=dt.UTC)
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            raise ValueError(f"a Graph time without an offset: {value!r}")
        return parsed.astimezone(dt.UTC)
    raise ValueError(f"not a Graph time: {value!r}")


def parse_graph_date(value: t.Any) -> dt.date:
    """An Insights date (``"2026-06-01"``)."""
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    return dt.date.fromisoformat(value.strip())


def to_unix(value: dt.datetime | int) -> int:
    """Unix seconds for Graph filters; naive datetimes are refused (their zone is a guess)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a time")
    if isinstance(value, int):
        return value
    if value.tzinfo is None:
        raise ValueError("use an aware datetime (e.g. datetime.now(UTC)), not a naive one")
    return int(value.timestamp())
