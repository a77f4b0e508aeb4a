"""The ads sync (issue 11, item 1) against the sandbox, on PostgreSQL and SQLite: every status
kept, account-level pages, the updated_time filter after the first pass, deletions noticed by a
full pass, faults in the middle of paging, Meta's 80004 waited out, a revoked token."""

from __future__ import annotations

import typing as t

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from metaads.connections import graph_service
from metaads.graph import schemas
from metaads.graph.usage import InMemoryUsageStore
from metaads.models import Ad, AdAccount, AdCampaign, AdSet, LeadForm, SyncRun
from metaads.models.enums import AccountStatus, DeliveryStatus, SyncRunStatus
from metaads.sandbox import SandboxState
from metaads.sync.accounts import account_status
from metaads.sync.ads import sync_ads
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.socials.models import PlatformStatus, SocialPlatform


def reloaded(run_id: int) -> SyncRun:
    db.session.expire_all()
    run = db.session.get(SyncRun, run_id)
    assert run is not None
    return run


def one(model: t.Any, column: t.Any, meta_id: str) -> t.Any:
    db.session.expire_all()
    return db.session.execute(sa.select(model).where(column == meta_id)).scalar_one()


def count(model: t.Any) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def http_calls(graph: SandboxState, path: str = "") -> list[dict[str, t.Any]]:
    """The HTTP requests the sandbox received (a batch is one), on paths ending with ``path``."""
    return [c for c in graph.calls if not c["batch"] and c["path"].endswith(path)]


@pytest.fixture
def eur(graph: SandboxState, connected: int) -> AdAccount:
    return one(AdAccount, AdAccount.meta_account_id, graph.seed.ad_accounts["EUR"])


def test_connecting_syncs_every_status_with_meta_ids_money_and_creatives(app: Flask, graph: SandboxState, connected: int) -> None:
    seed = graph.seed
    summer = one(AdCampaign, AdCampaign.meta_campaign_id, seed.campaigns["summer"])
    assert (summer.status, summer.effective_status) == (DeliveryStatus.ARCHIVED, "ARCHIVED")  # asked for explicitly
    blog = one(AdCampaign, AdCampaign.meta_campaign_id, seed.campaigns["blog"])
    assert blog.status == DeliveryStatus.PAUSED and blog.daily_budget is None  # not set is None, not 0
    tokyo = one(AdCampaign, AdCampaign.meta_campaign_id, seed.campaigns["tokyo"])
    assert tokyo.daily_budget == 5000 and tokyo.ad_account.currency == "JPY"  # ¥5000: minor units are yen
    kitchens = one(AdCampaign, AdCampaign.meta_campaign_id, seed.campaigns["kitchens"])
    assert kitchens.daily_budget == 5000 and kitchens.ad_account.currency == "EUR"
    ad = one(Ad, Ad.meta_ad_id, seed.ads["kitchens_carousel"])
    assert ad.ad_set.campaign_id == kitchens.id and isinstance(ad.meta_ad_id, str)
    assert ad.creative_id and ad.thumbnail_url and ad.thumbnail_url.startswith("https://")
    assert ad.preview_url and ad.lead_gen_form_id == seed.forms["standard"]
    paused_parent = one(Ad, Ad.meta_ad_id, seed.ads["solar_bcn_static"])
    assert (paused_parent.status, paused_parent.effective_status) == (DeliveryStatus.ACTIVE, "ADSET_PAUSED")
    # A lead form belongs to the account whose ads open it.
    form = one(LeadForm, LeadForm.meta_form_id, seed.forms["standard"])
    assert form.ad_account is not None and form.ad_account.meta_account_id == seed.ad_accounts["EUR"]
    run = db.session.execute(sa.select(SyncRun).where(SyncRun.kind == "ads")).scalar_one()
    assert run.status == SyncRunStatus.SUCCEEDED and run.trigger == "connect" and run.counts["full_passes"] == 3


@pytest.mark.parametrize(
    "story",
    [
        {"page_id": "7", "link_data": {"call_to_action": {"type": "SIGN_UP", "value": {"lead_gen_form_id": "99"}}}},
        {"page_id": "7", "video_data": {"call_to_action": {"type": "SIGN_UP", "value": {"lead_gen_form_id": "99"}}}},
        {"page_id": "7", "link_data": {"child_attachments": [{"call_to_action": {"value": {"lead_gen_form_id": "99"}}}]}},
    ],
)
def test_an_ads_lead_form_is_read_from_its_creative(story: dict[str, t.Any]) -> None:
    ad = schemas.AD.load({"id": "1", "creative": {"id": "5", "image_url": "https://x/i.jpg", "object_story_spec": story}})
    assert (ad.creative_id, ad.page_id, ad.lead_gen_form_id, ad.thumbnail_url) == ("5", "7", "99", "https://x/i.jpg")


def test_a_closed_account_is_disabled_not_pending() -> None:
    assert account_status(101) == AccountStatus.DISABLED
    assert account_status(100) == AccountStatus.PENDING  # pending closure may still come back
    assert account_status(1) == AccountStatus.ACTIVE


