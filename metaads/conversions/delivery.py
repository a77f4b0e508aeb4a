"""Sending the pending events to ``POST /{dataset_id}/events``: in id order (a lead's earlier
stages first), up to 1,000 per call, as durable as lead capture.

* Full batches go at once; a part-filled one waits until no event came for
  ``METAADS_CONVERSIONS_LINGER`` seconds (or its oldest event waited ``…_MAX_WAIT``): a burst of
  changes costs a few calls.
* A transient error (Meta's code 1/2, a 5xx, a timeout) waits with backoff, a rate limit waits as
  long as Meta says, then the same events go again (their ``event_id`` makes a resend after a
  lost answer harmless). The wait is the sender's, not per event, so order is kept.
* 190: the connection is marked for re-auth and the events wait; the sweep sends them once a
  connection is active again.
* Meta refusing the batch (code 100) names the bad event (``data[i]``): that event is marked
  failed with Meta's message (expired for "too old", subcode 2804003) and the rest go again.
  Without an index the batch is halved until the bad events are alone.
* An event older than 7 days is never sent: it is marked expired with the reason. Erased leads
  send nothing more; test leads nothing unless a test event code is set.

Which token: the dataset belongs to the business, not to a Page, so a connection's own token
(``SocialPlatform.access_token``, a user or system-user token) is used: a system user's first
(it does not expire), else the most recently updated active connection.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import time
import typing as t

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError

from metaads.connections import active_connections, graph_service, mark_needs_reauth
from metaads.conversions.events import MAX_AGE, event_id, event_payload
from metaads.conversions.settings import DEFAULT_STAGE_NAMES, active_settings
from metaads.graph.errors import (
    GraphError,
    GraphInvalidParameterError,
    GraphRateLimitError,
    GraphTokenError,
    GraphTransientError,
)
from metaads.graph.retry import Backoff
from metaads.models import ConversionBatch, ConversionEvent, ConversionSettings, Lead
from metaads.models.enums import LeadStatus
from metaads.queues import DEFAULT
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.http import APIError
from plugins.core.models import utcnow

log = logging.getLogger(__name__)

#: Meta's limit of events per call.
BATCH_SIZE = 1000
#: Expire a little before Meta's 7 days, so an event does not turn too old on its way.
EXPIRY_MARGIN = dt.timedelta(minutes=10)
#: After a transient error: 10 s, 20 s, 40 s … (at least half that), at most 30 minutes apart.
SEND_BACKOFF = Backoff(base=10.0, cap=1800.0, floor=0.5)
#: Meta's subcode for an event older than 7 days.
TOO_OLD_SUBCODE = 2804003
EVENT_INDEX = re.compile(r"data\[(\d+)\]")
#: Token types that do not expire (socials' ``SocialPlatform.token_type``): preferred.
LASTING_TOKENS = ("system_user",)

#: The window of the last send job each app queued (one job per window, whatever the changes).
_queued_window: dict[int, int] = {}


@dataclasses.dataclass(frozen=True)
class DatasetAccess:
    token: str
    platform_id: int


def dataset_access() -> DatasetAccess | None:
    """The token the dataset is written with (see the module docstring); None without an active
    connection (the events wait for a reconnect)."""
    connections = [c for c in active_connections() if c.access_token]
    if not connections:
        return None
    connections.sort(
        key=lambda c: (c.token_type in LASTING_TOKENS, c.updated_at.timestamp() if c.updated_at else 0), reverse=True
    )
    return DatasetAccess(t.cast(str, connections[0].access_token), connections[0].id)


# -- queuing the sender ----------------------------------------------------------------------------


def kick(delay: float | None = None) -> None:
    """Queue the sender in ``delay`` seconds (default: the linger). Delayed jobs are one per
    window of the linger's length, named by the window, so a burst of changes queues a handful
    of jobs and a job that reschedules itself lands in a later window than its own. If Redis is
    down the periodic sweep queues it later: the events are committed already."""
    linger = float(current_app.config["METAADS_CONVERSIONS_LINGER"])
    delay = linger if delay is None else delay
    try:
        if delay <= 0:
            jobs.enqueue(send_pending, queue=DEFAULT)
            return
        length, now = max(linger, 1.0), time.time()
        window = max(int((now + delay) // length), int(now // length) + 1)
        app_key = id(current_app._get_current_object())  # type: ignore[attr-defined]
        if _queued_window.get(app_key) == window:
            return
        delay = max(delay, window * length - now)
        jobs.enqueue(send_pending, queue=DEFAULT, job_id=f"metaads-conversions-{window}", delay=dt.timedelta(seconds=delay))
        _queued_window[app_key] = window
    except RedisError as exc:
        log.warning("could not queue the Conversions API sender: %s", type(exc).__name__)


def on_leads_changed(sender: t.Any, **_: t.Any) -> None:
    """Receiver of ``lead_received`` and ``lead_status_changed`` (sent after the commit that wrote
    the events)."""
    if active_settings() is not None:
        kick()


def sweep_conversions() -> int:
    """Periodic: queue the sender when events wait (a lost job, Redis back, a reconnect)."""
    if active_settings() is None:
        return 0
    waiting = db.session.scalar(sa.select(sa.func.count()).where(ConversionEvent.status == "pending")) or 0
    if waiting:
        kick(0)
    return int(waiting)


# -- sending -----------------------------------------------------------------------------------------


def send_pending() -> str:
    """The job: send every pending event that is due, batch by batch. Returns how it ended:
    ``off``, ``idle``, ``sent``, ``lingering``, ``waiting`` (backoff or rate limit),
    ``needs_reauth``."""
    settings = active_settings()
    if settings is None:
        return "off"
    now = utcnow()
    if settings.retry_at is not None and settings.retry_at > now:
        kick((settings.retry_at - now).total_seconds())
        return "waiting"
    retire_unsendable(settings, now)
    access = dataset_access()
    if access is None:
        settings.last_error = "No active Facebook connection: reconnect to send the waiting events."
        db.session.commit()
        return "needs_reauth"
    outcome = "idle"
    while True:
        rows = pending_rows()
        if not rows:
            break
        if len(rows) < BATCH_SIZE and (wait := linger_left(rows, utcnow())) > 0:
            db.session.rollback()  # release the rows' locks
            kick(wait)
            return "lingering" if outcome == "idle" else outcome
        outcome = send_rows(settings, access, rows)
        if outcome not in ("sent", "refused"):
            return outcome
    return outcome


def pending_rows() -> list[tuple[ConversionEvent, str]]:
    """The next batch, oldest first, each with its lead's Meta id. On PostgreSQL the rows stay
    locked until the batch is settled, so two senders never send the same events."""
    query = (
        sa.select(ConversionEvent, Lead.meta_lead_id)
        .join(Lead, Lead.id == ConversionEvent.lead_id)
        .where(ConversionEvent.status == "pending")
        .order_by(ConversionEvent.id)
        .limit(BATCH_SIZE)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ConversionEvent)
    return [(event, meta_id) for event, meta_id in db.session.execute(query).all()]


def linger_left(rows: t.Sequence[tuple[ConversionEvent, str]], now: dt.datetime) -> float:
    """Seconds a part-filled batch still waits for more events (0: send it now)."""
    config = current_app.config
    newest = max(event.created_at for event, _ in rows)
    oldest = min(event.created_at for event, _ in rows)
    quiet_at = newest + dt.timedelta(seconds=float(config["METAADS_CONVERSIONS_LINGER"]))
    deadline = oldest + dt.timedelta(seconds=float(config["METAADS_CONVERSIONS_MAX_WAIT"]))
    return max(0.0, (min(quiet_at, deadline) - now).total_seconds())


def send_rows(settings: ConversionSettings, access: DatasetAccess, rows: t.Sequence[tuple[ConversionEvent, str]]) -> str:
    """One call for ``rows``; settles them by Meta's answer and commits. Returns ``sent``,
    ``refused`` (some events failed, the rest are pending again), ``waiting`` or ``needs_reauth``."""
    dataset_id = t.cast(str, settings.dataset_id)
    code = settings.test_event_code
    try:
        answer = graph_service().send_events(
            dataset_id, [event_payload(event, meta_id) for event, meta_id in rows], access.token, test_event_code=code
        )
    except GraphError as exc:
        db.session.rollback()
        return settle_error(settings, access, rows, exc)
    batch = ConversionBatch(
        dataset_id=dataset_id,
        events=len(rows),
        events_received=answer.events_received,
        fbtrace_id=answer.fbtrace_id,
        test_event_code=code,
        status="sent",
    )
    db.session.add(batch)
    db.session.flush()
    now = utcnow()
    for event, _ in rows:
        event.status, event.sent_at, event.batch_id, event.error = "sent", now, batch.id, None
    settings.failures, settings.retry_at, settings.last_error = 0, None, None
    db.session.commit()
    return "sent"


def settle_error(
    settings: ConversionSettings, access: DatasetAccess, rows: t.Sequence[tuple[ConversionEvent, str]], exc: GraphError
) -> str:
    """Sort Meta's error by its class (never by HTTP status) and record it."""
    record_failed_batch(settings, len(rows), exc)
    if isinstance(exc, GraphTokenError):
        mark_needs_reauth(access.platform_id, exc)
        settings.last_error = f"Facebook refused the token; reconnect to send the waiting events. ({exc})"[:2000]
        db.session.commit()
        return "needs_reauth"
    if isinstance(exc, GraphRateLimitError):
        return wait(settings, exc.retry_after, f"Meta asked to slow down: {exc}", count=False)
    if isinstance(exc, GraphInvalidParameterError):
        return refused(settings, access, rows, exc)
    # Transient errors and anything else (a permission Meta withdrew, an odd answer): try again
    # later; the admin sees the reason on the Pipeline page.
    return wait(settings, None, str(exc), count=True, transient=isinstance(exc, GraphTransientError))


