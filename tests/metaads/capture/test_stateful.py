"""The lead path as a state machine (Hypothesis): leads created on Meta's side, delivered in
batches, again, with ids as big JSON numbers, while Graph fails now and then; retries, the
sweeper and the reconciler run in any order. After every step: each delivered lead has one inbox
row counting its deliveries, nothing is stored twice or altered, and no lead ends failed or
gone. At the end, once Graph recovers: every lead created is stored, once, with every answer.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import hypothesis.strategies as st
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from metaads.capture.reconcile import start_reconcile
from metaads.capture.sweeper import sweep_inbox
from metaads.models import Lead, WebhookInbox
from metaads.models.enums import InboxStatus
from metaads.sandbox import SandboxState
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.models import utcnow
from tests.metaads.conftest import deliver

ANSWERS = st.sampled_from(["Zoë Ünïcödé 李", "O'Brien; DROP TABLE", "=SUM(A1:A2)", "  spaced  ", "😀 emoji", "plain"])


def make_machine(client: FlaskClient, graph: SandboxState) -> type[RuleBasedStateMachine]:
    class LeadPath(RuleBasedStateMachine):
        leads = Bundle("leads")

        def __init__(self) -> None:
            super().__init__()
            graph.clear_faults()
            self.created: dict[str, list[dict[str, t.Any]]] = {}  # lead id → field_data on Meta's side
            self.deliveries: dict[str, int] = {}

        @rule(target=leads, form=st.sampled_from(["standard", "custom"]), organic=st.booleans(), answer=ANSWERS)
        def new_lead(self, form: str, organic: bool, answer: str) -> str:
            field_data = [{"name": "full_name", "values": [answer]}, {"name": "email", "values": ["A@Example.com"]}]
            lead = graph.create_lead(graph.seed.forms[form], field_data, ad=not organic)
            self.created[lead["id"]] = lead["field_data"]
            return str(lead["id"])

        @rule(
            batch=st.lists(leads, min_size=1, max_size=4, unique=True),
            big_numbers=st.booleans(),
            again=st.integers(min_value=0, max_value=2),
        )
        def deliver(self, batch: list[str], big_numbers: bool, again: int) -> None:
            statuses = deliver(client, graph, batch, batch=len(batch), big_number_ids=big_numbers, duplicates=again)
            assert statuses == [200] * (1 + again)
            for lead_id in batch:
                self.deliveries[lead_id] = self.deliveries.get(lead_id, 0) + 1 + again

        @rule(kind=st.sampled_from(["http_500", "transient"]), times=st.integers(min_value=1, max_value=3))
        def graph_fails(self, kind: str, times: int) -> None:
            graph.add_fault(kind=kind, times=times)

        @rule()
        def retries_come_due(self) -> None:
            """Time passes: every waiting row is due; the sweeper hands them to a (eager) job."""
            make_all_due(list(self.deliveries))
            jobs.runner().deferred.clear()  # the sweeper re-queues what they would have run
            sweep_inbox(grace=dt.timedelta(0))

        @rule()
        def reconciler_runs(self) -> None:
            start_reconcile("test")

        @invariant()
        def one_inbox_row_per_delivered_lead_counting_deliveries(self) -> None:
            rows = inbox_rows(list(self.deliveries))
            assert {lead_id: row.deliveries for lead_id, row in rows.items()} == self.deliveries

        @invariant()
        def stored_leads_are_meta_s_leads_verbatim(self) -> None:
            stored = stored_leads(list(self.created))
            for lead_id, lead in stored.items():
                assert lead.field_data == self.created[lead_id]
                assert lead.email == "a@example.com"

        @invariant()
        def no_lead_gives_up_on_a_passing_failure(self) -> None:
            statuses = {row.status for row in inbox_rows(list(self.deliveries)).values()}
            assert statuses <= {InboxStatus.PENDING, InboxStatus.ENQUEUED, InboxStatus.PROCESSED}
            for lead_id, row in inbox_rows(list(self.deliveries)).items():
                if row.status == InboxStatus.PROCESSED:
                    assert row.lead_id == stored_leads([lead_id])[lead_id].id

        def teardown(self) -> None:
            graph.clear_faults()
            make_all_due(list(self.deliveries))
            jobs.runner().deferred.clear()
            sweep_inbox(grace=dt.timedelta(0))
            start_reconcile("test")
            stored = stored_leads(list(self.created))
            assert set(stored) == set(self.created), "every lead created is stored once Graph recovers"
            assert {row.status for row in inbox_rows(list(self.deliveries)).values()} <= {InboxStatus.PROCESSED}

    return LeadPath


def inbox_rows(lead_ids: list[str]) -> dict[str, WebhookInbox]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.leadgen_id.in_(lead_ids))).scalars()
    return {str(row.leadgen_id): row for row in rows}


def stored_leads(lead_ids: list[str]) -> dict[str, Lead]:
    db.session.expire_all()
    leads = db.session.execute(sa.select(Lead).where(Lead.meta_lead_id.in_(lead_ids))).scalars().all()
    assert len(leads) == len({lead.meta_lead_id for lead in leads}), "a lead stored twice"
    return {lead.meta_lead_id: lead for lead in leads}


def make_all_due(lead_ids: list[str]) -> None:
    db.session.execute(
        sa.update(WebhookInbox)
        .where(WebhookInbox.leadgen_id.in_(lead_ids), WebhookInbox.status != InboxStatus.PROCESSED)
        .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
    )
    db.session.commit()


def test_the_lead_path_under_any_order_of_events(app: Flask, client: FlaskClient, graph: SandboxState, connected: int) -> None:
    run_state_machine_as_test(
        make_machine(client, graph),
        settings=settings(
            max_examples=12,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


def test_a_lead_the_reconciler_stores_after_its_webhook_failed_is_linked_to_its_inbox_row(
    app: Flask, client: FlaskClient, graph: SandboxState, connected: int
) -> None:
    """The sequence Hypothesis once found (kept here so it runs without any example database):
    Graph fails the worker's read, so the inbox row waits for a retry; the reconciler then reads
    the lead and settles the row. The row must end processed *with* its lead, not processed with
    ``lead_id`` empty, nor with the error code of the read that failed."""
    state = make_machine(client, graph)()
    check = [
        state.no_lead_gives_up_on_a_passing_failure,
        state.one_inbox_row_per_delivered_lead_counting_deliveries,
        state.stored_leads_are_meta_s_leads_verbatim,
    ]
    state.graph_fails(kind="http_500", times=1)
    lead = state.new_lead(answer="Zoë Ünïcödé 李", form="standard", organic=False)
    state.deliver(again=0, batch=[lead], big_numbers=False)
    assert inbox_rows([lead])[lead].status == InboxStatus.PENDING  # waiting for its retry
    state.reconciler_runs()
    for invariant_holds in check:
        invariant_holds()
    row = inbox_rows([lead])[lead]
    assert row.status == InboxStatus.PROCESSED
    assert row.lead_id == stored_leads([lead])[lead].id
    assert row.last_error is None and row.error_code is None  # the failed read is over, as with the worker
    state.teardown()
