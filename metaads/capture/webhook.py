"""metaads' ``leadgen`` webhook handler: one inbox row per lead, committed before Meta gets 200.

The row is both the record of what Meta sent (Meta keeps nothing and has no replay API) and the
outbox for the processing job: if the enqueue fails (Redis down) the row stays ``pending`` and
the sweeper enqueues it later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import typing as t

from metaads.capture.process import enqueue_in_batches, queue_is_busy
from metaads.capture.upsert import insert_for
from metaads.models import WebhookInbox
from metaads.models.enums import InboxStatus, LeadSource
from plugins.core import autocommit
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.registry import WebhookChange

log = logging.getLogger(__name__)


def handle_leadgen(changes: list[WebhookChange]) -> None:
    """Store every change, then hand the new rows to a worker; duplicates only count deliveries."""
    pending = store([inbox_row(change) for change in changes])
    enqueue_pending(pending)


def handle_malformed(body: bytes, reason: str) -> None:
    """A signed delivery we cannot read is kept, for an admin to inspect, as one invalid row."""
    digest = hashlib.sha256(body).hexdigest()
    row = {
        "dedupe_key": f"sha256:{digest}",
        "payload": storable({"raw": body[:65536].decode("utf-8", "replace"), "reason": reason}),
        "status": InboxStatus.INVALID.value,
        "last_error": reason,
    }
    store([row])


def inbox_row(change: WebhookChange) -> dict[str, t.Any]:
    value = change.value
    leadgen_id = exact_id(value.get("leadgen_id")) if isinstance(value, dict) else None
    if leadgen_id is None:
        kept = storable({"value": value, "entry_id": change.entry_id})
        encoded = json.dumps(kept["value"], sort_keys=True).encode()
        return {
            "dedupe_key": "sha256:" + hashlib.sha256(encoded).hexdigest(),
            "page_id": exact_id(change.entry_id),
            "payload": kept,
            "status": InboxStatus.INVALID.value,
            "last_error": "a leadgen change without a usable leadgen_id",
        }
    return {
        "dedupe_key": leadgen_id,
        "leadgen_id": leadgen_id,
        "page_id": exact_id(value.get("page_id")) or exact_id(change.entry_id),
        "form_id": exact_id(value.get("form_id")),
        "ad_id": exact_id(value.get("ad_id")),
        "adgroup_id": exact_id(value.get("adgroup_id")),
        "created_time": unix_time(value.get("created_time")),
        # A readable change is wholly in the columns above (its value holds ids and a time and
        # nothing else); only what we could not read keeps its value as JSON, so the hottest
        # insert we have carries no copy of its own columns.
        "payload": None,
        "status": InboxStatus.PENDING.value,
    }


def exact_id(value: t.Any) -> str | None:
    """Ids arrive as strings or as JSON numbers of any size (parsed to exact strings upstream).
    ASCII digits only: ``str.isdigit`` also takes "²" and "١٢٣", which are no ids of Meta's."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if text.isascii() and text.isdigit() and len(text) <= 64 else None


#: Deeper JSON than this is kept as a note, not as JSON: every step that writes it out again (here,
#: the database driver) recurses once per level, and Meta's own payloads are four levels deep.
MAX_KEPT_DEPTH = 32
TOO_DEEP = f"(nested deeper than {MAX_KEPT_DEPTH} levels: not kept)"


def storable(value: t.Any, room: int = MAX_KEPT_DEPTH) -> t.Any:
    """``value`` as PostgreSQL's text and jsonb can hold it, for a row that keeps what Meta sent.

    PostgreSQL refuses NUL characters and lone UTF-16 surrogates (JSON's ``"\\ud800"``, which
    Python's parser lets through), and the driver cannot even encode the latter: each is written
    out as its escape (``\\u0000``, ``\\ud800``), readable by whoever inspects the row. A
    structure nested more than ``room`` levels deep keeps a note in its place."""
    if isinstance(value, str):
        return escaped(value)
    if not isinstance(value, dict | list | tuple):
        return value
    if room <= 0:
        return TOO_DEEP
    if isinstance(value, dict):
        return {escaped(str(k)): storable(v, room - 1) for k, v in value.items()}
    return [storable(v, room - 1) for v in value]


def escaped(text: str) -> str:
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")


def unix_time(value: t.Any) -> dt.datetime | None:
    try:
        seconds = int(str(value))
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


#: Every inbox column a webhook sets: executemany needs the same keys in every row.
COLUMNS = (
    "dedupe_key",
    "leadgen_id",
    "page_id",
    "form_id",
    "ad_id",
    "adgroup_id",
    "created_time",
    "payload",
    "status",
    "last_error",
)


#: What a new row starts with, spelled out: the inbox upsert runs without SQLAlchemy's defaults.
NEW_ROW = {"source": LeadSource.WEBHOOK.value, "attempts": 0, "deliveries": 1}


def store(rows: list[dict[str, t.Any]]) -> list[int]:
    """Insert the rows, or count one more delivery for keys we have; commit.

    Returns the ids of the rows still waiting for a worker (new ones, and earlier ones not yet
    processed). One cached statement, executed for many rows, answers with those ids itself and
    is committed on its own: this runs once per webhook delivery, the hottest path we have.
    """
    unique = {row["dedupe_key"]: row for row in rows}  # a batch may repeat a lead
    if not unique:
        return []
    now = utcnow()
    stored = autocommit.execute(upsert_statement(), [full_row(row, now) for row in unique.values()])
    return [row_id for row_id, status in stored if status == InboxStatus.PENDING]


def full_row(row: dict[str, t.Any], received_at: dt.datetime) -> dict[str, t.Any]:
    """``row`` with every column the upsert binds (the ones it does not set are None)."""
    return {**dict.fromkeys(COLUMNS), **NEW_ROW, "received_at": received_at, **row}


_UPSERTS: dict[str, t.Any] = {}


def upsert_statement() -> t.Any:
    """``INSERT … ON CONFLICT (dedupe_key) DO UPDATE SET deliveries = deliveries + 1 RETURNING
    id, status``, built once per dialect so SQLAlchemy's statement cache can keep it compiled."""
    dialect = db.engine.dialect.name
    if dialect not in _UPSERTS:
        table = WebhookInbox.__table__
        _UPSERTS[dialect] = (
            insert_for(table)
            .on_conflict_do_update(index_elements=[table.c.dedupe_key], set_={"deliveries": table.c.deliveries + 1})
            .returning(table.c.id, table.c.status)
        )
    return _UPSERTS[dialect]


def enqueue_pending(inbox_ids: list[int]) -> None:
    """Best effort: the rows are safe in the database whatever happens here."""
    if not inbox_ids or queue_is_busy():
        # Jobs already waiting will claim these rows when they run (a job takes every due row).
        return
    try:
        enqueue_in_batches(inbox_ids)
    except Exception as exc:  # Redis down, or anything else: the sweeper enqueues them later
        log.warning("could not enqueue %d inbox rows (%s); the sweeper will", len(inbox_ids), type(exc).__name__)
