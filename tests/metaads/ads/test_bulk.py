"""Bulk pause / resume / archive through Meta's Batch API, against the sandbox: a result per
object (Meta's own words for a refusal), every object audited, partial failures leave the others
done, a lost batch answer is settled by reading back (never by posting again), a token revoked
mid-bulk is a 409 with every result, and input we can judge is a 400 with no Graph call."""

from __future__ import annotations

import json
import typing as t

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.connections import graph_service
from metaads.models import Ad, AdAccount, AdCampaign, AdWrite, WriteStatus
from metaads.sandbox import SandboxState
from metaads.sync.ads import sync_ads
from plugins.core.extensions import db
from plugins.socials.models import PlatformStatus, SocialPlatform
from tests.conftest import csrf_token

BASE = "/admin/meta-ads"


@pytest.fixture
def account(app: Flask, connected: int, graph: SandboxState) -> AdAccount:
    """The connected EUR account with 60 more active campaigns (two batch calls' worth)."""
    meta_id = graph.seed.ad_accounts["EUR"]
    graph.bulk_ads(meta_id, 60, 1, 1)
    sync_ads(full=True)
    graph.clear_calls()
    return t.cast(AdAccount, db.session.execute(sa.select(AdAccount).where(AdAccount.meta_account_id == meta_id)).scalar_one())


def bulk_campaigns(n: int = 60) -> list[AdCampaign]:
    query = sa.select(AdCampaign).where(AdCampaign.name.like("Bulk campaign %")).order_by(AdCampaign.id).limit(n)
    return list(db.session.execute(query).scalars())


def status_batches(graph: SandboxState) -> list[list[dict[str, t.Any]]]:
    """The batch calls that carried status updates, as the sandbox received them."""
    batches = []
    for call in graph.calls:
        if call["method"] == "POST" and call["path"].endswith("/") and not call["batch"]:
            items = json.loads(call["params"]["batch"])
            if any(item["method"] == "POST" for item in items):
                batches.append(items)
    return batches


def single_posts(graph: SandboxState) -> list[dict[str, t.Any]]:
    return [c for c in graph.calls if c["method"] == "POST" and not c["path"].endswith("/") and not c["batch"]]


