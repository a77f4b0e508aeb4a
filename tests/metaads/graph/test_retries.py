"""Transient failures are retried with growing, jittered backoff; nothing else is."""

from __future__ import annotations

import random
import socket

import pytest

from metaads.graph import (
    Backoff,
    GraphClient,
    GraphInvalidParameterError,
    GraphPermissionError,
    GraphRateLimitError,
    GraphTokenError,
    GraphTransientError,
)
from tests.metaads.graph.fakegraph import TOKEN, Reply, ScriptedGraph, graph_error, make_client


def test_transient_errors_are_retried_until_success(client: GraphClient, graph: ScriptedGraph, sleeps: list[float]) -> None:
    graph.on(
        "GET",
        "/v25.0/me",
        graph_error(2, "Service temporarily unavailable", status=503),
        graph_error(1, "An unknown error occurred", subcode=99, status=500),
        Reply(json={"id": "1"}),
    )

    assert client.get("me", TOKEN, fields="id") == {"id": "1"}
    assert len(graph.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_retries_stop_at_max_retries_with_growing_sleeps(client: GraphClient, graph: ScriptedGraph, sleeps: list[float]) -> None:
    graph.on("GET", "/v25.0/me", Reply(body=b"<html>upstream error</html>", status=502))

    with pytest.raises(GraphTransientError) as caught:
        client.get("me", TOKEN, fields="id")

    assert len(graph.requests) == client.max_retries + 1 == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert caught.value.http_status == 502


def test_full_jitter_stays_under_each_growing_ceiling(graph: ScriptedGraph, sleeps: list[float]) -> None:
    graph.on("GET", "/v25.0/me", graph_error(2, "down", status=503))
    backoff = Backoff(base=1.0, cap=5.0, rng=random.Random(7))

    with make_client(graph.url, sleeps, backoff=backoff, max_retries=4) as client, pytest.raises(GraphTransientError):
        client.get("me", TOKEN, fields="id")

    ceilings = [1.0, 2.0, 4.0, 5.0]
    assert [backoff.ceiling(n) for n in range(4)] == ceilings
    assert len(sleeps) == 4
    assert all(0 <= slept <= ceiling for slept, ceiling in zip(sleeps, ceilings, strict=True))
    assert len(set(sleeps)) == 4  # jittered, not fixed


def test_a_floor_keeps_every_delay_above_its_share_of_the_ceiling() -> None:
    """Rows a job tries again (inbox, outbound deliveries) wait at least half of each ceiling."""
    rows = Backoff(base=30.0, cap=6 * 3600.0, floor=0.5, rng=random.Random(3))
    for attempt in range(12):
        delays = [rows.delay(attempt) for _ in range(50)]
        ceiling = min(30.0 * 2**attempt, 6 * 3600.0)
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert min(Backoff(base=30.0, cap=60.0, rng=random.Random(3)).delay(0) for _ in range(50)) < 15.0, "no floor: full jitter"


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (graph_error(190, "Error validating access token", subcode=463), GraphTokenError),
        (graph_error(100, "(#100) Invalid parameter"), GraphInvalidParameterError),
        (graph_error(10, "(#10) Permission denied", status=403), GraphPermissionError),
        (graph_error(17, "(#17) User request limit reached"), GraphRateLimitError),
        (graph_error(80004, "(#80004) too many calls to this ad account", status=400), GraphRateLimitError),
    ],
)
def test_non_transient_errors_are_not_retried(
    client: GraphClient, graph: ScriptedGraph, sleeps: list[float], reply: Reply, kind: type
) -> None:
    graph.on("GET", "/v25.0/act_9/campaigns", reply)

    with pytest.raises(kind):
        client.get("act_9/campaigns", TOKEN, fields="id")

    assert len(graph.requests) == 1
    assert sleeps == []


def test_a_write_is_not_retried_after_an_ambiguous_failure(
    client: GraphClient, graph: ScriptedGraph, sleeps: list[float]
) -> None:
    """A 502 without a Graph body may hide a campaign that was created: don't create it twice."""
    graph.on("POST", "/v25.0/act_1/campaigns", Reply(body=b"bad gateway", status=502))

    with pytest.raises(GraphTransientError):
        client.post("act_1/campaigns", TOKEN, {"name": "Q1"})

    assert len(graph.requests) == 1 and sleeps == []


def test_a_write_is_retried_when_meta_says_it_is_transient(
    client: GraphClient, graph: ScriptedGraph, sleeps: list[float]
) -> None:
    graph.on(
        "POST", "/v25.0/act_1/campaigns", graph_error(2, "Service temporarily unavailable", status=500), Reply(json={"id": "7"})
    )

    assert client.post("act_1/campaigns", TOKEN, {"name": "Q1"}) == {"id": "7"}
    assert len(graph.requests) == 2 and sleeps == [0.5]


def test_connection_failures_are_transient_and_retried(sleeps: list[float]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with make_client(f"http://127.0.0.1:{closed_port}", sleeps, max_retries=2) as client:
        with pytest.raises(GraphTransientError) as caught:
            client.get("me", TOKEN, fields="id")

    assert sleeps == [0.5, 1.0]
    assert "ConnectionError" in str(caught.value)
    # No chained requests exception: its message would carry the URL.
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_timeouts_on_reads_are_retried(graph: ScriptedGraph, sleeps: list[float]) -> None:
    graph.on("GET", "/v25.0/me", Reply(json={"id": "1"}, delay=0.6), Reply(json={"id": "1"}))

    with make_client(graph.url, sleeps, timeout=0.2) as client:
        assert client.get("me", TOKEN, fields="id") == {"id": "1"}

    assert sleeps == [0.5]
