"""Leadgen webhook notifications exactly as Meta sends them (§1.2-§1.4): envelope, escaping,
``X-Hub-Signature-256`` / ``X-Hub-Signature``, batching and duplicate deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import typing as t

import requests

MAX_CHANGES = 1000  # per POST (§1.3)
USER_AGENT = "facebookexternalua"


class RawNumber(str):
    """An id to emit as a bare JSON number, digits untouched (Meta's PHP sample does this)."""


def encode(value: t.Any) -> str:
    """Compact JSON with non-ASCII as ``\\uXXXX`` and ``/`` as ``\\/``, as Meta sends it (§1.4).

    Written by hand so RawNumber ids reach the wire as the exact digits, never via float."""
    if isinstance(value, RawNumber):
        if not value.isdigit():
            raise ValueError(f"not an integer id: {value!r}")
        return str.__str__(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True).replace("/", "\\/")
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{encode(str(k))}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(encode(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__}")


def change(lead: t.Mapping[str, t.Any], big_number_ids: bool = False) -> dict[str, t.Any]:
    """One ``changes[]`` item; key order as in the captured production payload of §1.2."""
    as_id: t.Callable[[str], str] = RawNumber if big_number_ids else str
    value: dict[str, t.Any] = {}
    if lead.get("ad_id"):
        value["ad_id"] = as_id(lead["ad_id"])
    value["form_id"] = as_id(lead["form_id"])
    value["leadgen_id"] = as_id(lead["id"])
    value["created_time"] = int(lead["created_timestamp"])
    value["page_id"] = as_id(lead["page_id"])
    if lead.get("ad_id"):
        value["adgroup_id"] = as_id(lead["ad_id"])  # legacy name for the ad, same value
    return {"value": value, "field": "leadgen"}


def envelopes(
    leads: t.Sequence[t.Mapping[str, t.Any]], *, batch: int = 1, sent_at: int, big_number_ids: bool = False
) -> list[dict[str, t.Any]]:
    """One envelope per POST: ``batch`` changes each, grouped into one entry per Page."""
    size = max(1, min(int(batch), MAX_CHANGES))
    out = []
    for first in range(0, len(leads), size):
        entries: dict[str, dict[str, t.Any]] = {}
        for lead in leads[first : first + size]:
            page = str(lead["page_id"])
            entry = entries.setdefault(page, {"id": RawNumber(page) if big_number_ids else page, "time": sent_at, "changes": []})
            entry["changes"].append(change(lead, big_number_ids))
        out.append({"object": "page", "entry": list(entries.values())})
    return out


def signature_headers(body: bytes, app_secret: str) -> dict[str, str]:
    key = app_secret.encode()
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
        "X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
    }


def deliver(
    url: str,
    leads: t.Sequence[t.Mapping[str, t.Any]],
    *,
    batch: int = 1,
    duplicates: int = 0,
    big_number_ids: bool = False,
    app_secret: str,
    now: int,
    timeout: float = 10.0,
) -> list[int]:
    """POST every envelope, then re-POST ``duplicates`` of them byte for byte (a retry, §1.5)."""
    bodies = [encode(e).encode("ascii") for e in envelopes(leads, batch=batch, sent_at=now, big_number_ids=big_number_ids)]
    if bodies:
        bodies += [bodies[i % len(bodies)] for i in range(max(0, duplicates))]
    statuses = []
    with requests.Session() as session:
        for body in bodies:
            headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **signature_headers(body, app_secret)}
            try:
                statuses.append(session.post(url, data=body, headers=headers, timeout=timeout).status_code)
            except requests.RequestException:
                statuses.append(0)
    return statuses
