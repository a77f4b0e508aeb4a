"""The processing job: claim pending inbox rows, read their leads from Graph (Batch API), store
them, and sort every failure by Meta's error class so that each row ends in a state an admin can
read: processed, waiting for a reconnect, gone, or failed after its retries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time

import sqlalchemy as sa
from flask import current_app

from metaads.capture.followups import enqueue_followups
from metaads.capture.store import Stored, record_received, store_leads
from metaads.connections import graph_service, mark_needs_reauth, page_token
from metaads.graph.errors import (
    GraphError,
    GraphNotFoundError,
    GraphPermissionError,
    GraphRateLimitError,
    GraphTokenError,
    GraphTransientError,
)
from metaads.graph.retry import Backoff
from metaads.models import WebhookInbox
from metaads.models.enums import InboxStatus, LeadSource
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.models import utcnow

log = logging.getLogger(__name__)

#: Leads per Graph Batch call (Meta's limit is 50).
BATCH_SIZE = 50
#: Meta retries a webhook for 36 hours; we keep trying a lead for longer than that.
MAX_ATTEMPTS = 20
ELIGIBLE = (InboxStatus.PENDING, InboxStatus.ENQUEUED)
#: A transient failure's row is due again after 30 s, 1 min, 2 min, … (at least half that, at
#: most all of it), capped at 6 hours.
RETRY_BACKOFF = Backoff(base=30.0, cap=6 * 3600.0, floor=0.5)
#: How long one job keeps claiming batches before it hands over to a fresh job.
DRAIN_SECONDS = 60.0
#: Waiting processing jobs beyond which a webhook queues no further job (see queue_is_busy).
BUSY_QUEUE_LENGTH = 2
#: How long a web process trusts having seen that many jobs waiting before it asks Redis again:
#: asking on every delivery costs a round trip per webhook at burst rates. It is safe because
#: a job leaves only after finding nothing due twice, at least this far apart (claim_until_quiet).
BUSY_MEMORY_SECONDS = 0.25
#: How often a job that found nothing due looks again during that time.
QUIET_POLL_SECONDS = 0.05

_busy_until = 0.0  # per process: until when queue_is_busy answers True without asking


def enqueue_processing(inbox_ids: list[int], delay: dt.timedelta | None = None) -> None:
    """Hand rows to a worker. Rows stay ``pending`` (due) until a worker claims them, so a job
    that is lost on the way is covered by the sweeper."""
    jobs.enqueue(process_inbox, inbox_ids, queue="metaads-high", delay=delay)


def enqueue_in_batches(inbox_ids: list[int]) -> None:
    for start in range(0, len(inbox_ids), BATCH_SIZE):
        enqueue_processing(inbox_ids[start : start + BATCH_SIZE])


def queue_is_busy() -> bool:
    """Enough processing jobs wait already: any of them will claim newly due rows when it runs
    (a job takes every due row, not only the ones it was queued for), so one more adds only the
    cost of a job that finds nothing to do."""
    global _busy_until
    runner = jobs.runner()
    if runner.mode != "rq":
        return False
    asked = time.monotonic()
    if asked < _busy_until:
        return True
    try:
        busy = runner.waiting("metaads-high") >= BUSY_QUEUE_LENGTH
    except Exception:  # Redis down: the enqueue that follows fails and says so
        return False
    if busy:
        _busy_until = asked + BUSY_MEMORY_SECONDS
    return busy


def process_inbox(inbox_ids: list[int] | None = None) -> dict[str, int]:
    """Process these rows (if still due), then every other due row, batch after batch, until
    none is due or the job has run for ``DRAIN_SECONDS`` (then it queues its own follow-up).
    Idempotent: rows are claimed under a lease, leads are upserted."""
    deadline = time.monotonic() + DRAIN_SECONDS
    totals = Outcome()
    preferred = inbox_ids or []
    with LeaseKeeper() as lease:
        while rows := claim_until_quiet(preferred):
            lease.hold(rows)
            preferred = []
            outcome = Outcome()
            for page_id, group in group_by_page(rows).items():
                process_page(page_id, group, outcome)
            db.session.commit()
            lease.release()
            finish_batch(outcome)
            totals.add(outcome)
            if time.monotonic() > deadline:
                enqueue_processing([])  # more may be due: a fresh job carries on
                break
    return totals.counts()


class LeaseKeeper:
    """Renews the lease of the batch this job holds, from a thread of its own, every quarter of
    ``METAADS_INBOX_LEASE``, for as long as the job runs.

    So the lease can be short (a killed worker's rows are due again a lease after its last
    renewal, not a worst-case batch after it claimed them) while a batch may take as long as
    Graph makes it. A renewal extends only the rows of this job's own claim (their
    ``enqueued_at``): a job that stalled past its lease and lost its rows to another never
    extends the other's lease. Losing a lease costs a second Graph read, never a second lead:
    leads are upserted and only the insert that creates one reports it created.
    """

    def __init__(self) -> None:
        self.seconds = float(current_app.config["METAADS_INBOX_LEASE"])
        self.engine = db.engine  # the thread has no app context of its own
        self.held: tuple[list[int], dt.datetime | None] | None = None  # ids, their enqueued_at
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> LeaseKeeper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join()

    def hold(self, rows: list[WebhookInbox]) -> None:
        with self.lock:
            self.held = ([row.id for row in rows], rows[0].enqueued_at)
        if self.thread is None:  # started on the first batch: a job that finds nothing starts none
            self.thread = threading.Thread(target=self.keep, name="inbox-lease", daemon=True)
            self.thread.start()

    def release(self) -> None:
        with self.lock:
            self.held = None

    def keep(self) -> None:
        while not self.stopped.wait(self.seconds / 4):
            self.renew()

    def renew(self) -> int:
        """Extend the held rows' lease; returns how many were still this job's."""
        with self.lock:
            held = self.held
        if held is None:
            return 0
        ids, claimed_at = held
        table = WebhookInbox.__table__
        try:
            with self.engine.begin() as conn:
                renewed = conn.execute(
                    sa.update(table)
                    .where(table.c.id.in_(ids), table.c.status == InboxStatus.ENQUEUED, table.c.enqueued_at == claimed_at)
                    .values(next_attempt_at=utcnow() + dt.timedelta(seconds=self.seconds))
                ).rowcount
        except sa.exc.SQLAlchemyError as exc:  # the next renewal tries again; the lease covers three misses
            log.warning("could not renew the lease of %d inbox rows (%s)", len(ids), type(exc).__name__)
            return 0
        return int(renewed or 0)


def finish_batch(outcome: Outcome) -> None:
    if outcome.retry_ids:
        schedule_retry(outcome.retry_ids, outcome.retry_wait)
    if outcome.created:
        enqueue_followups(outcome.created)


def schedule_retry(inbox_ids: list[int], wait: float) -> None:
    """One delayed job for every row that waits; the sweeper covers a failed enqueue."""
    try:
        jobs.enqueue(process_inbox, inbox_ids, queue="metaads-high", delay=dt.timedelta(seconds=wait))
    except Exception:
        log.warning("could not schedule the retry of %d inbox rows; the sweeper will", len(inbox_ids))


@dataclasses.dataclass
class Outcome:
    created: list[int] = dataclasses.field(default_factory=list)
    retry_ids: list[int] = dataclasses.field(default_factory=list)
    retry_wait: float = 0.0
    processed: int = 0
    retrying: int = 0
    waiting: int = 0
    gone: int = 0
    failed: int = 0

    def counts(self) -> dict[str, int]:
        counts = {k: v for k, v in dataclasses.asdict(self).items() if isinstance(v, int)}
        return counts | {"created": len(self.created)}

    def add(self, other: Outcome) -> None:
        for field in ("processed", "retrying", "waiting", "gone", "failed"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        self.created.extend(other.created)

    def retry(self, row_id: int, wait: float) -> None:
        self.retry_wait = wait if not self.retry_ids else min(self.retry_wait, wait)
        self.retry_ids.append(row_id)
        self.retrying += 1


def claim(preferred: list[int]) -> list[WebhookInbox]:
    """Lease due rows: the ones asked for first, then the oldest others, up to a batch.

    On PostgreSQL ``SKIP LOCKED`` lets concurrent workers take disjoint rows.
    """
    now = utcnow()
    # A claimed row is this worker's for the lease; if the worker dies mid-batch the row is due
    # again when the lease ends, and the sweeper hands it to another worker.
    lease = dt.timedelta(seconds=current_app.config["METAADS_INBOX_LEASE"])
    due = sa.and_(
        WebhookInbox.status.in_(ELIGIBLE),
        sa.or_(WebhookInbox.next_attempt_at.is_(None), WebhookInbox.next_attempt_at <= now),
    )
    query = (
        sa.select(WebhookInbox)
        .where(due)
        .order_by(sa.case((WebhookInbox.id.in_(preferred or [-1]), 0), else_=1), WebhookInbox.id)
        .limit(BATCH_SIZE)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(db.session.execute(query).scalars())
    for row in rows:
        row.status = InboxStatus.ENQUEUED
        row.attempts += 1
        row.next_attempt_at = now + lease
        row.enqueued_at = now
    db.session.commit()
    if rows:  # one SELECT reloads them all, instead of one per row on first access
        rows = list(db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.id.in_([r.id for r in rows]))).scalars())
    return rows


def claim_until_quiet(preferred: list[int]) -> list[WebhookInbox]:
    """``claim``; with RQ, when nothing is due, keep looking until ``BUSY_MEMORY_SECONDS`` have
    passed since. A webhook that stored a row without queuing a job trusted that a job was
    waiting at most that long ago: that job starts later than the webhook looked, so its last
    look here comes after the row was committed, and it finds the row."""
    rows = claim(preferred)
    if rows or jobs.runner().mode != "rq":
        return rows
    quiet_until = time.monotonic() + BUSY_MEMORY_SECONDS
    while True:
        time.sleep(min(QUIET_POLL_SECONDS, max(0.0, quiet_until - time.monotonic())))
        looked = time.monotonic()
        rows = claim([])
        if rows or looked >= quiet_until:
            return rows


def group_by_page(rows: list[WebhookInbox]) -> dict[str | None, list[WebhookInbox]]:
    groups: dict[str | None, list[WebhookInbox]] = {}
    for row in rows:
        groups.setdefault(row.page_id, []).append(row)
    return groups


def process_page(page_id: str | None, rows: list[WebhookInbox], outcome: Outcome) -> None:
    access = page_token(page_id)
    if access is None:
        why = f"No connected Facebook page {page_id} with a usable token: connect or reconnect it; the lead waits."
        for row in rows:
            wait_for_reauth(row, why)
        outcome.waiting += len(rows)
        return
    try:
        results = graph_service().get_leads_batch([row.leadgen_id or "" for row in rows], access.token)
    except GraphError as exc:
        for row in rows:
            settle_error(row, exc, outcome, access.platform_id, whole_call=True)
        return
    found = [result for result in results.values() if not isinstance(result, GraphError)]
    stored = store_leads(
        found, source=LeadSource.WEBHOOK, platform_id=access.platform_id, page_ids={r.leadgen_id or "": page_id for r in rows}
    )
    record_arrivals(stored, rows)
    for row in rows:
        result = results.get(row.leadgen_id or "")
        if isinstance(result, GraphError) or result is None:
            settle_error(row, result or GraphTransientError("Graph returned nothing for this lead"), outcome, access.platform_id)
        else:
            mark_processed(row, stored.ids[result.id])
            outcome.processed += 1
    outcome.created.extend(stored.created)


def record_arrivals(stored: Stored, rows: list[WebhookInbox]) -> None:
    by_lead = {row.leadgen_id: row for row in rows}
    created = set(stored.created)
    details = {}
    for meta_id, lead_id in stored.ids.items():
        if lead_id in created:
            row = by_lead.get(meta_id)
            details[lead_id] = {
                "source": "webhook",
                "deliveries": row.deliveries if row else None,
                "inbox_id": row.id if row else None,
            }
    record_received(details)


def mark_processed(row: WebhookInbox, lead_id: int) -> None:
    row.status = InboxStatus.PROCESSED
    row.lead_id = lead_id
    row.processed_at = utcnow()
    row.next_attempt_at = None
    row.last_error = None
    row.error_code = None


def wait_for_reauth(row: WebhookInbox, why: str, code: str | None = None) -> None:
    row.status = InboxStatus.WAITING_REAUTH
    row.next_attempt_at = None
    row.last_error = why
    row.error_code = code


def settle_error(
    row: WebhookInbox, exc: GraphError, outcome: Outcome, platform_id: int | None, *, whole_call: bool = False
) -> None:
    """Sort by Meta's error class, never by HTTP status. A permission error on the whole call is
    the token's (a scope is missing): it waits for a reconnect. On one lead it is that lead's."""
    code = error_code(exc)
    if isinstance(exc, GraphTokenError):
        mark_needs_reauth(platform_id, exc)
        wait_for_reauth(row, f"Facebook refused the token ({exc.reason}); reconnect to resume.", code)
        outcome.waiting += 1
    elif isinstance(exc, GraphPermissionError) and whole_call:
        wait_for_reauth(row, f"The token lacks a permission Meta asks for ({exc}); reconnect and grant it.", code)
        outcome.waiting += 1
    elif isinstance(exc, GraphNotFoundError | GraphPermissionError):
        row.status = InboxStatus.GONE
        row.next_attempt_at = None
        row.last_error = gone_reason(exc)
        row.error_code = code
        outcome.gone += 1
    elif isinstance(exc, GraphRateLimitError | GraphTransientError) and row.attempts < MAX_ATTEMPTS:
        outcome.retry(row.id, retry_later(row, exc, code))
    else:
        row.status = InboxStatus.FAILED
        row.next_attempt_at = None
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        row.error_code = code
        outcome.failed += 1


def retry_later(row: WebhookInbox, exc: GraphError, code: str | None) -> float:
    """Back to pending, due after the wait; returns the wait in seconds."""
    if isinstance(exc, GraphRateLimitError):
        wait = max(exc.retry_after or 60.0, 1.0)  # Meta said how long; asking sooner only extends the block
    else:
        wait = RETRY_BACKOFF.delay(row.attempts - 1)  # attempts counts the claim that just failed
    row.status = InboxStatus.PENDING
    row.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    row.error_code = code
    return wait


def error_code(exc: GraphError) -> str | None:
    if exc.code is None:
        return None
    return f"{exc.code}/{exc.subcode}" if exc.subcode else str(exc.code)


def gone_reason(exc: GraphError) -> str:
    if isinstance(exc, GraphPermissionError):
        return (
            "Meta refused access to this lead: the page's Leads Access Manager may exclude this app, "
            f"or a permission is missing ({exc})."
        )[:2000]
    return f"Meta no longer has this lead (deleted, past the 90-day retention, or not visible to this token): {exc}"[:2000]
