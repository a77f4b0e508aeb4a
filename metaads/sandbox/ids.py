"""Deterministic ids, tokens and timestamps in Meta's formats."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools

#: First id of each kind. All are 17 digits, so every id is above 2**53 and a client that
#: parses ids as floats (or JSON numbers) loses digits, as it would against Meta.
KIND_BASES: dict[str, int] = {
    "user": 10203040506070000,
    "business": 31415926535890000,
    "page": 10285874162422000,
    "form": 82595106832710000,
    "question": 82595106833710000,
    "adaccount": 90012345678900000,
    "campaign": 23849651968300000,
    "adset": 23849651968400000,
    "ad": 23849651968500000,
    "creative": 23849651968600000,
    "lead": 76922419066450000,
    "report_run": 60239201490500000,
    "dataset": 11223344556670000,
}

#: Gap between consecutive ids of a kind, so they do not look like a counter.
STRIDE = 137


class IdFactory:
    """Hands out ``KIND_BASES[kind] + n * STRIDE`` as strings, n = 1, 2, ..."""

    def __init__(self) -> None:
        self._counters = {kind: itertools.count(1) for kind in KIND_BASES}

    def next(self, kind: str) -> str:
        return str(KIND_BASES[kind] + next(self._counters[kind]) * STRIDE)


def make_token(label: str, prefix: str = "EAA") -> str:
    """A token-looking string derived from ``label`` (same label, same token)."""
    digest = hashlib.sha512(f"metaads-sandbox:{label}".encode()).digest()
    body = base64.b64encode(digest + hashlib.sha256(digest).digest(), altchars=b"Zx").decode()
    return prefix + body.rstrip("=")


def iso(ts: float) -> str:
    """Unix seconds → ``"2026-11-20T10:00:00+0000"`` (Meta's object timestamp format)."""
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_time(value: str) -> int:
    """Accepts Unix seconds or ISO-8601 (with ``+0000`` or ``+00:00``) and returns Unix seconds."""
    value = value.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp())
