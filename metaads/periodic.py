"""metaads' periodic jobs (functions without arguments, so any scheduler can run them; their
names are what RQ stores, so they stay even where they only call on)."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from metaads.capture.outbound import sweep_outbound
from metaads.capture.reconcile import start_reconcile
from metaads.capture.sweeper import sweep_inbox
from metaads.conversions.delivery import sweep_conversions
from metaads.insights.sync import resume_abandoned_runs, sync_insights
from metaads.queues import HIGH, LOW
from metaads.sync.ads import sync_ads
from metaads.sync.forms import sync_lead_forms
from metaads.sync.runs import SYNC_TIMEOUT
from metaads.sync.subscriptions import check_subscriptions
from plugins.core.registry import PeriodicJob, platform_state


def reconcile_on_schedule() -> int:
    return start_reconcile(trigger="scheduler")


def sweep_on_schedule() -> int:
    return sweep_inbox()


def sync_forms_on_schedule() -> int:
    return sync_lead_forms(trigger="scheduler")


def sync_ads_on_schedule() -> int:
    return sync_ads(trigger="scheduler")


def sweep_outbound_on_schedule() -> int:
    return sweep_outbound()


def sweep_conversions_on_schedule() -> int:
    return sweep_conversions()


def check_subscriptions_on_schedule() -> dict[str, int]:
    return check_subscriptions()


def sync_recent_insights_on_schedule() -> int:
    """Today and yesterday (an account never synced gets its first backfill instead); and any
    insights run a killed worker left behind is resumed."""
    resume_abandoned_runs()
    return sync_insights(mode="recent", trigger="scheduler")


def sync_restated_insights_on_schedule() -> int:
    """The trailing restatement window, which Meta still revises."""
    return sync_insights(mode="restate", trigger="scheduler")


def register(app: Flask) -> None:
    state = platform_state(app)
    config = app.config
    for job in (
        # Often: it hands a killed worker's rows to another once their lease (20 s) ends, and
        # lease plus this interval bounds how late such a lead is stored. One indexed query.
        PeriodicJob("metaads-sweep-inbox", sweep_on_schedule, dt.timedelta(seconds=15), queue=HIGH),
        PeriodicJob(
            "metaads-reconcile-leads",
            reconcile_on_schedule,
            dt.timedelta(seconds=config["METAADS_RECONCILE_INTERVAL"]),
            queue=LOW,
        ),
        PeriodicJob("metaads-sync-lead-forms", sync_forms_on_schedule, dt.timedelta(hours=1), queue=LOW),
        PeriodicJob(
            "metaads-sync-ads", sync_ads_on_schedule, dt.timedelta(seconds=config["METAADS_ADS_SYNC_INTERVAL"]), queue=LOW
        ),
        PeriodicJob("metaads-sweep-outbound", sweep_outbound_on_schedule, dt.timedelta(minutes=5), queue=LOW),
        # Events whose send job was lost (Redis down when the change committed) or that waited
        # for a reconnect: bounds how late such an event goes. One indexed count when idle.
        PeriodicJob("metaads-sweep-conversions", sweep_conversions_on_schedule, dt.timedelta(seconds=30), queue=HIGH),
        PeriodicJob("metaads-check-subscriptions", check_subscriptions_on_schedule, dt.timedelta(hours=6), queue=LOW),
        PeriodicJob(
            "metaads-sync-insights-recent",
            sync_recent_insights_on_schedule,
            dt.timedelta(seconds=config["METAADS_INSIGHTS_RECENT_INTERVAL"]),
            queue=LOW,
            timeout=SYNC_TIMEOUT,  # a first connect's backfill reads 90 days
        ),
        PeriodicJob(
            "metaads-sync-insights-restated",
            sync_restated_insights_on_schedule,
            dt.timedelta(seconds=config["METAADS_INSIGHTS_RESTATE_INTERVAL"]),
            queue=LOW,
            timeout=SYNC_TIMEOUT,
        ),
    ):
        state.add_periodic_job(job)
