"""Fixtures for the Graph client tests: the scripted local Graph (see ``fakegraph``), an attacker's
server that must never be called (``evil``), recorded sleeps, a client, and Redis database 15."""

from __future__ import annotations

import typing as t
from collections.abc import Iterator

import pytest
import redis

from metaads.graph import GraphClient, appsecret_proof
from tests.metaads.graph.fakegraph import APP_SECRET, GRAPH_REDIS_URL, LocalServer, Reply, ScriptedGraph, make_client


@pytest.fixture(scope="session")
def _graph_server() -> Iterator[LocalServer]:
    server = LocalServer(ScriptedGraph())
    yield server
    server.close()


@pytest.fixture(scope="session")
def _evil_server() -> Iterator[LocalServer]:
    server = LocalServer(ScriptedGraph())
    yield server
    server.close()


@pytest.fixture
def graph(_graph_server: LocalServer) -> Iterator[ScriptedGraph]:
    """The scripted Graph. After the test, every request that carried a token is checked for a
    correct appsecret_proof."""
    app = _graph_server.app
    app.reset()
    yield app
    for recorded in app.requests:
        if recorded.token:
            assert recorded.proof == appsecret_proof(APP_SECRET, recorded.token), (
                f"bad proof on {recorded.method} {recorded.path}"
            )
    app.reset()


@pytest.fixture
def evil(_evil_server: LocalServer) -> Iterator[ScriptedGraph]:
    """An attacker's server: tests assert it received nothing."""
    app = _evil_server.app
    app.reset()
    app.on("GET", "/v25.0/stolen", Reply(json={"data": [{"id": "999"}]}))
    yield app
    app.reset()


@pytest.fixture
def sleeps() -> list[float]:
    """The delays the client slept (its injected ``sleep``)."""
    return []


@pytest.fixture
def client(graph: ScriptedGraph, sleeps: list[float]) -> Iterator[GraphClient]:
    with make_client(graph.url, sleeps) as graph_client:
        yield graph_client


@pytest.fixture
def graph_redis() -> Iterator[redis.Redis]:
    """Real Redis, database 15, emptied before and after."""
    conn = redis.Redis.from_url(GRAPH_REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def config_overrides() -> dict[str, t.Any]:
    """The lead path's fixtures one folder up point the app at a served sandbox; these tests
    bring their own Graph, so the app keeps the base configuration."""
    return {}
