"""Lead forms from Meta: every form of every connected page, with its questions."""

from __future__ import annotations

import dataclasses
import logging
import typing as t

import sqlalchemy as sa

from metaads.connections import connected_pages, graph_service, page_token
from metaads.graph.types import LeadFormData
from metaads.models import LeadForm, SyncRun
from metaads.models.enums import FormStatus
from metaads.sync.runs import Unit, bump, run_for, sync_from_meta
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.models import SocialPage

log = logging.getLogger(__name__)


def sync_lead_forms(run_id: int | None = None, *, platform_id: int | None = None, trigger: str = "manual") -> int:
    """Upsert the forms of every connected page (or of ``platform_id``'s); returns the sync run's
    id. A run queued by a route, or paused by a rate limit, says which connection."""
    run = run_for(run_id, "lead_forms", scope=str(platform_id or "all"), trigger=trigger, platform_id=platform_id)
    units = [
        Unit(page.page_id, f"page {page.page_id}", page.access_token or "", owner, page)
        for page, owner in connected_pages(run.platform_id)
    ]
    sync_from_meta(run, units, lambda unit: read_forms(run, unit), job=sync_lead_forms)
    return run.id


def read_forms(run: SyncRun, unit: Unit[SocialPage]) -> None:
    forms = graph_service().list_lead_forms(unit.key, unit.token)
    for form in forms:
        upsert_form(form, unit.key)
    unit.item.platform.last_synced_at = utcnow()
    bump(run, pages=1, forms=len(forms))
    db.session.commit()


def sync_lead_form(meta_form_id: str) -> None:
    """Fill in one form we only know by id (a lead arrived before any form sync)."""
    form = db.session.execute(sa.select(LeadForm).where(LeadForm.meta_form_id == meta_form_id)).scalar_one_or_none()
    access = page_token(form.page_id if form else None)
    if form is None or access is None:
        return
    upsert_form(graph_service().get_lead_form(meta_form_id, access.token), form.page_id)
    db.session.commit()


def upsert_form(data: LeadFormData, page_id: str) -> LeadForm:
    form = db.session.execute(sa.select(LeadForm).where(LeadForm.meta_form_id == data.id)).scalar_one_or_none()
    if form is None:
        form = LeadForm(meta_form_id=data.id, page_id=page_id, name=data.name or f"Form {data.id}")
        db.session.add(form)
    form.name = data.name or form.name
    form.page_id = data.page_id or page_id
    form.status = form_status(data.status)
    form.locale = data.locale
    form.questions = [question_json(q) for q in data.questions]
    form.privacy_policy_url = data.privacy_policy_url
    form.thank_you_page_url = thank_you_url(data)
    form.created_time = data.created_time
    form.last_synced_at = utcnow()
    return form


def form_status(status: str | None) -> FormStatus:
    try:
        return FormStatus((status or "ACTIVE").upper())
    except ValueError:
        return FormStatus.ACTIVE


def question_json(question: t.Any) -> dict[str, t.Any]:
    data = {k: v for k, v in dataclasses.asdict(question).items() if k != "extra"}
    data["options"] = [{k: v for k, v in option.items() if k != "extra"} for option in data.get("options") or ()]
    return data


def thank_you_url(data: LeadFormData) -> str | None:
    page = data.thank_you_page or {}
    url = page.get("website_url") or page.get("url") or data.follow_up_action_url
    return str(url) if url else None
