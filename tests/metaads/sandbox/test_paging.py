"""Cursor paging (§7): follow ``next`` until it is gone; empty pages may still have ``next``."""

from __future__ import annotations

import typing as t

import requests

from metaads.sandbox import SandboxState
from tests.metaads.sandbox.conftest import Graph, error_of


def follow(first: requests.Response) -> list[dict[str, t.Any]]:
    """Every page, by following paging.next as a naive client would."""
    pages = [first.json()]
    while "next" in pages[-1].get("paging", {}):
        pages.append(requests.get(pages[-1]["paging"]["next"], timeout=10).json())
    return pages


def test_last_page_keeps_cursors_but_has_no_next(sandbox: Graph, state: SandboxState) -> None:
    form = state.seed.forms["standard"]
    pages = follow(sandbox.get(f"{form}/leads", fields="id", limit=5))
    assert [len(p["data"]) for p in pages] == [5, 5, 5, 1]
    last = pages[-1]["paging"]
    assert set(last["cursors"]) == {"before", "after"} and "next" not in last
    ids = [row["id"] for page in pages for row in page["data"]]
    assert len(ids) == len(set(ids)) == 16


def test_next_url_carries_token_and_query(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    first = sandbox.get(f"{account}/campaigns", fields="id,name", limit=2).json()
    url = first["paging"]["next"]
    assert url.startswith(sandbox.url(f"{account}/campaigns"))
    assert "access_token=" in url and "after=" in url and "fields=id%2Cname" in url


def test_injected_empty_page_still_has_next(sandbox: Graph, state: SandboxState) -> None:
    form = state.seed.forms["choice"]
    state.add_fault(kind="empty_page", path=f"/{form}/leads$")
    pages = follow(sandbox.get(f"{form}/leads", fields="id", limit=10))
    assert pages[0]["data"] == [] and "next" in pages[0]["paging"]
    assert sum(len(p["data"]) for p in pages) == 14  # nothing lost after the empty page


def test_empty_page_in_the_middle_of_campaigns(sandbox: Graph, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    first = sandbox.get(f"{account}/campaigns", fields="id", limit=2).json()
    state.add_fault(kind="empty_page", path="/campaigns$")
    middle = requests.get(first["paging"]["next"], timeout=10).json()
    assert middle["data"] == [] and middle["paging"]["cursors"]["after"] == first["paging"]["cursors"]["after"]
    rest = follow(requests.get(middle["paging"]["next"], timeout=10))
    ids = [r["id"] for r in first["data"]] + [r["id"] for p in rest for r in p["data"]]
    assert len(ids) == len(set(ids)) == 5


def test_before_cursor_goes_back(sandbox: Graph, state: SandboxState) -> None:
    form = state.seed.forms["standard"]
    first = sandbox.get(f"{form}/leads", fields="id", limit=4).json()
    second = requests.get(first["paging"]["next"], timeout=10).json()
    back = requests.get(second["paging"]["previous"], timeout=10).json()
    assert [r["id"] for r in back["data"]] == [r["id"] for r in first["data"]]


def test_limit_is_capped_and_summary_counts(sandbox: Graph, state: SandboxState) -> None:
    form = state.seed.forms["standard"]
    state.bulk_leads(form, 700)
    body = sandbox.get(f"{form}/leads", fields="id", limit=5000, summary="true").json()
    assert len(body["data"]) == state.config["MAX_PAGE_SIZE"]
    assert body["summary"] == {"total_count": 716}
    assert len(sandbox.get(f"{form}/leads", fields="id").json()["data"]) == state.config["PAGE_SIZE"]


def test_garbage_cursor_is_a_param_error(sandbox: Graph, state: SandboxState) -> None:
    response = sandbox.get(f"{state.seed.forms['standard']}/leads", after="%%%")
    assert response.status_code == 400 and error_of(response)["code"] == 100
