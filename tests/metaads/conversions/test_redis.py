"""Conversions API: Redis down while statuses change → the events are committed with the change
and sent once Redis is back (the periodic sweep queues the sender)."""

from __future__ import annotations

import typing as t

import pytest
import sqlalchemy as sa

from metaads.capture.store import store_leads
from metaads.connections import graph_service
from metaads.conversions.admin import change_settings
from metaads.graph.errors import GraphError
from metaads.graph.types import LeadData
from metaads.leads.workflow import change_status, commit
from metaads.models import ConversionEvent, Lead
from metaads.models.enums import LeadSource, LeadStatus
from metaads.periodic import sweep_conversions_on_schedule
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from tests.conftest import running_app
from tests.metaads.capture.test_processes import burst_worker, free_port, redis_server


@pytest.mark.postgres_only
def test_redis_down_while_statuses_change(database_url: str, config_overrides: dict[str, t.Any], graph: SandboxState) -> None:
    port = free_port()
    settings = {
        **config_overrides,
        "JOBS_MODE": "rq",
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "METAADS_CONVERSIONS_LINGER": 0,
    }
    with running_app(database_url, **settings):
        with redis_server(port):
            from plugins.socials.connect import connect_with_token

            connect_with_token(graph.user_token)
            burst_worker()  # the first sync
            change_settings({"enabled": True, "dataset_id": str(graph.seed.dataset_id)})
            burst_worker()  # the replay of the backfill
        meta = graph.create_lead(graph.seed.forms["standard"])
        stored = store_leads([lead_data(graph, meta["id"])], source=LeadSource.WEBHOOK, platform_id=None)
        db.session.commit()
        lead = db.session.get(Lead, stored.created[0])
        changes = [change_status(lead, status, None) for status in (LeadStatus.CONTACTED, LeadStatus.CONVERTED)]
        commit([c for c in changes if c])  # Redis is down: the kick fails quietly
        query = sa.select(ConversionEvent.stage, ConversionEvent.status).where(ConversionEvent.lead_id == lead.id)
        waiting = db.session.execute(query.order_by(ConversionEvent.id)).all()
        assert waiting == [("new", "pending"), ("contacted", "pending"), ("qualified", "pending"), ("converted", "pending")]
        with redis_server(port):
            assert sweep_conversions_on_schedule() == 4
            burst_worker()
        events = [e["event"] for e in graph.received_events(str(graph.seed.dataset_id))]
        names = [e["event_name"] for e in events if e["user_data"]["lead_id"] == int(meta["id"])]
        assert names == ["Lead", "Contacted", "Qualified", "Converted"]


def lead_data(graph: SandboxState, lead_id: str) -> LeadData:
    """The lead as Graph answers it, read with the token of a page that may read it."""
    for token in graph.page_tokens.values():
        try:
            return graph_service().get_lead(lead_id, token)
        except GraphError:
            continue
    raise AssertionError("no page token reads the lead")
