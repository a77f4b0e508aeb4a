"""The reconciler: reads every subscribed form's leads from Graph, so a lead whose webhook never
came still arrives. The first pass over a form backfills Meta's 90-day retention window; later
passes start where the last one ended, minus an overlap. Progress is saved after every page, so
a run stopped by a rate limit or a crash resumes where it stopped."""

from __future__ import annotations

import datetime as dt
import logging
import typing as t

import sqlalchemy as sa
from flask import current_app

from metaads.capture.followups import enqueue_followups
from metaads.capture.store import record_received, store_leads
from metaads.capture.upsert import among
from metaads.connections import connected_pages, graph_service
from metaads.graph.paging import read_ahead
from metaads.graph.types import LeadData
from metaads.models import Lead, LeadForm, SyncRun, WebhookInbox
from metaads.models.enums import FormStatus, InboxStatus, LeadSource
from metaads.sync.runs import SYNC_TIMEOUT, Unit, bump, save_progress, start_run, sync_from_meta
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.models import utcnow

log = logging.getLogger(__name__)

#: Leads per Graph page when reading a form: fewer round trips and commits than the default 100.
RECONCILE_PAGE_SIZE = 500
#: How far back the first pass over a form reaches: Meta keeps leads about 90 days.
BACKFILL_WINDOW = dt.timedelta(days=90)


def start_reconcile(trigger: str = "manual", requested_by: int | None = None) -> int:
    """Record a run and queue it; returns the run's id (the route answers 202 with it)."""
    run = start_run("leads", trigger=trigger, requested_by=requested_by)
    jobs.enqueue(reconcile_leads, run.id, queue="metaads-default", timeout=SYNC_TIMEOUT)
    return run.id


def reconcile_leads(run_id: int) -> None:
    run = db.session.get(SyncRun, run_id)
    if run is not None:
        sync_from_meta(run, active_forms(), lambda unit: reconcile_form(run, unit), job=reconcile_leads)


def active_forms() -> t.Iterator[Unit[LeadForm]]:
    """Every active form of every connected page, page after page, with its page's token."""
    for page, platform_id in connected_pages():
        forms = db.session.execute(
            sa.select(LeadForm)
            .where(LeadForm.page_id == page.page_id, LeadForm.status == FormStatus.ACTIVE)
            .order_by(LeadForm.id)
        ).scalars()
        for form in forms.all():
            yield Unit(form.meta_form_id, f"form {form.meta_form_id}", page.access_token or "", platform_id, form)


def reconcile_form(run: SyncRun, unit: Unit[LeadForm]) -> None:
    form, token, platform_id = unit.item, unit.token, unit.platform_id
    started = utcnow()
    backfill = form.leads_synced_until is None
    progress = run.progress or {}
    resuming = progress.get("form") == form.meta_form_id
    since = window_start(form, started, progress.get("since") if resuming else None)
    after = progress.get("cursor") if resuming else None
    source = LeadSource.BACKFILL if backfill else LeadSource.RECONCILER
    # Plain values: the form's attributes would be read again from the database after each commit.
    form_id, page_id = form.meta_form_id, form.page_id
    pages = graph_service().get_lead_pages(form_id, token, since=since, after=after, page_size=RECONCILE_PAGE_SIZE)
    # The next page is read (in another thread, Meta answering meanwhile) while this one is
    # stored; the cursor saved is always that of the last page stored.
    for page in read_ahead(pages):
        created = store_page(run, form_id, page_id, page.items, source, platform_id)
        # One commit for the page's leads and the cursor after them: a resumed run neither
        # skips nor reads again what was stored.
        save_progress(run, form=form_id, cursor=page.after, since=since.isoformat())
        if created:
            enqueue_followups(created)
    form.leads_synced_until = started
    form.last_synced_at = started
    # The form is read to its end: nothing of it to resume (committed with its new window end).
    run.progress = {**(run.progress or {}), "form": None, "cursor": None, "since": None}
    db.session.commit()


def window_start(form: LeadForm, started: dt.datetime, resumed_since: str | None) -> dt.datetime:
    """Where this pass starts: where an interrupted pass started, else the end of the last pass
    minus the overlap, else (a form never read) the start of Meta's retention window."""
    if resumed_since:
        return dt.datetime.fromisoformat(resumed_since)
    if form.leads_synced_until is None:
        return started - BACKFILL_WINDOW
    return form.leads_synced_until - overlap()


def store_page(
    run: SyncRun, form_id: str, page_id: str, leads: list[LeadData], source: LeadSource, platform_id: int | None
) -> list[int]:
    """Store one page of leads of the form ``form_id`` and count it on the run (the caller
    commits); returns the ids of the new leads, for their follow-ups once committed."""
    stored = store_leads(leads, source=source, platform_id=platform_id, page_ids={lead.id: page_id for lead in leads})
    announced = set(
        db.session.execute(sa.select(WebhookInbox.dedupe_key).where(among(WebhookInbox.dedupe_key, stored.ids))).scalars()
    )
    created = set(stored.created)
    created_meta = {meta for meta, lead_id in stored.ids.items() if lead_id in created}
    missed = created_meta - announced
    record_received(
        {
            stored.ids[meta]: {
                "source": source.value,
                "run_id": run.id,
                "webhook_missed": meta in missed and source == LeadSource.RECONCILER,
            }
            for meta in created_meta
        }
    )
    if announced:
        # Leads whose webhook row is still waiting are done now: the worker must not read them again.
        # The row is left as the worker's own processing (mark_processed) would leave it: pointing
        # at its lead, with no error from the failed reads before (last_error and error_code).
        lead_of_row = sa.select(Lead.id).where(Lead.meta_lead_id == WebhookInbox.dedupe_key).scalar_subquery()
        db.session.execute(
            sa.update(WebhookInbox)
            .where(among(WebhookInbox.dedupe_key, announced), WebhookInbox.status != InboxStatus.PROCESSED)
            .values(
                status=InboxStatus.PROCESSED,
                lead_id=lead_of_row,
                processed_at=utcnow(),
                next_attempt_at=None,
                last_error=None,
                error_code=None,
            )
        )
    counted = {"fetched": len(leads), "created": len(stored.created)}
    if source == LeadSource.RECONCILER:
        counted["missed_by_webhook"] = len(missed)
    bump(run, **counted)
    if missed and source == LeadSource.RECONCILER:
        log.warning("reconciler found %d leads on form %s that no webhook announced", len(missed), form_id)
    return stored.created


def overlap() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["METAADS_RECONCILE_OVERLAP"])
