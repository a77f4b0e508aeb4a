"""Sync on demand: each answers 202 with the sync run (or job) that will do the work."""

from __future__ import annotations

import typing as t

from flask import url_for
from flask_login import current_user

from metaads.api.answers import SyncStartedSchema
from metaads.capture.reconcile import start_reconcile
from metaads.insights.sync import sync_ads_then_insights
from metaads.models import SyncRun
from metaads.schemas import SyncRunSchema
from metaads.sync.accounts import sync_ad_accounts
from metaads.sync.forms import sync_lead_forms
from metaads.sync.runs import SYNC_TIMEOUT, start_run
from metaads.views import bp
from plugins.core import jobs
from plugins.core.apidoc import documented
from plugins.core.extensions import db
from plugins.core.pages import done


def accepted(run_id: int, message: str, back: str) -> t.Any:
    """202 with the sync run that will do the work (JSON), or ``message`` and back to ``back``."""
    run = db.session.get(SyncRun, run_id)
    payload = {"sync_run": SyncRunSchema().dump(run) if run else {"id": run_id}}
    return done(message, url_for(back), payload, status=202, category="info")


@bp.post("/leads/sync")
@documented(answers={202: SyncStartedSchema})
def leads_sync() -> t.Any:
    """Reconcile every subscribed form now (the same pass the scheduler runs)."""
    run_id = start_reconcile(trigger="api", requested_by=current_user.id)
    return accepted(
        run_id, "Reading every form's leads from Facebook now; new ones appear as they arrive.", "metaads.leads_index"
    )


@bp.post("/lead-forms/sync")
@documented(answers={202: SyncStartedSchema})
def lead_forms_sync() -> t.Any:
    run = start_run("lead_forms", trigger="api", requested_by=current_user.id)
    jobs.enqueue(sync_lead_forms, run.id, queue="metaads-default")
    return accepted(run.id, "Reading lead forms from Facebook.", "metaads.lead_forms_index")


@bp.post("/accounts/sync")
@documented(answers={202: SyncStartedSchema})
def accounts_sync() -> t.Any:
    run = start_run("ad_accounts", trigger="api", requested_by=current_user.id)
    jobs.enqueue(sync_ad_accounts, run.id, queue="metaads-default")
    return accepted(run.id, "Reading ad accounts from Facebook.", "metaads.accounts_index")


@bp.post("/campaigns/sync")
def campaigns_sync() -> t.Any:
    """Every connected account's campaigns, ad sets and ads (every status), as the schedule does,
    then their insights."""
    run = start_run("ads", trigger="api", requested_by=current_user.id)
    jobs.enqueue(sync_ads_then_insights, run.id, queue="metaads-default", timeout=SYNC_TIMEOUT)
    return accepted(run.id, "Reading campaigns, ad sets and ads from Facebook.", "metaads.campaigns_index")
