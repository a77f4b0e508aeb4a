"""Sync on demand: each answers 202 with the sync run (or job) that will do the work."""

from __future__ import annotations

import typing as t

from flask import flash, jsonify, redirect, url_for
from flask_login import current_user

from metaads.models import SyncRun
from metaads.sync.runs import start_run
from metaads.views import bp
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.http import wants_json


def sync_run_json(run: SyncRun) -> dict[str, t.Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "scope": run.scope,
        "trigger": run.trigger,
        "status": run.status.value,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "counts": run.counts,
        "error": run.error,
    }


def accepted(run_id: int, message: str, back: str) -> t.Any:
    run = db.session.get(SyncRun, run_id)
    if wants_json():
        response = jsonify({"sync_run": sync_run_json(run) if run else {"id": run_id}})
        response.status_code = 202
        return response
    flash(message, "info")
    return redirect(url_for(back))


@bp.post("/leads/sync")
def leads_sync() -> t.Any:
    """Reconcile every subscribed form now (the same pass the scheduler runs)."""
    from metaads.capture.reconcile import start_reconcile

    run_id = start_reconcile(trigger="api", requested_by=current_user.id)
    return accepted(
        run_id, "Reading every form's leads from Facebook now; new ones appear as they arrive.", "metaads.leads_index"
    )


@bp.post("/lead-forms/sync")
def lead_forms_sync() -> t.Any:
    from metaads.sync.forms import sync_lead_forms

    run = start_run("lead_forms", trigger="api", requested_by=current_user.id)
    jobs.enqueue(sync_lead_forms, run.id, queue="metaads-default")
    return accepted(run.id, "Reading lead forms from Facebook.", "metaads.lead_forms_index")


@bp.post("/accounts/sync")
def accounts_sync() -> t.Any:
    from metaads.sync.accounts import sync_ad_accounts

    run = start_run("ad_accounts", trigger="api", requested_by=current_user.id)
    jobs.enqueue(sync_ad_accounts, run.id, queue="metaads-default")
    return accepted(run.id, "Reading ad accounts from Facebook.", "metaads.accounts_index")
