"""Leads and lead forms: lists and details, as pages and JSON."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import abort

from metaads.models import Lead, LeadForm
from metaads.schemas import LeadFormSchema, LeadSchema
from metaads.views import bp
from plugins.core.extensions import db
from plugins.core.pages import paging_args, respond


def count_and_page(query: sa.Select[t.Any], order_by: t.Any) -> tuple[int, list[t.Any], int, int]:
    limit, offset = paging_args()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.execute(query.order_by(*order_by).limit(limit).offset(offset)).scalars())
    return count, rows, limit, offset


@bp.get("/leads")
def leads_index() -> t.Any:
    count, leads, limit, offset = count_and_page(sa.select(Lead), (Lead.created_time.desc(), Lead.id.desc()))
    payload = {"leads": LeadSchema(many=True).dump(leads), "count": count, "limit": limit, "offset": offset}
    return respond("metaads/leads/index.html", payload, lead_rows=leads)


@bp.get("/leads/<int:lead_id>")
def lead_detail(lead_id: int) -> t.Any:
    lead = db.session.get(Lead, lead_id) or abort(404, description="No such lead.")
    return respond("metaads/leads/detail.html", {"lead": LeadSchema().dump(lead)}, lead_obj=lead)


@bp.get("/lead-forms")
def lead_forms_index() -> t.Any:
    count, forms, limit, offset = count_and_page(sa.select(LeadForm), (LeadForm.name, LeadForm.id))
    payload = {"lead_forms": LeadFormSchema(many=True).dump(forms), "count": count, "limit": limit, "offset": offset}
    return respond("metaads/lead_forms/index.html", payload, form_rows=forms)


@bp.get("/lead-forms/<int:form_id>")
def lead_form_detail(form_id: int) -> t.Any:
    form = db.session.get(LeadForm, form_id) or abort(404, description="No such lead form.")
    return respond("metaads/lead_forms/detail.html", {"lead_form": LeadFormSchema().dump(form)}, form_obj=form)
