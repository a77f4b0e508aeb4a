"""Insights sync against the sandbox: one row per ad and account day with Meta's exact numbers,
through the synchronous edge and through stored async report runs that fail, stall, are
skipped, hold too much data, are throttled, or are left behind by a killed worker."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
import sqlalchemy as sa
from flask import Flask

from metaads.connections import graph_service
from metaads.graph.usage import InMemoryUsageStore
from metaads.insights import dates
from metaads.insights import reports as reports_module
from metaads.insights.sync import sync_insights
from metaads.models import AdInsight, InsightsReport, ReportStatus, SyncRun
from metaads.models.enums import SyncRunStatus
from metaads.sandbox import SandboxState
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.socials.models import PlatformStatus, SocialPlatform
from tests.metaads.insights.helpers import FAST, account, assert_matches_meta, insights_calls, reloaded


@pytest.fixture
def config_overrides(config_overrides: dict[str, t.Any]) -> dict[str, t.Any]:
    return {**config_overrides, **FAST}


def week(currency: str) -> tuple[dt.date, dt.date]:
    today = dates.account_today(account(currency))
    return today - dt.timedelta(days=6), today


def sync(currency: str, since: dt.date, until: dt.date) -> t.Any:
    return reloaded(sync_insights(since=since, until=until, ad_account_id=account(currency).id, trigger="test"))


def row_count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(AdInsight)) or 0)


def test_async_backfill_stores_one_row_per_ad_day_with_meta_numbers(app: Flask, graph: SandboxState, connected: int) -> None:
    since, until = week("EUR")
    run = sync("EUR", since, until)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_matches_meta(graph, "EUR", since, until)
    assert run.counts["rows"] == row_count() and run.counts["days"] == 7
    assert [r.status for r in db.session.query(InsightsReport).all()] == [ReportStatus.STORED]
    assert len(insights_calls(graph, "POST")) == 1, "a 7-day range is one async report run"


def test_short_range_uses_the_synchronous_edge_jpy_not_multiplied_days_are_the_accounts(
    app: Flask, graph: SandboxState, connected: int
) -> None:
    today = dates.account_today(account("JPY"))  # Asia/Tokyo: often a day ahead of UTC
    run = sync("JPY", today - dt.timedelta(days=1), today)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert not insights_calls(graph, "POST") and not db.session.query(InsightsReport).count()
    assert_matches_meta(graph, "JPY", today - dt.timedelta(days=1), today)
    assert max(db.session.scalars(sa.select(AdInsight.date))) == today


def test_a_second_sync_replaces_restated_days_and_adds_no_row(app: Flask, graph: SandboxState, connected: int) -> None:
    since, until = week("EUR")
    sync("EUR", since, until)
    before = row_count()
    ad = graph.seed.ads["kitchens_carousel"]
    graph.restate(ad, (since + dt.timedelta(days=2)).isoformat(), impressions=1000, clicks=10, spend=1234, leads=3)
    assert sync("EUR", since, until).status == SyncRunStatus.SUCCEEDED
    assert row_count() == before
    assert_matches_meta(graph, "EUR", since, until)


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "report_failed", "times": 1},
        {"kind": "report_skipped", "times": 1},
        {"kind": "report_stalled", "percent": 35, "times": 1},
        {"kind": "report_running_at_100", "times": 1},
    ],
)
def test_an_async_job_that_fails_is_skipped_or_stalls_once_is_posted_again(
    app: Flask, graph: SandboxState, connected: int, fault: dict[str, t.Any]
) -> None:
    graph.add_fault(path="/insights$", method="POST", **fault)
    since, until = week("EUR")
    run = sync("EUR", since, until)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_matches_meta(graph, "EUR", since, until)
    (report,) = db.session.query(InsightsReport).all()
    retried = fault["kind"] != "report_running_at_100"  # 100 % while running is waited for, not retried
    assert report.attempts == (2 if retried else 1) and len(insights_calls(graph, "POST")) == report.attempts


def test_a_job_failing_twice_is_split_by_dates_never_reposted_a_third_time(
    app: Flask, graph: SandboxState, connected: int
) -> None:
    graph.add_fault(kind="report_failed", path="/insights$", method="POST", times=2)
    since, until = week("EUR")
    assert sync("EUR", since, until).status == SyncRunStatus.SUCCEEDED
    assert_matches_meta(graph, "EUR", since, until)
    reports = db.session.query(InsightsReport).order_by(InsightsReport.id).all()
    assert [r.status for r in reports] == [ReportStatus.SPLIT, ReportStatus.STORED, ReportStatus.STORED]
    assert (reports[1].since, reports[2].until) == (since, until) and reports[1].until + dt.timedelta(days=1) == reports[2].since


def test_too_much_data_splits_by_dates_then_by_campaign(app: Flask, graph: SandboxState, connected: int) -> None:
    ads = len(graph.store.children_of(graph.seed.ad_accounts["EUR"], "ad"))
    # One day of every ad is too much for a job, one day of one campaign is not.
    graph.configure(ASYNC_INSIGHTS_MAX_AD_DAYS=ads - 1)
    today = dates.account_today(account("EUR"))
    since = today - dt.timedelta(days=3)
    run = sync("EUR", since, today)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_matches_meta(graph, "EUR", since, today)
    reports = db.session.query(InsightsReport).all()
    assert all(r.attempts == 1 for r in reports), "too much data is split at once, not retried"
    assert {r.meta_campaign_id is not None for r in reports if r.status == ReportStatus.STORED} == {True}


def test_too_much_data_on_the_synchronous_edge_falls_back_to_report_runs(app: Flask, graph: SandboxState, connected: int) -> None:
    graph.configure(SYNC_INSIGHTS_MAX_AD_DAYS=1)
    today = dates.account_today(account("EUR"))
    run = sync("EUR", today - dt.timedelta(days=1), today)
    assert run.status == SyncRunStatus.SUCCEEDED and run.counts["too_much_data"] == 1
    assert_matches_meta(graph, "EUR", today - dt.timedelta(days=1), today)
    assert len(insights_calls(graph, "POST")) == 1


def test_throttled_sync_waits_as_told_then_completes(app: Flask, graph: SandboxState, connected: int) -> None:
    graph.add_fault(kind="rate_limit", code=80000, path="/insights$", method="POST", times=1)
    jobs.runner().deferred.clear()
    since, until = week("EUR")
    paused = sync("EUR", since, until)
    assert paused.status == SyncRunStatus.RUNNING and paused.counts["rate_limited"] == 1
    assert paused.progress["resume_after_seconds"] > 0 and len(jobs.runner().deferred) == 1
    graph_service().client.usage_store = InMemoryUsageStore()  # Meta's wait is over
    assert jobs.runner().run_deferred() == 1
    assert reloaded(paused.id).status == SyncRunStatus.SUCCEEDED
    assert_matches_meta(graph, "EUR", since, until)


def test_high_insights_usage_stops_new_jobs_until_the_wait_is_over(app: Flask, graph: SandboxState, connected: int) -> None:
    graph.configure(USAGE_BUDGETS={**graph.config["USAGE_BUDGETS"], "ads_insights": 1})  # the first call reads 100 %
    jobs.runner().deferred.clear()
    since, until = week("EUR")
    paused = sync("EUR", since, until)
    assert paused.status == SyncRunStatus.RUNNING and paused.counts["rate_limited"] == 1
    posts = len(insights_calls(graph, "POST"))
    assert posts <= 1, "no job is started while the throttle header reads near 100 %"
    graph.configure(USAGE_BUDGETS={**graph.config["USAGE_BUDGETS"], "ads_insights": 5000})
    graph_service().client.usage_store = InMemoryUsageStore()
    jobs.runner().run_deferred()
    assert reloaded(paused.id).status == SyncRunStatus.SUCCEEDED
    assert_matches_meta(graph, "EUR", since, until)


def test_a_revoked_token_marks_the_connection_and_a_reconnect_resumes(app: Flask, graph: SandboxState, connected: int) -> None:
    platform = db.session.get(SocialPlatform, connected)
    assert platform is not None
    graph.revoke_token(platform.access_token or "")
    since, until = week("EUR")
    failed = sync("EUR", since, until)
    assert failed.status == SyncRunStatus.FAILED
    db.session.expire_all()
    assert db.session.get(SocialPlatform, connected).status == PlatformStatus.NEEDS_REAUTH  # type: ignore[union-attr]
    from plugins.socials.connect import connect_with_token

    connect_with_token(graph.issue_user_token(["ads_read", "ads_management", "pages_show_list"]).value)
    assert sync("EUR", since, until).status == SyncRunStatus.SUCCEEDED
    assert_matches_meta(graph, "EUR", since, until)


def test_a_run_killed_mid_read_resumes_without_reposting_or_duplicates(
    app: Flask, graph: SandboxState, connected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Killed(BaseException):
        """The worker dies (SIGKILL) after a page is stored."""

    real = reports_module.store_page
    pages = []

    def store_then_die(index: t.Any, rows: t.Any) -> int:
        stored = real(index, rows)
        pages.append(stored)
        if len(pages) == 2:
            db.session.commit()
            raise Killed
        return stored

    monkeypatch.setattr(reports_module, "store_page", store_then_die)
    monkeypatch.setitem(app.config, "METAADS_INSIGHTS_PAGE_SIZE", 5)
    monkeypatch.setitem(app.config, "METAADS_INSIGHTS_STORE_ROWS", 5)
    since, until = week("EUR")
    with pytest.raises(Killed):
        sync_insights(since=since, until=until, ad_account_id=account("EUR").id, trigger="test")
    db.session.rollback()
    run_id = db.session.scalar(sa.select(InsightsReport.sync_run_id))
    (report,) = db.session.query(InsightsReport).all()
    assert report.status == ReportStatus.RUNNING and report.after, "the job and the page it got to are stored"
    graph.clear_calls()
    assert reloaded(sync_insights(run_id)).status == SyncRunStatus.SUCCEEDED
    assert not insights_calls(graph, "POST"), "the job posted before the kill is polled, not posted again"
    first_read = next(c for c in graph.calls if c["path"].endswith(f"{report.report_run_id}/insights"))
    assert first_read["params"].get("after"), "reading resumed after the last stored page"
    assert_matches_meta(graph, "EUR", since, until)


def test_the_schedule_backfills_a_new_account_then_reads_today_and_yesterday(
    app: Flask, graph: SandboxState, connected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metaads.periodic import sync_recent_insights_on_schedule

    monkeypatch.setitem(app.config, "METAADS_INSIGHTS_BACKFILL_DAYS", 10)
    eur = account("EUR")
    today = dates.account_today(eur)
    first = reloaded(sync_recent_insights_on_schedule())
    assert first.trigger == "scheduler" and first.progress["ranges"][str(eur.id)] == {
        "since": (today - dt.timedelta(days=10)).isoformat(),
        "until": today.isoformat(),
        "backfill": True,
    }
    assert_matches_meta(graph, "EUR", today - dt.timedelta(days=10), today)
    graph.clear_calls()
    second = reloaded(sync_recent_insights_on_schedule())
    assert second.progress["ranges"][str(eur.id)]["since"] == (today - dt.timedelta(days=1)).isoformat()
    assert not insights_calls(graph, "POST"), "today and yesterday go through the synchronous edge"


def test_a_backfill_is_clamped_to_metas_37_months_in_the_accounts_days(app: Flask, connected: int) -> None:
    from flask import current_app

    from metaads.insights.sync import plan_range

    eur = account("EUR")
    config = {**current_app.config, "METAADS_INSIGHTS_BACKFILL_DAYS": 5000}
    kept = plan_range({"mode": "backfill"}, eur, config)
    today = dates.account_today(eur)
    assert kept["since"] == dates.earliest(today).isoformat() and kept["until"] == today.isoformat()
    assert dates.earliest(today) > dates.months_back(today, 37)


def test_campaigns_sync_reads_the_ads_then_their_insights(
    client: t.Any, api_headers: dict[str, str], graph: SandboxState, connected: int
) -> None:
    answer = client.post("/admin/meta-ads/campaigns/sync", headers=api_headers)
    assert answer.status_code == 202 and answer.get_json()["sync_run"]["kind"] == "ads"
    runs = db.session.query(SyncRun).filter_by(kind="insights").all()
    assert [(r.status, r.trigger) for r in runs] == [(SyncRunStatus.SUCCEEDED, "api")]
    eur = account("EUR")
    since, until = (dt.date.fromisoformat(runs[0].progress["ranges"][str(eur.id)][k]) for k in ("since", "until"))
    assert (until - since).days == 28
    assert_matches_meta(graph, "EUR", since, until)