def test_a_resync_asks_only_for_what_changed_with_large_account_pages(app: Flask, graph: SandboxState, eur: AdAccount) -> None:
    assert eur.ads_full_sync_at is not None and set(eur.ads_sync_marks or {}) == {"campaigns", "adsets", "ads"}
    graph.advance_clock(3600)
    graph.change_object(graph.seed.campaigns["brand"], name="Awareness – Brand 2027")
    graph.change_object(graph.seed.ads["brand_video"], status="PAUSED")
    graph.clear_calls()

    run = reloaded(sync_ads(trigger="test"))
    assert run.status == SyncRunStatus.SUCCEEDED and "full_passes" not in run.counts
    # Only what changed, and what changed in the minutes before the last mark (read again in
    # case Meta listed it late: some of the seed's objects were last changed at that second).
    first = db.session.execute(sa.select(SyncRun).where(SyncRun.trigger == "connect", SyncRun.kind == "ads")).scalar_one()
    assert run.counts["ads"] < first.counts["ads"]
    assert one(AdCampaign, AdCampaign.meta_campaign_id, graph.seed.campaigns["brand"]).name == "Awareness – Brand 2027"
    assert one(Ad, Ad.meta_ad_id, graph.seed.ads["brand_video"]).status == DeliveryStatus.PAUSED
    calls = http_calls(graph)
    assert len(calls) == 9  # three accounts × three account-level edges, one page each
    for call in calls:
        assert call["params"]["limit"] == "500" and "updated_time" in call["params"]["filtering"]
        assert "ARCHIVED" in call["params"]["filtering"]


def test_an_object_deleted_at_meta_stays_listed_as_deleted(
    app: Flask, graph: SandboxState, eur: AdAccount, api_headers: dict[str, str], client: FlaskClient
) -> None:
    seed = graph.seed
    graph.change_object(seed.campaigns["retargeting"], status="DELETED")
    graph.change_object(seed.ads["kitchens_video"], status="DELETED")
    before = (count(AdCampaign), count(AdSet), count(Ad))

    run = reloaded(sync_ads(full=True, trigger="test"))
    assert run.status == SyncRunStatus.SUCCEEDED and run.counts["deleted"] >= 3
    campaign = one(AdCampaign, AdCampaign.meta_campaign_id, seed.campaigns["retargeting"])
    assert (campaign.status, campaign.effective_status) == (DeliveryStatus.DELETED, "DELETED")
    child = one(Ad, Ad.meta_ad_id, seed.ads["retargeting_form"])
    assert child.effective_status == "DELETED"  # its campaign's deletion shows through (§5.2)
    assert one(Ad, Ad.meta_ad_id, seed.ads["kitchens_video"]).status == DeliveryStatus.DELETED
    assert (count(AdCampaign), count(AdSet), count(Ad)) == before, "nothing is dropped, nothing doubled"

    listed = client.get("/admin/meta-ads/campaigns?limit=100", headers=api_headers).get_json()["campaigns"]
    assert {c["meta_campaign_id"]: c["status"] for c in listed}[seed.campaigns["retargeting"]] == "DELETED"


def test_an_id_meta_no_longer_knows_is_marked_deleted(app: Flask, graph: SandboxState, eur: AdAccount) -> None:
    gone = graph.seed.ads["brand_video"]
    with graph.lock:  # Meta forgets it (an ad removed long ago): reading it by id answers 100/33
        store = graph.store
        del store.objects[gone], store.kinds[gone]
        store.by_kind["ad"].remove(gone)
        for children in store.children.values():
            if gone in children:
                children.remove(gone)
    run = reloaded(sync_ads(full=True, trigger="test"))
    assert run.status == SyncRunStatus.SUCCEEDED
    ad = one(Ad, Ad.meta_ad_id, gone)
    assert (ad.status, ad.effective_status) == (DeliveryStatus.DELETED, "DELETED")


@pytest.fixture
def bulk(graph: SandboxState, eur: AdAccount) -> dict[str, t.Any]:
    """100 campaigns × 4 ad sets × 5 ads laid out at Meta after the first sync."""
    return graph.bulk_ads(graph.seed.ad_accounts["EUR"], 100, 4, 5)


