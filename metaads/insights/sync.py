"""``sync_insights``: one sync run over every connected ad account (or one), each read as a unit
of ``sync_from_meta`` (so a dead token marks its connection for re-auth, a rate limit pauses the
run and a paused or killed run resumes after the accounts it finished).

Which days: a run carries a plan — explicit dates, or a mode the schedule names (``recent``:
today and yesterday; ``restate``: the trailing 28 days, which Meta still revises; ``default``:
those 28 days and today) — resolved per account in the account's time zone the first time the
account is read, and kept in the run's progress so a resumed run reads the same days. An account
never backfilled gets ``METAADS_INSIGHTS_BACKFILL_DAYS`` from the schedule instead.

How: a few days through the synchronous edge (``act_X/insights?level=ad&time_increment=1``);
longer ranges, or a short one Meta finds too big, through stored async report runs
(:mod:`metaads.insights.reports`).
"""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from flask import current_app

from metaads.connections import graph_service
from metaads.graph.errors import GraphInvalidParameterError
from metaads.insights import dates
from metaads.insights import rows as insight_rows
from metaads.insights.reports import ReportReader, Settings, is_too_much_data
from metaads.insights.store import AdIndex, store_page
from metaads.models import AdAccount, SyncRun
from metaads.models.enums import SyncRunStatus
from metaads.service import act
from metaads.sync.ads import sync_ads
from metaads.sync.runs import SYNC_TIMEOUT, Unit, bump, run_for, save_progress, sync_from_meta
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.models import PlatformStatus, SocialPlatform

MODES = ("default", "recent", "restate", "backfill", "range")
#: Where an account records that its first backfill is done (its metadata, our key).
BACKFILLED = "insights_backfilled_at"


def sync_insights(
    run_id: int | None = None,
    *,
    mode: str = "default",
    since: dt.date | None = None,
    until: dt.date | None = None,
    ad_account_id: int | None = None,
    trigger: str = "manual",
    job: t.Callable[[int], t.Any] | None = None,
) -> int:
    """Sync daily ad insights; returns the sync run's id. ``job(run_id)`` continues a paused run
    (default: this function queued again)."""
    scope = str(ad_account_id or "all")
    run = run_for(run_id, "insights", scope=scope, trigger=trigger)
    plan = (run.progress or {}).get("plan")
    if not plan:
        plan = {"mode": "range" if since or until else mode, "since": _iso(since), "until": _iso(until), "account": ad_account_id}
        save_progress(run, plan=plan)
    units = [
        Unit(f"act:{account.meta_account_id}", f"ad account {account.meta_account_id}", token, platform_id, account.id)
        for account, token, platform_id in accounts_to_sync(plan.get("account"))
    ]
    sync_from_meta(run, units, lambda unit: read_account(run, unit), job=job or resume_sync)
    return run.id


def sync_ads_then_insights(ads_run_id: int) -> int | None:
    """``POST campaigns/sync``'s job: the ads sync, then (once it has ended, not while a rate
    limit pauses it) the insights of the default window; returns the insights run's id."""
    sync_ads(ads_run_id)
    ads_run = db.session.get(SyncRun, ads_run_id)
    if ads_run is None or ads_run.status == SyncRunStatus.RUNNING:
        return None
    return sync_insights(trigger=ads_run.trigger)


def resume_sync(run_id: int) -> int:
    """The job that continues a paused or abandoned insights run."""
    return sync_insights(run_id)


def accounts_to_sync(ad_account_id: int | None = None) -> list[tuple[AdAccount, str, int]]:
    """(account, token, connection id) of each ad account whose connection is active."""
    query = (
        sa.select(AdAccount, SocialPlatform.access_token, SocialPlatform.id)
        .join(SocialPlatform, AdAccount.platform_id == SocialPlatform.id)
        .where(SocialPlatform.status == PlatformStatus.ACTIVE, SocialPlatform.access_token.is_not(None))
        .order_by(AdAccount.id)
    )
    if ad_account_id is not None:
        query = query.where(AdAccount.id == ad_account_id)
    return [(account, token, platform_id) for account, token, platform_id in db.session.execute(query).all() if token]


def read_account(run: SyncRun, unit: Unit[int]) -> None:
    account = db.session.get(AdAccount, unit.item)
    if account is None:
        return
    span = account_range(run, account)
    if span is not None:
        since, until = span
        read_range(run, unit, account, since, until)
        bump(run, days=dates.days(since, until))
        if (run.progress or {}).get("ranges", {}).get(str(account.id), {}).get("backfill"):
            account.metadata_ = {**(account.metadata_ or {}), BACKFILLED: utcnow().isoformat()}
    db.session.commit()


