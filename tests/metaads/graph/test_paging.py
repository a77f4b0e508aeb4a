"""Paging: follow ``next`` until it is absent, re-attach our own auth, resume from a cursor."""

from __future__ import annotations

import pytest

from metaads.graph import GraphClient, GraphResponseError
from tests.metaads.graph.fakegraph import TOKEN, TOKEN_PROOF, Reply, ScriptedGraph

EDGE = "/v25.0/82595106832717/leads"


def page(graph: ScriptedGraph, ids: list[str], after: str, next_after: str | None, **extra_query: str) -> Reply:
    paging: dict = {"cursors": {"before": "QkVGT1JF", "after": after}}
    if next_after is not None:
        query = "&".join([f"{k}={v}" for k, v in extra_query.items()] + [f"after={next_after}"])
        paging["next"] = f"{graph.url}{EDGE}?{query}"
    return Reply(json={"data": [{"id": i} for i in ids], "paging": paging})


def script_pages(graph: ScriptedGraph) -> None:
    """Three pages: two leads, then an EMPTY page that still has next, then a last page with
    cursors but no next."""

    def by_cursor(recorded):  # type: ignore[no-untyped-def]
        after = recorded.arg("after")
        if after is None:
            return page(graph, ["1", "2"], "c1", "c1", fields="id", limit="2", access_token="EAAleakedinnext")
        if after == "c1":
            return page(graph, [], "c2", "c2", fields="id", limit="2")
        if after == "c2":
            return page(graph, ["3"], "c3", None)
        return Reply(json={"error": {"message": "unexpected cursor", "code": 100}}, status=400)

    graph.on("GET", EDGE, by_cursor)


def test_paginate_reads_to_the_page_without_next(client: GraphClient, graph: ScriptedGraph) -> None:
    script_pages(graph)

    items = list(client.paginate(EDGE.removeprefix("/v25.0/"), TOKEN, fields="id", page_size=2))

    assert [item["id"] for item in items] == ["1", "2", "3"]
    # The empty middle page did not stop paging; the last page's cursors did not continue it.
    assert [hit.arg("after") for hit in graph.requests] == [None, "c1", "c2"]


def test_followed_pages_carry_our_token_and_proof_not_the_ones_in_next(client: GraphClient, graph: ScriptedGraph) -> None:
    script_pages(graph)

    list(client.paginate("82595106832717/leads", TOKEN, fields="id", page_size=2))

    for hit in graph.requests:
        assert hit.token == TOKEN
        assert hit.proof == TOKEN_PROOF
        assert hit.query.get("access_token") is None
        assert hit.arg("fields") == "id"


def test_fields_are_re_attached_when_next_lacks_them(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on(
        "GET",
        EDGE,
        lambda r: page(graph, ["1"], "c1", "c1") if r.arg("after") is None else page(graph, ["2"], "c2", None),
    )

    list(client.paginate("82595106832717/leads", TOKEN, fields=["id", "created_time"]))

    assert [hit.arg("fields") for hit in graph.requests] == ["id,created_time", "id,created_time"]


def test_pages_expose_the_cursor_to_resume_from(client: GraphClient, graph: ScriptedGraph) -> None:
    script_pages(graph)

    first = next(client.pages("82595106832717/leads", TOKEN, fields="id", page_size=2))
    assert (first.after, first.has_next) == ("c1", True)
    assert "EAAleakedinnext" not in (first.next_url or "")

    graph.requests.clear()
    resumed = list(client.pages("82595106832717/leads", TOKEN, fields="id", page_size=2, after=first.after))

    assert [p.after for p in resumed] == ["c2", "c3"]
    assert [[i["id"] for i in p.items] for p in resumed] == [[], ["3"]]
    assert resumed[-1].has_next is False
    assert graph.requests[0].arg("after") == "c1" and graph.requests[0].arg("limit") == "2"


def test_limit_stops_without_fetching_more_pages(client: GraphClient, graph: ScriptedGraph) -> None:
    script_pages(graph)

    items = list(client.paginate("82595106832717/leads", TOKEN, fields="id", limit=2))

    assert [i["id"] for i in items] == ["1", "2"]
    assert len(graph.requests) == 1
    assert graph.requests[0].arg("limit") == "2"


def test_a_next_link_that_loops_is_an_error_not_an_endless_loop(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("GET", EDGE, lambda r: page(graph, [], "c1", "c1", fields="id"))

    with pytest.raises(GraphResponseError, match="already read"):
        list(client.paginate("82595106832717/leads", TOKEN, fields="id"))
    assert len(graph.requests) == 2


def test_an_edge_answer_without_data_is_a_response_error(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on("GET", EDGE, Reply(json={"id": "82595106832717"}))

    with pytest.raises(GraphResponseError):
        list(client.paginate("82595106832717/leads", TOKEN, fields="id"))


def test_a_zero_limit_sends_nothing(client: GraphClient, graph: ScriptedGraph) -> None:
    assert list(client.paginate("82595106832717/leads", TOKEN, fields="id", limit=0)) == []
    assert graph.requests == []
