"""Cursor paging (§7): opaque base64 cursors, ``next`` only while more rows exist."""

from __future__ import annotations

import base64
import binascii
import typing as t
from urllib.parse import urlencode

from metaads.sandbox.errors import GraphError

if t.TYPE_CHECKING:
    from metaads.sandbox.routing import Call

#: Cursor of the position before the first row; only an injected empty page hands it out.
START = "\x00start"


def encode_cursor(key: str) -> str:
    return base64.b64encode(key.encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        return base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphError("(#100) Invalid cursor", 100) from None


def page_limit(call: Call, params: t.Mapping[str, str]) -> int:
    raw = params.get("limit")
    if raw is None or raw == "":
        return int(call.state.config["PAGE_SIZE"])
    if not raw.isdigit():
        raise GraphError("(#100) Param limit must be a non-negative integer", 100)
    return max(1, min(int(raw), int(call.state.config["MAX_PAGE_SIZE"])))


def page_url(call: Call, path: str, params: t.Mapping[str, str], **cursor: str) -> str:
    """A ``next``/``previous`` URL: like Meta's, it repeats the caller's access_token."""
    query = {k: v for k, v in params.items() if k not in ("after", "before")}
    query.update(call.auth_params)
    query.update(cursor)
    return f"{call.base_url}{call.version}{path}?{urlencode(query)}"


def paging_block(
    call: Call, path: str, params: t.Mapping[str, str], first: str | None, last: str | None, has_next: bool, has_previous: bool
) -> dict[str, t.Any]:
    if first is None or last is None:
        return {"cursors": {}}
    before, after = encode_cursor(first), encode_cursor(last)
    paging: dict[str, t.Any] = {"cursors": {"before": before, "after": after}}
    if has_previous:
        paging["previous"] = page_url(call, path, params, before=before)
    if has_next:
        paging["next"] = page_url(call, path, params, after=after)
    return paging


def empty_page(call: Call, path: str, params: t.Mapping[str, str]) -> dict[str, t.Any] | None:
    """An injected empty page that still has ``next`` (§7: "A page may be empty yet still have next")."""
    if call.state.faults.take("empty_page", call) is None:
        return None
    cursor = params.get("after") or encode_cursor(START)
    return {
        "data": [],
        "paging": {"cursors": {"before": cursor, "after": cursor}, "next": page_url(call, path, params, after=cursor)},
    }


def paginate(
    call: Call,
    items: list[dict[str, t.Any]],
    *,
    params: t.Mapping[str, str] | None = None,
    path: str | None = None,
    nested: bool = False,
    key: t.Callable[[dict[str, t.Any]], str] = lambda item: str(item["id"]),
    index: t.Mapping[str, int] | None = None,
) -> dict[str, t.Any]:
    """One page of ``items`` (ordered, each with a unique ``key``); rows are returned unrendered.
    ``index`` (key → position), when the caller keeps one, spares rebuilding it per page."""
    params = call.params if params is None else params
    path = call.path if path is None else path
    if not nested:
        injected = empty_page(call, path, params)
        if injected is not None:
            return injected
    limit = page_limit(call, params)
    positions = index if index is not None else {key(item): i for i, item in enumerate(items)}
    start, stop = _window(positions, len(items), params, limit)
    rows = items[start:stop]
    first = key(rows[0]) if rows else None
    last = key(rows[-1]) if rows else None
    result: dict[str, t.Any] = {"data": rows}
    result["paging"] = paging_block(call, path, params, first, last, stop < len(items), start > 0)
    if not nested and params.get("summary") in ("true", "1", "True"):
        result["summary"] = {"total_count": len(items)}
    return result


def _window(positions: t.Mapping[str, int], total: int, params: t.Mapping[str, str], limit: int) -> tuple[int, int]:
    if params.get("after"):
        key = decode_cursor(params["after"])
        if key == START:
            return 0, min(limit, total)
        # A cursor whose row vanished points nowhere; Meta's then ends the listing too.
        start = positions[key] + 1 if key in positions else total
        return start, min(start + limit, total)
    if params.get("before"):
        key = decode_cursor(params["before"])
        stop = positions.get(key, 0)
        return max(0, stop - limit), stop
    return 0, min(limit, total)
