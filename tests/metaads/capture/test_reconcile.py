"""The reconciler's backfill read ahead: the next page is fetched while one is stored, and the
cursor saved is always that of the last page stored, so a rate limit or an error mid-way loses
nothing and reads nothing twice."""

from __future__ import annotations

import threading
import typing as t

import pytest
import sqlalchemy as sa
from flask import Flask

from metaads.capture import reconcile
from metaads.connections import graph_service
from metaads.graph.paging import Page
from metaads.graph.types import LeadData
from metaads.graph.usage import InMemoryUsageStore
from metaads.models import Lead, LeadActivity, LeadForm, SyncRun
from metaads.models.enums import SyncRunStatus
from metaads.sandbox import SandboxState
from metaads.service import MetaAdsService
from metaads.sync.runs import start_run
from plugins.core import jobs
from plugins.core.extensions import db

PAGE = 5
NEW_LEADS = 23


@pytest.fixture
def backfill(graph: SandboxState, connected: int, monkeypatch: pytest.MonkeyPatch) -> str:
    """The standard form with more leads, to be read again from the start of Meta's window, a
    few leads a page; returns its id."""
    form = graph.seed.forms["standard"]
    graph.bulk_leads(form, NEW_LEADS)
    monkeypatch.setattr(reconcile, "RECONCILE_PAGE_SIZE", PAGE)
    db.session.execute(sa.update(LeadForm).where(LeadForm.meta_form_id == form).values(leads_synced_until=None))
    db.session.commit()
    graph.clear_calls()
    return form


class PagesRead:
    """Wraps ``get_lead_pages`` of one form: notes each page, and runs ``then`` (e.g. injects a
    fault) once ``after_page`` pages were handed over, before the next is asked for."""

    def __init__(self, form: str, after_page: int, then: t.Callable[[], None]) -> None:
        self.form, self.after_page, self.then = form, after_page, then
        self.pages: list[Page[LeadData]] = []

    @property
    def cursors(self) -> list[str | None]:
        return [page.after for page in self.pages]

    def lead_ids(self) -> set[str]:
        return {lead.id for page in self.pages for lead in page.items}

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = MetaAdsService.get_lead_pages

        def pages(service: MetaAdsService, form_id: str, *args: t.Any, **kwargs: t.Any) -> t.Iterator[Page[LeadData]]:
            for page in real(service, form_id, *args, **kwargs):
                if form_id == self.form:
                    self.pages.append(page)
                yield page
                if form_id == self.form and len(self.pages) == self.after_page:
                    self.then()

        monkeypatch.setattr(MetaAdsService, "get_lead_pages", pages)


def run_reconciler() -> SyncRun:
    run = start_run("leads", trigger="test")
    reconcile.reconcile_leads(run.id)
    db.session.expire_all()
    done = db.session.get(SyncRun, run.id)
    assert done is not None
    return done


def lead_reads(graph: SandboxState, form: str) -> list[dict[str, str]]:
    """The query of each read of the form's leads Meta received, in order."""
    return [call["params"] for call in graph.calls if call["path"].endswith(f"/{form}/leads")]


def reader_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "graph-read-ahead"]


def stored_leads(form: str) -> int:
    return db.session.execute(sa.select(sa.func.count()).where(Lead.form_id == form)).scalar_one()


def stored_ids(form: str) -> set[str]:
    return set(db.session.execute(sa.select(Lead.meta_lead_id).where(Lead.form_id == form)).scalars())


def test_a_rate_limit_mid_backfill_pauses_and_resumes_after_the_last_stored_page(
    app: Flask, graph: SandboxState, backfill: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored_leads(backfill)
    read = PagesRead(backfill, 2, lambda: graph.add_fault(kind="rate_limit", code=80005, path="/leads", times=1))
    read.install(monkeypatch)

    paused = run_reconciler()
    assert paused.status == SyncRunStatus.RUNNING and paused.counts["rate_limited"] == 1
    assert paused.progress["form"] == backfill
    assert paused.progress["cursor"] == read.cursors[1], "the cursor of the second page, the last one stored"
    assert len(lead_reads(graph, backfill)) == 3, "the third read was refused, no read after it"
    assert not reader_threads()
    assert len(jobs.runner().deferred) == 1, "the run continues after Meta's wait"

    graph_service().client.usage_store = InMemoryUsageStore()  # Meta's wait is over
    graph.clear_calls()
    assert jobs.runner().run_deferred() == 1
    db.session.expire_all()
    done = db.session.get(SyncRun, paused.id)
    assert done is not None and done.status == SyncRunStatus.SUCCEEDED
    assert lead_reads(graph, backfill)[0].get("after") == read.cursors[1], "resumed after the last stored page"
    assert stored_leads(backfill) == before + NEW_LEADS
    assert done.counts["created"] == NEW_LEADS
    received = sa.select(LeadActivity.lead_id).where(LeadActivity.action == "received").group_by(LeadActivity.lead_id)
    assert not db.session.execute(received.having(sa.func.count() > 1)).all(), "each lead received once"


def test_an_error_mid_backfill_keeps_the_pages_before_it_and_stops_reading(
    app: Flask, graph: SandboxState, backfill: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored_ids(backfill)
    read = PagesRead(backfill, 2, lambda: graph.add_fault(kind="transient", code=2, path="/leads", times=1))
    read.install(monkeypatch)

    run = run_reconciler()
    assert run.status == SyncRunStatus.PARTIAL and f"form {backfill}" in (run.error or "")
    assert len(read.pages) == 2 and len(lead_reads(graph, backfill)) == 3 and not reader_threads()
    assert stored_ids(backfill) == before | read.lead_ids(), "the two pages read are stored, nothing after them"
    assert len(stored_ids(backfill)) < len(before) + NEW_LEADS
    form = db.session.execute(sa.select(LeadForm).where(LeadForm.meta_form_id == backfill)).scalar_one()
    assert form.leads_synced_until is None, "the backfill is not taken as done"


def test_a_failure_to_store_stops_the_reader(
    app: Flask, graph: SandboxState, backfill: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = reconcile.store_page
    stored_pages = []

    def store_page(*args: t.Any) -> list[int]:
        if len(stored_pages) == 1:
            raise RuntimeError("the database went away")
        stored_pages.append(real(*args))
        return stored_pages[-1]

    monkeypatch.setattr(reconcile, "store_page", store_page)
    with pytest.raises(RuntimeError, match="went away"):
        run_reconciler()
    assert not reader_threads()
    assert len(lead_reads(graph, backfill)) <= 4, "reading stopped with the storing (two pages ahead at most)"