def wait(settings: ConversionSettings, seconds: float | None, reason: str, *, count: bool, transient: bool = True) -> str:
    if count:
        settings.failures = (settings.failures or 0) + 1
        seconds = SEND_BACKOFF.delay(settings.failures - 1)
    seconds = max(float(seconds or 60.0), 1.0)
    settings.retry_at = utcnow() + dt.timedelta(seconds=seconds)
    settings.last_error = reason[:2000]
    db.session.commit()
    log.warning("Conversions API: waiting %.0f s (%s)", seconds, "transient error" if transient else "Meta's answer")
    kick(seconds)
    return "waiting"


def refused(
    settings: ConversionSettings, access: DatasetAccess, rows: t.Sequence[tuple[ConversionEvent, str]], exc: GraphError
) -> str:
    """Meta refused the whole call because of some events: fail those, send the others again."""
    message = exc.user_message or str(exc)
    match = EVENT_INDEX.search(message)
    if match and int(match.group(1)) < len(rows):
        mark_refused(rows[int(match.group(1))][0], exc, message)
        db.session.commit()
        return "refused"
    if len(rows) == 1:
        mark_refused(rows[0][0], exc, message)
        db.session.commit()
        return "refused"
    db.session.commit()
    half = len(rows) // 2
    for part in (rows[:half], rows[half:]):
        outcome = send_rows(settings, access, part)
        if outcome not in ("sent", "refused"):
            return outcome
    return "refused"


