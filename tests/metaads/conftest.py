"""Fixtures for the lead path: the Graph sandbox served on a local port, the app pointed at it,
and a Facebook connection made through it."""

from __future__ import annotations

import typing as t

import flask
import pytest
from flask import Flask
from flask.testing import FlaskClient

from metaads.sandbox import SandboxState, create_sandbox_app, serve_in_thread
from metaads.sandbox import webhooks as sandbox_webhooks

APP_ID = "sandbox-app-id"
APP_SECRET = "sandbox-app-secret"


@pytest.fixture
def sandbox_settings() -> dict[str, t.Any]:
    """Override in a module to start the sandbox with other settings."""
    return {}


@pytest.fixture
def sandbox_app(sandbox_settings: dict[str, t.Any]) -> t.Iterator[tuple[flask.Flask, str]]:
    sandbox = create_sandbox_app({"APP_ID": APP_ID, "APP_SECRET": APP_SECRET, **sandbox_settings})
    base_url, stop = serve_in_thread(sandbox)
    yield sandbox, base_url
    stop()


@pytest.fixture
def graph(sandbox_app: tuple[flask.Flask, str]) -> SandboxState:
    """The sandbox's state: seed ids, tokens, faults, the calls it received."""
    return t.cast(SandboxState, sandbox_app[0].extensions["sandbox"])


@pytest.fixture
def config_overrides(sandbox_app: tuple[flask.Flask, str]) -> dict[str, t.Any]:
    return {
        "FACEBOOK_GRAPH_URL": sandbox_app[1].rstrip("/"),
        "FACEBOOK_DIALOG_URL": sandbox_app[1].rstrip("/"),
        "FACEBOOK_CLIENT_ID": APP_ID,
        "FACEBOOK_CLIENT_SECRET": APP_SECRET,
        "METAADS_GRAPH_MAX_RETRIES": 0,
    }


@pytest.fixture
def connected(app: Flask, graph: SandboxState) -> int:
    """Connect the sandbox business (pages, subscriptions, first sync and backfill run eagerly)."""
    from plugins.socials.connect import connect_with_token

    return connect_with_token(graph.user_token).platform_id


def deliver(
    client: FlaskClient,
    graph: SandboxState,
    lead_ids: t.Sequence[str],
    *,
    batch: int = 1,
    big_number_ids: bool = False,
    duplicates: int = 0,
) -> list[int]:
    """Deliver leadgen webhooks for ``lead_ids`` exactly as Meta would (signed, Meta's encoding)."""
    leads = [graph.lead(lead_id) for lead_id in lead_ids]
    statuses = []
    for envelope in sandbox_webhooks.envelopes(leads, batch=batch, sent_at=1_700_000_000, big_number_ids=big_number_ids):
        body = sandbox_webhooks.encode(envelope).encode()
        headers = {"Content-Type": "application/json", **sandbox_webhooks.signature_headers(body, APP_SECRET)}
        for _ in range(1 + duplicates):
            statuses.append(client.post("/webhooks/social/facebook", data=body, headers=headers).status_code)
    return statuses