def account_range(run: SyncRun, account: AdAccount) -> dates.DateRange | None:
    """The days this run reads for ``account``, decided once and kept in the run's progress."""
    ranges = dict((run.progress or {}).get("ranges") or {})
    kept = ranges.get(str(account.id))
    if kept is None:
        kept = plan_range((run.progress or {})["plan"], account, current_app.config)
        ranges[str(account.id)] = kept
        save_progress(run, ranges=ranges)
    if not kept.get("since"):
        return None
    return dt.date.fromisoformat(kept["since"]), dt.date.fromisoformat(kept["until"])


def plan_range(plan: t.Mapping[str, t.Any], account: AdAccount, config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    today = dates.account_today(account)
    mode = plan["mode"]
    backfill = mode in ("recent", "restate", "backfill") and (mode == "backfill" or not (account.metadata_ or {}).get(BACKFILLED))
    span: dates.DateRange | None
    if backfill:
        span = dates.trailing(today, int(config["METAADS_INSIGHTS_BACKFILL_DAYS"]))
    elif mode == "recent":
        span = (today - dt.timedelta(days=1), today)
    elif mode == "restate":
        span = dates.trailing(today, int(config["METAADS_INSIGHTS_RESTATE_DAYS"]))
    elif mode == "range":
        default_since, _ = dates.trailing(today, int(config["METAADS_INSIGHTS_RESTATE_DAYS"]))
        since = dt.date.fromisoformat(plan["since"]) if plan.get("since") else default_since
        until = dt.date.fromisoformat(plan["until"]) if plan.get("until") else today
        span = dates.clamp(since, until, today)
    else:
        span = dates.trailing(today, int(config["METAADS_INSIGHTS_RESTATE_DAYS"]))
    if span is None:
        return {"since": None, "until": None, "backfill": False}
    return {"since": span[0].isoformat(), "until": span[1].isoformat(), "backfill": backfill}


def read_range(run: SyncRun, unit: Unit[int], account: AdAccount, since: dt.date, until: dt.date) -> None:
    config = current_app.config
    settings = Settings.from_config(config)
    index = AdIndex(account)
    client = graph_service().client

    def counted(stored: int) -> None:
        bump(run, rows=stored)

    if dates.days(since, until) <= int(config["METAADS_INSIGHTS_SYNC_MAX_DAYS"]):
        try:
            read_synchronously(client, unit.token, index, since, until, settings.page_size, counted)
            return
        except GraphInvalidParameterError as exc:
            if not is_too_much_data(exc.code, exc.subcode):
                raise
            db.session.rollback()  # pages stored so far are committed; the reports read them again
            bump(run, too_much_data=1)
    reader = ReportReader(client, unit.token, index, run.id, settings, counted)
    reader.read(since, until)


def read_synchronously(
    client: t.Any, token: str, index: AdIndex, since: dt.date, until: dt.date, page_size: int, counted: t.Callable[[int], None]
) -> None:
    params = {
        "level": "ad",
        "time_increment": 1,
        "time_range": {"since": since.isoformat(), "until": until.isoformat()},
        "filtering": insight_rows.EVERY_STATUS_FILTER,
    }
    path = f"{act(index.meta_account_id)}/insights"
    for page in client.pages(path, token, params, fields=insight_rows.FIELDS, page_size=page_size):
        counted(store_page(index, page.items))
        db.session.commit()


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def resume_abandoned_runs() -> list[int]:
    """Queue again the insights runs a killed worker left running: any still RUNNING longer than
    a sync job may live (the queue kills it then), unless a rate-limit pause is waiting on it."""
    cutoff = utcnow() - dt.timedelta(seconds=SYNC_TIMEOUT)
    stale = db.session.execute(
        sa.select(SyncRun.id).where(
            SyncRun.kind == "insights", SyncRun.status == SyncRunStatus.RUNNING, SyncRun.started_at < cutoff
        )
    ).scalars()
    resumed = []
    for run_id in stale:
        jobs.enqueue(
            resume_sync, run_id, queue="metaads-default", job_id=f"metaads-insights-resume-{run_id}", timeout=SYNC_TIMEOUT
        )
        resumed.append(run_id)
    return resumed