def test_bulk_pause_goes_through_the_batch_api_with_a_result_per_campaign(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState, admin: t.Any
) -> None:
    campaigns = bulk_campaigns()
    refused = campaigns[7]
    graph.add_fault(kind="permission", path=f"^/{refused.meta_campaign_id}$", method="POST")

    response = client.post(
        f"{BASE}/campaigns/bulk", json={"action": "pause", "ids": [c.id for c in campaigns]}, headers=api_headers
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [r["id"] for r in body["results"]] == [c.id for c in campaigns]
    assert (body["done"], body["failed"], body["unknown"], body["not_sent"]) == (59, 1, 0, 0)
    assert body["retry_ids"] == [refused.id]
    failure = next(r for r in body["results"] if r["status"] == "failed")
    assert failure["name"] == refused.name and failure["message"] == "(#200) Permissions error"
    assert failure["code"] == "meta_refused" and failure["meta"]["code"] == 200
    assert [len(items) for items in status_batches(graph)] == [50, 10]
    assert single_posts(graph) == []  # never one POST per campaign
    db.session.expire_all()
    for campaign in campaigns:
        at_meta = graph.store.objects[campaign.meta_campaign_id]["status"]
        assert at_meta == ("ACTIVE" if campaign.id == refused.id else "PAUSED")
        assert db.session.get(AdCampaign, campaign.id).status.value == at_meta  # stored as Meta now has it
    audit = {w.object_id: w for w in db.session.execute(sa.select(AdWrite)).scalars()}
    assert set(audit) == {c.id for c in campaigns}
    assert {w.action for w in audit.values()} == {"pause"} and {w.actor_user_id for w in audit.values()} == {admin.id}
    assert audit[refused.id].status == WriteStatus.REFUSED and audit[refused.id].after is None
    done = audit[campaigns[0].id]
    assert done.status == WriteStatus.DONE and done.before["status"] == "ACTIVE" and done.after["status"] == "PAUSED"


def test_the_failures_are_retried_with_the_ids_the_answer_gives(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    campaigns = bulk_campaigns(5)
    graph.add_fault(kind="transient", path=f"^/({campaigns[1].meta_campaign_id}|{campaigns[3].meta_campaign_id})$", times=2)

    first = client.post(f"{BASE}/campaigns/bulk", json={"action": "pause", "ids": [c.id for c in campaigns]}, headers=api_headers)
    retry_ids = first.get_json()["retry_ids"]
    again = client.post(f"{BASE}/campaigns/bulk", json={"action": "pause", "ids": retry_ids}, headers=api_headers)

    assert retry_ids == [campaigns[1].id, campaigns[3].id]
    assert again.status_code == 200 and again.get_json()["done"] == 2 and again.get_json()["retry_ids"] == []
    assert {graph.store.objects[c.meta_campaign_id]["status"] for c in campaigns} == {"PAUSED"}
    failed = db.session.execute(sa.select(AdWrite).where(AdWrite.status == WriteStatus.FAILED)).scalars().all()
    assert len(failed) == 2  # Meta's 5xx is recorded as failed (nothing changed), the retry as done


def test_metas_own_rule_refuses_resuming_an_archived_campaign_and_the_others_resume(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    campaigns = bulk_campaigns(3)
    archived = client.post(f"{BASE}/campaigns/bulk", json={"action": "archive", "ids": [campaigns[0].id]}, headers=api_headers)
    paused = client.post(
        f"{BASE}/campaigns/bulk", json={"action": "pause", "ids": [c.id for c in campaigns[1:]]}, headers=api_headers
    )

    resumed = client.post(
        f"{BASE}/campaigns/bulk", json={"action": "resume", "ids": [c.id for c in campaigns]}, headers=api_headers
    )

    assert archived.get_json()["done"] == 1 and paused.get_json()["done"] == 2
    results = resumed.get_json()["results"]
    assert [r["status"] for r in results] == ["failed", "done", "done"]
    assert results[0]["message"] == "Archived objects can only be renamed or deleted."  # Meta's error_user_msg
    assert graph.store.objects[campaigns[0].meta_campaign_id]["status"] == "ARCHIVED"
    db.session.expire_all()
    assert db.session.get(AdCampaign, campaigns[0].id).status.value == "ARCHIVED"


def lose_batch_answers(app: Flask, monkeypatch: pytest.MonkeyPatch, *, send: bool) -> None:
    """Make the app's status-update batch calls time out after (``send``) or before reaching Meta;
    reads (batches of GETs) go through."""
    with app.app_context():
        session = graph_service().client._session
    real = session.request

    def request(method: str, url: str, **kwargs: t.Any) -> requests.Response:
        data = kwargs.get("data") or {}
        batch = data.get("batch", "") if isinstance(data, dict) else ""
        if method == "POST" and url.rstrip("/").endswith(("v26.0", "v25.0")) and '"method":"POST"' in batch:
            if send:
                real(method, url, **kwargs)
            raise requests.ReadTimeout("read timed out")
        return real(method, url, **kwargs)

    monkeypatch.setattr(session, "request", request)


def test_a_batch_whose_answer_was_lost_is_settled_by_reading_back_never_by_posting_again(
    app: Flask,
    client: FlaskClient,
    api_headers: dict[str, str],
    account: AdAccount,
    graph: SandboxState,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    campaigns = bulk_campaigns(12)
    lose_batch_answers(app, monkeypatch, send=True)

    response = client.post(
        f"{BASE}/campaigns/bulk", json={"action": "pause", "ids": [c.id for c in campaigns]}, headers=api_headers
    )

    assert response.status_code == 200 and response.get_json()["done"] == 12, response.get_json()
    assert len(status_batches(graph)) == 1  # read back, not sent again
    assert {graph.store.objects[c.meta_campaign_id]["status"] for c in campaigns} == {"PAUSED"}
    writes = db.session.execute(sa.select(AdWrite)).scalars().all()
    assert {w.status for w in writes} == {WriteStatus.DONE} and {str(w.meta) for w in writes} == {"{'read_back': True}"}


def test_a_lost_batch_that_meta_does_not_show_is_unknown_and_not_sent_again(
    app: Flask,
    client: FlaskClient,
    api_headers: dict[str, str],
    account: AdAccount,
    graph: SandboxState,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    campaigns = bulk_campaigns(3)
    lose_batch_answers(app, monkeypatch, send=False)

    response = client.post(
        f"{BASE}/campaigns/bulk", json={"action": "pause", "ids": [c.id for c in campaigns]}, headers=api_headers
    )

    body = response.get_json()
    assert response.status_code == 200 and body["unknown"] == 3 and body["retry_ids"] == [c.id for c in campaigns]
    assert {r["code"] for r in body["results"]} == {"answer_lost"}
    assert {graph.store.objects[c.meta_campaign_id]["status"] for c in campaigns} == {"ACTIVE"}
    assert status_batches(graph) == []  # the one attempt never arrived; nothing was posted after it
    assert {w.status for w in db.session.execute(sa.select(AdWrite)).scalars()} == {WriteStatus.UNKNOWN}
    db.session.expire_all()
    assert {db.session.get(AdCampaign, c.id).status.value for c in campaigns} == {"ACTIVE"}


def test_an_update_meta_answered_null_is_read_back_and_reported_as_unknown(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    campaigns = bulk_campaigns(4)
    graph.add_fault(kind="batch_null", path=f"^/{campaigns[2].meta_campaign_id}$", method="POST")

    response = client.post(
        f"{BASE}/campaigns/bulk", json={"action": "pause", "ids": [c.id for c in campaigns]}, headers=api_headers
    )

    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["done", "done", "unknown", "done"]
    assert len(status_batches(graph)) == 1  # the null one is not posted again: it was read back
    assert graph.store.objects[campaigns[2].meta_campaign_id]["status"] == "ACTIVE"


def test_a_token_revoked_mid_bulk_is_a_409_with_every_result_and_the_rest_not_sent(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState, connected: int
) -> None:
    graph.bulk_ads(account.meta_account_id, 60, 1, 1)
    sync_ads(full=True)
    graph.clear_calls()
    campaigns = bulk_campaigns(120)
    assert len(campaigns) == 120
    # Meta refuses the second batch call's token (the first went through).
    graph.add_fault(kind="token_revoked", path="^/$", method="POST", skip=1)

    response = client.post(
        f"{BASE}/campaigns/bulk", json={"action": "pause", "ids": [c.id for c in campaigns]}, headers=api_headers
    )

    error = response.get_json()["error"]
    assert response.status_code == 409 and error["code"] == "needs_reauth"
    details = error["details"]
    assert (details["done"], details["failed"], details["not_sent"]) == (50, 50, 20)
    assert len(status_batches(graph)) == 2  # the second was refused whole (its token); the third never sent
    db.session.expire_all()
    assert db.session.get(SocialPlatform, connected).status == PlatformStatus.NEEDS_REAUTH
    paused_here = {c.id for c in campaigns if db.session.get(AdCampaign, c.id).status.value == "PAUSED"}
    assert paused_here == {c.id for c in campaigns[:50]}
    assert {w.status for w in db.session.execute(sa.select(AdWrite)).scalars()} == {
        WriteStatus.DONE,
        WriteStatus.REFUSED,
        WriteStatus.FAILED,
    }
    graph.clear_calls()
    again = client.post(f"{BASE}/campaigns/bulk", json={"action": "pause", "ids": [campaigns[-1].id]}, headers=api_headers)
    assert again.status_code == 409 and graph.calls == []  # a dead connection is not asked again


BAD = [
    ({}, "action"),
    ({"action": "pause"}, "ids"),
    ({"action": "stop", "ids": [1]}, "action"),
    ({"action": "pause", "ids": []}, "ids"),
    ({"action": "pause", "ids": "1"}, "ids"),
    ({"action": "pause", "ids": ["one"]}, "ids"),
    ({"action": "pause", "ids": [-1]}, "ids"),
    ({"action": "pause", "ids": [2**70]}, "ids"),
    ({"action": "pause", "ids": [None]}, "ids"),
    ({"action": "pause", "ids": list(range(1, 502))}, "ids"),
    ({"action": ["pause"], "ids": [1]}, "action"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_bad_bulk_input_is_a_400_and_no_graph_call(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState, body: t.Any, field: str
) -> None:
    response = client.post(f"{BASE}/campaigns/bulk", json=body, headers=api_headers)

    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "validation_error"
    assert field in response.get_json()["error"]["details"]["fields"]
    assert graph.calls == [] and db.session.scalar(sa.select(sa.func.count()).select_from(AdWrite)) == 0


@pytest.mark.parametrize("body", [[1, 2], "pause", 7])
def test_a_body_that_is_not_an_object_is_a_400(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState, body: t.Any
) -> None:
    response = client.post(f"{BASE}/campaigns/bulk", json=body, headers=api_headers)
    assert response.status_code == 400 and graph.calls == []


def test_ids_that_are_not_ours_are_a_404_and_nothing_is_sent(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    campaign = bulk_campaigns(1)[0]

    response = client.post(f"{BASE}/campaigns/bulk", json={"action": "pause", "ids": [campaign.id, 987654]}, headers=api_headers)
    ads_by_campaign_id = client.post(
        f"{BASE}/ads/bulk", json={"action": "pause", "ids": [campaign.id + 10**6]}, headers=api_headers
    )

    assert response.status_code == 404 and response.get_json()["error"]["details"]["missing"] == [987654]
    assert ads_by_campaign_id.status_code == 404
    assert graph.calls == [] and db.session.scalar(sa.select(sa.func.count()).select_from(AdWrite)) == 0


def test_ads_are_archived_in_bulk_too(
    client: FlaskClient, api_headers: dict[str, str], account: AdAccount, graph: SandboxState
) -> None:
    ads = list(db.session.execute(sa.select(Ad).where(Ad.name.like("Bulk ad %")).order_by(Ad.id).limit(3)).scalars())

    response = client.post(f"{BASE}/ads/bulk", json={"action": "archive", "ids": [a.id for a in ads]}, headers=api_headers)

    assert response.status_code == 200 and response.get_json()["done"] == 3
    assert {graph.store.objects[a.meta_ad_id]["status"] for a in ads} == {"ARCHIVED"}
    assert {w.object_type for w in db.session.execute(sa.select(AdWrite)).scalars()} == {"ad"}


def test_a_browser_gets_the_list_back_with_each_result_and_a_retry_button(
    admin_client: FlaskClient, account: AdAccount, graph: SandboxState
) -> None:
    campaigns = bulk_campaigns(3)
    graph.add_fault(kind="permission", path=f"^/{campaigns[1].meta_campaign_id}$", method="POST")
    back = f"{BASE}/campaigns?q=Bulk&sort=-spend"
    form = {"csrf_token": csrf_token(admin_client, back), "action": "pause", "ids": [str(c.id) for c in campaigns], "next": back}

    response = admin_client.post(f"{BASE}/campaigns/bulk", data=form)

    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(back + "&bulk=")
    page = admin_client.get(location).get_data(as_text=True)
    assert "Paused 2 of 3 campaigns." in page
    assert "Results of the bulk change" in page and "2 of 3 done" in page
    assert "(#200) Permissions error" in page and "Retry the 1 not done" in page
    assert f'<input type="hidden" name="ids" value="{campaigns[1].id}">' in page


def test_a_browser_form_without_a_csrf_token_changes_nothing(
    admin_client: FlaskClient, account: AdAccount, graph: SandboxState
) -> None:
    campaign = bulk_campaigns(1)[0]
    response = admin_client.post(f"{BASE}/campaigns/bulk", data={"action": "pause", "ids": [str(campaign.id)]})
    assert response.status_code in (400, 403) and graph.calls == []


def test_without_a_login_the_bulk_route_is_a_401(client: FlaskClient, account: AdAccount, graph: SandboxState) -> None:
    response = client.post(f"{BASE}/campaigns/bulk", json={"action": "pause", "ids": [1]}, headers={"Accept": "application/json"})
    assert response.status_code == 401 and graph.calls == []
