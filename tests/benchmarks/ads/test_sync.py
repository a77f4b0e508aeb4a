"""Benchmark of the ads sync (issue 11): one ad account with 100 campaigns × 4 ad sets × 5 ads
(2,000 ads) in the sandbox at 30 ms a call, stored in PostgreSQL.

    .venv/bin/pytest tests/benchmarks/test_ads_sync.py -s -p no:cacheprovider

Targets: the first full pass ≤ 5 s and ≤ 20 Graph calls; a re-sync after 10 changes ≤ 5 calls.
Baseline, measured in the same run: the same pages read by a bare ``requests`` loop (no
parsing, no database)."""

from __future__ import annotations

import time
import typing as t

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from metaads.models import Ad, AdAccount, AdCampaign, AdSet, SyncRun
from metaads.models.enums import SyncRunStatus
from metaads.sandbox import SandboxState, appsecret_proof
from metaads.sync.ads import sync_ads
from plugins.core.extensions import db
from tests.metaads import conftest as lead_path
from tests.metaads.conftest import APP_SECRET

# The lead path's fixtures (tests/metaads/conftest.py): the sandbox served on a local port, the
# app pointed at it, a connection made through it.
sandbox_app, graph, config_overrides, connected = (
    lead_path.sandbox_app,
    lead_path.graph,
    lead_path.config_overrides,
    lead_path.connected,
)

LATENCY_MS = 30
CAMPAIGNS, ADSETS, ADS = 100, 4, 5


@pytest.fixture
def sandbox_settings() -> dict[str, t.Any]:
    return {"LATENCY_MS": LATENCY_MS}


def http_calls(graph: SandboxState) -> list[dict[str, t.Any]]:
    return [call for call in graph.calls if not call["batch"]]


def bare_loop(base_url: str, version: str, account: str, token: str, calls: list[dict[str, t.Any]]) -> tuple[float, int]:
    """GET the same first pages the sync asked for and follow ``paging.next``: requests only."""
    proof = appsecret_proof(APP_SECRET, token)
    session = requests.Session()
    started, count = time.perf_counter(), 0
    for edge in ("campaigns", "adsets", "ads"):
        first = next(c for c in calls if c["path"].endswith(f"{account}/{edge}") and "after" not in c["params"])
        params = {k: v for k, v in first["params"].items() if k not in ("access_token", "appsecret_proof")}
        url: str | None = f"{base_url}{version}/{account}/{edge}"
        while url:
            body = session.get(
                url,
                params={**params, "appsecret_proof": proof} if params else None,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ).json()
            count += 1
            params = {}  # paging.next carries them
            url = body.get("paging", {}).get("next")
            if url and "appsecret_proof" not in url:
                params = {"appsecret_proof": proof}
    return time.perf_counter() - started, count


@pytest.mark.postgres_only
def test_sync_of_2000_ads(app: Flask, graph: SandboxState, connected: int, sandbox_app: tuple[t.Any, str]) -> None:
    account_meta = graph.seed.ad_accounts["EUR"]
    account = db.session.execute(sa.select(AdAccount).where(AdAccount.meta_account_id == account_meta)).scalar_one()
    made = graph.bulk_ads(account_meta, CAMPAIGNS, ADSETS, ADS)
    assert made["ads"] == CAMPAIGNS * ADSETS * ADS
    graph.clear_calls()

    started = time.perf_counter()
    run = SyncRunStatus(db.session.get(SyncRun, sync_ads(account_id=account.id, full=True, trigger="bench")).status)
    full_seconds = time.perf_counter() - started
    full_calls = http_calls(graph)
    assert run == SyncRunStatus.SUCCEEDED
    stored = db.session.execute(
        sa.select(sa.func.count()).select_from(Ad).join(AdSet).join(AdCampaign).where(AdCampaign.ad_account_id == account.id)
    ).scalar_one()
    assert stored >= CAMPAIGNS * ADSETS * ADS

    base_seconds, base_count = bare_loop(sandbox_app[1], full_calls[0]["version"], account_meta, graph.user_token, full_calls)

    graph.advance_clock(3600)
    for campaign in made["ids"]["campaigns"][:4]:
        graph.change_object(campaign, name="Renamed at Meta")
    for ad in made["ids"]["ads"][:6]:
        graph.change_object(ad, status="PAUSED")
    graph.clear_calls()
    started = time.perf_counter()
    again = db.session.get(SyncRun, sync_ads(account_id=account.id, trigger="bench"))
    incremental_seconds = time.perf_counter() - started
    incremental_calls = http_calls(graph)
    assert again is not None and again.status == SyncRunStatus.SUCCEEDED

    print(
        f"\nads sync, {stored:,} ads in one account, sandbox at {LATENCY_MS} ms a call (PostgreSQL):\n"
        f"  full pass:       {full_seconds:6.2f} s, {len(full_calls):2d} Graph calls   (target ≤ 5 s, ≤ 20 calls)\n"
        f"  bare requests:   {base_seconds:6.2f} s, {base_count:2d} calls (the same pages, no parsing, no database)\n"
        f"  after 10 changes:{incremental_seconds:6.2f} s, {len(incremental_calls):2d} Graph calls   (target ≤ 5 calls)"
    )
    assert full_seconds <= 5.0 and len(full_calls) <= 20
    assert len(incremental_calls) <= 5
