"""Benchmark of bulk pause (issue 11): 200 campaigns paused through ``POST campaigns/bulk`` (the
Batch API, 50 updates a call, then the objects read back in batches), with the sandbox at 30 ms a
call, on PostgreSQL.

    .venv/bin/pytest tests/benchmarks/ads/test_bulk_pause.py -s -p no:cacheprovider

Target: ≤ 10 s. Baselines, measured in the same run: 200 single POSTs — bare ``requests`` calls
to the sandbox (the Graph floor of one call per campaign), and our own single pause route 200
times (what an admin would do without bulk)."""

from __future__ import annotations

import time
import typing as t

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.models import AdAccount, AdCampaign, AdWrite, WriteStatus
from metaads.sandbox import SandboxState, appsecret_proof
from metaads.sync.ads import sync_ads
from plugins.core.extensions import db
from tests.metaads import conftest as lead_path
from tests.metaads.conftest import APP_SECRET

sandbox_app, graph, config_overrides, connected = (
    lead_path.sandbox_app,
    lead_path.graph,
    lead_path.config_overrides,
    lead_path.connected,
)

LATENCY_MS = 30
CAMPAIGNS = 200


@pytest.fixture
def sandbox_settings() -> dict[str, t.Any]:
    return {"LATENCY_MS": LATENCY_MS}


def http_calls(graph: SandboxState) -> list[dict[str, t.Any]]:
    return [call for call in graph.calls if not call["batch"]]


def bare_posts(base_url: str, version: str, meta_ids: list[str], token: str, status: str) -> float:
    """One ``POST /{id}`` per campaign with a bare ``requests`` session: no parsing, no database."""
    session = requests.Session()
    proof = appsecret_proof(APP_SECRET, token)
    started = time.perf_counter()
    for meta_id in meta_ids:
        response = session.post(
            f"{base_url}{version}/{meta_id}",
            data={"status": status, "appsecret_proof": proof},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
    return time.perf_counter() - started


@pytest.mark.postgres_only
def test_bulk_pause_of_200_campaigns(
    app: Flask,
    client: FlaskClient,
    api_headers: dict[str, str],
    graph: SandboxState,
    connected: int,
    sandbox_app: tuple[t.Any, str],
) -> None:
    account_meta = graph.seed.ad_accounts["EUR"]
    made = graph.bulk_ads(account_meta, 2 * CAMPAIGNS, 1, 1)
    account = db.session.execute(sa.select(AdAccount).where(AdAccount.meta_account_id == account_meta)).scalar_one()
    sync_ads(account_id=account.id, full=True, trigger="bench")
    by_meta = dict(db.session.execute(sa.select(AdCampaign.meta_campaign_id, AdCampaign.id)).all())
    bulk_ids = [by_meta[m] for m in made["ids"]["campaigns"][:CAMPAIGNS]]
    single_ids = [by_meta[m] for m in made["ids"]["campaigns"][CAMPAIGNS:]]
    graph.clear_calls()

    started = time.perf_counter()
    response = client.post("/admin/meta-ads/campaigns/bulk", json={"action": "pause", "ids": bulk_ids}, headers=api_headers)
    bulk_seconds = time.perf_counter() - started
    bulk_calls = http_calls(graph)
    assert response.status_code == 200 and response.get_json()["done"] == CAMPAIGNS, response.get_json()
    assert {graph.store.objects[m]["status"] for m in made["ids"]["campaigns"][:CAMPAIGNS]} == {"PAUSED"}
    audited = db.session.scalar(sa.select(sa.func.count()).select_from(AdWrite).where(AdWrite.status == WriteStatus.DONE))
    assert audited == CAMPAIGNS

    version = bulk_calls[0]["version"]
    bare_seconds = bare_posts(sandbox_app[1], version, made["ids"]["campaigns"][:CAMPAIGNS], graph.user_token, "ACTIVE")

    graph.clear_calls()
    started = time.perf_counter()
    for campaign_id in single_ids:
        single = client.post(f"/admin/meta-ads/campaigns/{campaign_id}/pause", headers=api_headers)
        assert single.status_code == 200
    single_seconds = time.perf_counter() - started
    single_calls = http_calls(graph)

    print(
        f"\nbulk pause of {CAMPAIGNS} campaigns, sandbox at {LATENCY_MS} ms a call (PostgreSQL):\n"
        f"  POST campaigns/bulk (Batch API):     {bulk_seconds:6.2f} s, {len(bulk_calls):3d} Graph calls   (target ≤ 10 s)\n"
        f"  baseline, {CAMPAIGNS} bare single POSTs:     {bare_seconds:6.2f} s, {CAMPAIGNS:3d} Graph calls (requests only)\n"
        f"  baseline, our single pause route:    {single_seconds:6.2f} s, {len(single_calls):3d} Graph calls"
        " (POST + read back each)"
    )
    assert bulk_seconds <= 10.0
    assert len(bulk_calls) <= 2 * -(-CAMPAIGNS // 50)  # ⌈200/50⌉ update batches + as many read-back batches
