"""metaads' periodic jobs (functions without arguments, so any scheduler can run them)."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from plugins.core.registry import PeriodicJob, platform_state


def reconcile_on_schedule() -> int:
    from metaads.capture.reconcile import start_reconcile

    return start_reconcile(trigger="scheduler")


def sweep_on_schedule() -> int:
    from metaads.capture.sweeper import sweep_inbox

    return sweep_inbox()


def sync_forms_on_schedule() -> int:
    from metaads.sync.forms import sync_lead_forms

    return sync_lead_forms(trigger="scheduler")


def sweep_outbound_on_schedule() -> int:
    from metaads.capture.outbound import sweep_outbound

    return sweep_outbound()


def check_subscriptions_on_schedule() -> dict[str, int]:
    from metaads.sync.subscriptions import check_subscriptions

    return check_subscriptions()


def register(app: Flask) -> None:
    state = platform_state(app)
    config = app.config
    for job in (
        # Often: it hands a killed worker's rows to another once their lease (20 s) ends, and
        # lease plus this interval bounds how late such a lead is stored. One indexed query.
        PeriodicJob("metaads-sweep-inbox", sweep_on_schedule, dt.timedelta(seconds=15), queue="metaads-high"),
        PeriodicJob("metaads-reconcile-leads", reconcile_on_schedule, dt.timedelta(seconds=config["METAADS_RECONCILE_INTERVAL"])),
        PeriodicJob("metaads-sync-lead-forms", sync_forms_on_schedule, dt.timedelta(hours=1)),
        PeriodicJob("metaads-sweep-outbound", sweep_outbound_on_schedule, dt.timedelta(minutes=5)),
        PeriodicJob("metaads-check-subscriptions", check_subscriptions_on_schedule, dt.timedelta(hours=6)),
    ):
        state.add_periodic_job(job)