def test_a_code_2_in_the_middle_of_paging_is_retried_from_that_page_without_duplicates(
    app: Flask, graph: SandboxState, bulk: dict[str, t.Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = graph_service().client
    monkeypatch.setattr(client, "max_retries", 2)
    monkeypatch.setattr(client, "_sleep", lambda seconds: None)
    graph.add_fault(kind="transient", path="/ads$", params="after=", times=1)
    graph.clear_calls()

    run = reloaded(sync_ads(full=True, trigger="test"))
    assert run.status == SyncRunStatus.SUCCEEDED
    ads = http_calls(graph, graph.seed.ad_accounts["EUR"] + "/ads")
    assert [c["status"] for c in ads] == [200, 500, 200, 200, 200, 200]
    assert ads[1]["params"]["after"] == ads[2]["params"]["after"], "the failed page is asked again, not the first"
    assert count(Ad) == len(set(db.session.execute(sa.select(Ad.meta_ad_id)).scalars())) >= 2000


def test_a_sync_that_failed_mid_paging_is_completed_by_the_next_without_duplicates(
    app: Flask, graph: SandboxState, bulk: dict[str, t.Any]
) -> None:
    graph.add_fault(kind="http_500", path="/ads$", params="after=", skip=1, times=1)
    failed = reloaded(sync_ads(full=True, trigger="test"))
    assert failed.status == SyncRunStatus.PARTIAL and "Acme Kitchens EU" in (failed.error or "")
    stored_before = count(Ad)
    assert 500 < stored_before < 2010, "the pages read before the failure are kept"

    again = reloaded(sync_ads(trigger="test"))  # the account's pass never finished: a full one again
    assert again.status == SyncRunStatus.SUCCEEDED and again.counts["full_passes"] == 1
    assert count(Ad) == 2000 + len(graph.seed.ads) - 1  # every ad once (the deleted campaign's ad was never listed)


def test_80004_pauses_the_run_for_metas_wait_and_it_resumes_after_the_last_stored_page(
    app: Flask, graph: SandboxState, bulk: dict[str, t.Any]
) -> None:
    graph.add_fault(kind="rate_limit", code=80004, path="/ads$", params="after=", skip=1, times=1, minutes=7)
    jobs.runner().deferred.clear()
    graph.clear_calls()

    paused = reloaded(sync_ads(full=True, trigger="test"))
    assert paused.status == SyncRunStatus.RUNNING and paused.counts["rate_limited"] == 1
    assert paused.progress["resume_after_seconds"] == 420.0  # BUC estimated_time_to_regain_access: 7 minutes
    [(job, args, _job_id, delay)] = jobs.runner().deferred
    assert job is sync_ads and args == (paused.id,) and delay.total_seconds() == 420.0
    position = paused.progress["positions"][graph.seed.ad_accounts["EUR"]]
    assert position["edge"] == "ads" and position["after"] and position["full"] is True

    # Until then no call reaches Meta for that account (calls made while throttled extend the block).
    blocked = graph_service().client.usage_store.blocked(["object:" + graph.seed.ad_accounts["EUR"].removeprefix("act_")])
    assert blocked is not None and 400 < blocked.seconds <= 420
    graph_service().client.usage_store = InMemoryUsageStore()  # …7 minutes later
    graph.clear_calls()
    assert jobs.runner().run_deferred() == 1

    done = reloaded(paused.id)
    assert done.status == SyncRunStatus.SUCCEEDED, done.error
    resumed = [c for c in http_calls(graph) if graph.seed.ad_accounts["EUR"] in c["path"]]
    assert resumed[0]["path"].endswith("/ads") and resumed[0]["params"]["after"] == position["after"]
    assert count(Ad) == len(set(db.session.execute(sa.select(Ad.meta_ad_id)).scalars())) == 2000 + len(graph.seed.ads) - 1


def test_a_revoked_token_marks_the_connection_for_reauth(
    app: Flask, graph: SandboxState, eur: AdAccount, runner: FlaskCliRunner
) -> None:
    graph.revoke_token(graph.user_token)
    result = runner.invoke(args=["metaads", "sync-ads"])
    assert result.exit_code != 0 and "failed" in result.output and "Acme Kitchens EU" in result.output
    platform = db.session.get(SocialPlatform, eur.platform_id)
    assert platform is not None and platform.status == PlatformStatus.NEEDS_REAUTH
    # A connection that needs re-auth is left alone until it is reconnected.
    assert "no connected ad account" in runner.invoke(args=["metaads", "sync-ads"]).output


def test_the_command_prints_what_it_did(app: Flask, graph: SandboxState, eur: AdAccount, runner: FlaskCliRunner) -> None:
    graph.change_object(graph.seed.campaigns["brand"], name="Brand, renamed")
    result = runner.invoke(args=["metaads", "sync-ads", "--full"])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output and "accounts 3" in result.output and "full_passes 3" in result.output


def test_the_route_answers_202_with_the_sync_run(
    app: Flask, graph: SandboxState, eur: AdAccount, client: FlaskClient, api_headers: dict[str, str]
) -> None:
    response = client.post("/admin/meta-ads/campaigns/sync", headers=api_headers)
    assert response.status_code == 202
    run = response.get_json()["sync_run"]
    assert run["id"] and reloaded(run["id"]).kind == "ads"
    assert reloaded(run["id"]).status == SyncRunStatus.SUCCEEDED  # eager jobs: it already ran


def test_the_leads_list_offers_the_synced_campaigns_and_ads(
    app: Flask, graph: SandboxState, connected: int, admin_client: FlaskClient
) -> None:
    html = admin_client.get("/admin/meta-ads/leads").get_data(as_text=True)
    assert f'value="{graph.seed.campaigns["kitchens"]}" label="Leads – Kitchens Q4"' in html
    assert f'value="{graph.seed.ads["kitchens_carousel"]}" label="Kitchens – Carousel"' in html
