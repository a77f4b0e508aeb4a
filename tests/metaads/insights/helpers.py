"""What Meta (the sandbox) has for an account's ads and days, to compare stored rows with."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa

from metaads.models import Ad, AdAccount, AdInsight, SyncRun
from metaads.sandbox import SandboxState, insights_data
from plugins.core.extensions import db

#: Config of the insights tests: no waiting between polls, stalled jobs given up quickly.
FAST = {"METAADS_INSIGHTS_POLL_SECONDS": 0.0, "METAADS_INSIGHTS_JOB_TIMEOUT": 0.3}


def meta_days(graph: SandboxState, currency: str, since: dt.date, until: dt.date) -> dict[tuple[str, dt.date], dict[str, int]]:
    """(Meta ad id, day) → Meta's numbers (spend in minor units) for every ad of the account,
    deleted and archived ones included; days without delivery left out."""
    account = graph.store.objects[graph.seed.ad_accounts[currency]]
    out = {}
    for ad in graph.store.children_of(account["id"], "ad"):
        day = since
        while day <= until:
            numbers = insights_data.daily(graph, account, ad, day)
            if numbers:
                out[(ad["id"], day)] = numbers
            day += dt.timedelta(days=1)
    return out


def stored_days(currency: str) -> dict[tuple[str, dt.date], AdInsight]:
    rows = db.session.execute(
        sa.select(Ad.meta_ad_id, AdInsight)
        .join(Ad, AdInsight.ad_id == Ad.id)
        .join(AdAccount, AdInsight.ad_account_id == AdAccount.id)
        .where(AdAccount.currency == currency)
    ).all()
    return {(meta_id, row.date): row for meta_id, row in rows}


def assert_matches_meta(graph: SandboxState, currency: str, since: dt.date, until: dt.date) -> None:
    expected = meta_days(graph, currency, since, until)
    stored = {key: row for key, row in stored_days(currency).items() if since <= key[1] <= until}
    assert expected, "the sandbox delivers in that range"
    assert set(stored) == set(expected)
    for key, numbers in expected.items():
        row = stored[key]
        got = {"impressions": row.impressions, "clicks": row.clicks, "reach": row.reach, "spend": row.spend, "leads": row.leads}
        assert got == numbers, key
        assert row.currency == currency and row.link_clicks == row.clicks


def account(currency: str) -> AdAccount:
    found = db.session.execute(sa.select(AdAccount).where(AdAccount.currency == currency)).scalar_one()
    return t.cast(AdAccount, found)


def reloaded(run_id: int) -> SyncRun:
    db.session.expire_all()
    run = db.session.get(SyncRun, run_id)
    assert run is not None
    return run


def insights_calls(graph: SandboxState, method: str) -> list[dict[str, t.Any]]:
    return [c for c in graph.calls if c.get("method") == method and str(c.get("path", "")).endswith("/insights")]
