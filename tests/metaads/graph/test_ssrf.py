"""``paging.next`` is followed only to the configured base URL; nothing is ever sent elsewhere."""

from __future__ import annotations

import typing as t

import pytest
import requests

from metaads.graph import GraphClient, GraphUnsafeNextError
from metaads.graph.urls import GraphBase
from tests.metaads.graph.fakegraph import TOKEN, Reply, ScriptedGraph, make_client

EDGE = "/v25.0/82595106832717/leads"


class CountingSession(requests.Session):
    """Records every URL the client asked ``requests`` for."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def request(self, method: str | bytes, url: str | bytes, *args: t.Any, **kwargs: t.Any) -> requests.Response:  # type: ignore[override]
        self.urls.append(str(url))
        return super().request(method, url, *args, **kwargs)


def unsafe_next_urls(graph: ScriptedGraph, evil: ScriptedGraph) -> dict[str, str]:
    port = graph.url.rsplit(":", 1)[1]
    evil_port = evil.url.rsplit(":", 1)[1]
    return {
        "other_host": f"{evil.url}/v25.0/stolen",
        "other_port": f"http://127.0.0.1:{evil_port}/v25.0/stolen",
        "scheme_change": f"https://127.0.0.1:{port}/v25.0/stolen",
        "userinfo_at_evil": f"http://user@127.0.0.1:{port}@127.0.0.1:{evil_port}/v25.0/stolen",
        "userinfo_same_host": f"http://user:pw@127.0.0.1:{port}/v25.0/stolen",
        "metadata_ip": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "localhost_alias": f"http://localhost:{port}/v25.0/stolen",
        "other_version": f"{graph.url}/v19.0/stolen",
        "outside_version": f"{graph.url}/admin/stolen",
        "dot_segments": f"{graph.url}/v25.0/../admin",
        "encoded_dot_segments": f"{graph.url}/v25.0/%2e%2e/admin",
        "backslash": f"{graph.url}\\@127.0.0.1:{evil_port}/v25.0/stolen",
        "protocol_relative": f"//127.0.0.1:{evil_port}/v25.0/stolen",
        "not_a_url": "javascript:alert(1)",
    }


@pytest.mark.parametrize(
    "case",
    [
        "other_host",
        "other_port",
        "scheme_change",
        "userinfo_at_evil",
        "userinfo_same_host",
        "metadata_ip",
        "localhost_alias",
        "other_version",
        "outside_version",
        "dot_segments",
        "encoded_dot_segments",
        "backslash",
        "protocol_relative",
        "not_a_url",
    ],
)
def test_unsafe_next_is_refused_and_never_requested(
    graph: ScriptedGraph, evil: ScriptedGraph, sleeps: list[float], case: str
) -> None:
    bad = unsafe_next_urls(graph, evil)[case]
    graph.on("GET", EDGE, Reply(json={"data": [{"id": "1"}], "paging": {"cursors": {"after": "x"}, "next": bad}}))
    session = CountingSession()

    with make_client(graph.url, sleeps, session=session) as client:
        pages = client.pages("82595106832717/leads", TOKEN, fields="id")
        first = next(pages)  # the safe page before the bad link is still delivered
        with pytest.raises(GraphUnsafeNextError) as caught:
            next(pages)
    session.close()

    assert [i["id"] for i in first.items] == ["1"]
    assert evil.requests == []
    assert len(graph.requests) == 1
    assert all(url.startswith(f"{graph.url}/v25.0/") for url in session.urls)
    assert len(session.urls) == 1
    assert bad not in str(caught.value) and TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "next_url",
    [
        "http://graph.facebook.com/v25.0/1/leads?after=x",  # https -> http downgrade
        "https://graph.facebook.com.evil.test/v25.0/1/leads?after=x",
        "https://evil.test/v25.0/1/leads?after=x",
        "https://user@graph.facebook.com@evil.test/v25.0/1/leads",
        "https://graph.facebook.com:8443/v25.0/1/leads",
        "https://graph.facebook.com./v25.0/1/leads",
        "https://169.254.169.254/v25.0/1/leads",
        "https://graph.facebook.com/v25.0/1/leads#frag",
        "https://graph.facebook.com/v25.0/",
    ],
)
def test_the_public_graph_base_only_follows_itself(next_url: str) -> None:
    base = GraphBase.parse("https://graph.facebook.com", "v25.0")
    with pytest.raises(GraphUnsafeNextError):
        base.follow(next_url)


def test_a_safe_next_keeps_its_query_minus_auth_params() -> None:
    base = GraphBase.parse("https://graph.facebook.com", "v25.0")

    path, query = base.follow(
        "https://graph.facebook.com:443/v25.0/82595106832717/leads?access_token=EAAx&appsecret_proof=p&appsecret_time=1"
        "&fields=id%2Cfield_data&limit=25&after=QUZURVI%3D"
    )

    assert path == "82595106832717/leads"
    assert query == [("fields", "id,field_data"), ("limit", "25"), ("after", "QUZURVI=")]


def test_followed_requests_go_to_the_configured_origin(client: GraphClient, graph: ScriptedGraph) -> None:
    """Even a next link on the right origin is rebuilt from the base, not requested verbatim."""
    graph.on(
        "GET",
        EDGE,
        lambda r: (
            Reply(json={"data": [], "paging": {"next": f"{graph.url}{EDGE}?after=a&access_token=EAAold"}})
            if r.arg("after") is None
            else Reply(json={"data": [{"id": "2"}], "paging": {"cursors": {"after": "b"}}})
        ),
    )

    assert [i["id"] for i in client.paginate("82595106832717/leads", TOKEN, fields="id")] == ["2"]
    assert graph.requests[1].token == TOKEN
    assert "EAAold" not in graph.requests[1].url