def mark_refused(event: ConversionEvent, exc: GraphError, message: str) -> None:
    event.status = "expired" if exc.subcode == TOO_OLD_SUBCODE else "failed"
    event.error = f"Meta: {message}"[:2000]


def record_failed_batch(settings: ConversionSettings, size: int, exc: GraphError) -> None:
    db.session.add(
        ConversionBatch(
            dataset_id=t.cast(str, settings.dataset_id),
            events=size,
            test_event_code=settings.test_event_code,
            status="failed",
            error=(exc.user_message or str(exc))[:2000],
            fbtrace_id=exc.fbtrace_id,
        )
    )


def retire_unsendable(settings: ConversionSettings, now: dt.datetime) -> None:
    """Expire what Meta would refuse as too old; skip what must not go (erased, test leads)."""
    oldest = now - MAX_AGE + EXPIRY_MARGIN
    pending = ConversionEvent.status == "pending"
    db.session.execute(
        sa.update(ConversionEvent)
        .where(pending, ConversionEvent.reached_at < oldest)
        .values(status="expired", error="Older than 7 days, the most Meta accepts: not sent.")
    )
    erased = sa.select(Lead.id).where(Lead.erased_at.is_not(None))
    db.session.execute(
        sa.update(ConversionEvent)
        .where(pending, ConversionEvent.lead_id.in_(erased))
        .values(status="skipped", error="The lead's personal data was erased: nothing more is sent.")
    )
    if not settings.test_event_code:
        db.session.execute(
            sa.update(ConversionEvent)
            .where(pending, ConversionEvent.lead_id.in_(sa.select(Lead.id).where(Lead.is_test.is_(True))))
            .values(status="skipped", error="A test lead: sent only while a test event code is set.")
        )
    db.session.commit()


# -- the settings page's "Send a test event" -----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TestEventResult:
    events_received: int
    fbtrace_id: str | None
    lead_id: int


def send_test_event(settings: ConversionSettings) -> TestEventResult:
    """One event for the newest lead, at once, with the test event code (so it lands in Events
    Manager's test tab, not in the optimisation). Raises APIError when it cannot be sent, and
    GraphError when Meta refuses it."""
    if not settings.dataset_id:
        raise APIError(400, "validation_error", "Set the dataset (pixel) id first.", {"fields": {"dataset_id": ["required"]}})
    if not settings.test_event_code:
        raise APIError(
            400,
            "validation_error",
            "Set a test event code first (Events Manager → Test events), so the test does not count as a real event.",
            {"fields": {"test_event_code": ["required"]}},
        )
    lead = db.session.execute(
        sa.select(Lead).where(Lead.erased_at.is_(None)).order_by(Lead.created_time.desc()).limit(1)
    ).scalar_one_or_none()
    if lead is None:
        raise APIError(409, "no_leads", "There is no lead to send a test event for yet.")
    access = dataset_access()
    if access is None:
        raise APIError(409, "needs_reauth", "No active Facebook connection: reconnect first.")
    stage = LeadStatus.NEW.value
    name = (settings.stage_names or {}).get(stage) or DEFAULT_STAGE_NAMES[stage]
    event = ConversionEvent(
        lead_id=lead.id,
        stage=stage,
        event_name=name,
        event_id=f"test-{event_id(lead.meta_lead_id, stage)}-{int(time.time())}",
        reached_at=max(lead.created_time, utcnow() - dt.timedelta(minutes=1)),
    )
    try:
        answer = graph_service().send_events(
            settings.dataset_id, [event_payload(event, lead.meta_lead_id)], access.token, test_event_code=settings.test_event_code
        )
    except GraphTokenError as exc:
        mark_needs_reauth(access.platform_id, exc)
        db.session.commit()
        raise
    return TestEventResult(answer.events_received, answer.fbtrace_id, int(lead.meta_lead_id))
