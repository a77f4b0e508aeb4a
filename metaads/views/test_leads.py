"""Test leads: an admin sends one through Meta's ``test_leads`` edge and watches it arrive."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import abort, url_for
from flask_login import current_user

from metaads.api.answers import LastTestLeadAnswerSchema
from metaads.connections import graph_service, page_token
from metaads.graph.errors import GraphError
from metaads.models import Lead, LeadForm, WebhookInbox
from metaads.views import bp
from plugins.core.apidoc import documented
from plugins.core.extensions import db
from plugins.core.http import APIError
from plugins.core.models import utcnow
from plugins.core.pages import done


def test_lead_status(form: LeadForm) -> dict[str, t.Any] | None:
    """The form's last test lead: when we created it, when its webhook came, when it was stored."""
    sent = (form.metadata_ or {}).get("test_lead")
    if not sent:
        return None
    inbox = db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.dedupe_key == sent["id"])).scalar_one_or_none()
    lead = db.session.execute(sa.select(Lead).where(Lead.meta_lead_id == sent["id"])).scalar_one_or_none()
    return {
        **sent,
        "received_at": inbox.received_at.isoformat() if inbox else None,
        "fetched_at": lead.fetched_at.isoformat() if lead and lead.fetched_at else None,
        "lead_id": lead.id if lead else None,
    }


@bp.get("/lead-forms/<int:form_id>/test-lead")
@documented(answers=LastTestLeadAnswerSchema)
def lead_form_test_lead(form_id: int) -> t.Any:
    form = db.session.get(LeadForm, form_id) or abort(404, description="No such lead form.")
    return {"test_lead": test_lead_status(form)}


@bp.post("/lead-forms/<int:form_id>/test-lead")
@documented(answers={201: LastTestLeadAnswerSchema}, errors={409: "`not_connected`", 502: "`graph_error`: Meta refused it."})
def lead_form_send_test_lead(form_id: int) -> t.Any:
    """Meta keeps one test lead per form: delete the previous one, then create a new one."""
    form = db.session.get(LeadForm, form_id) or abort(404, description="No such lead form.")
    access = page_token(form.page_id)
    if access is None:
        raise APIError(409, "not_connected", "This form's page is not connected: connect or reconnect Facebook first.")
    service = graph_service()
    try:
        for old in service.list_test_leads(form.meta_form_id, access.token):
            service.delete_lead(old.id, access.token)
        lead_id = service.create_test_lead(form.meta_form_id, access.token)
    except GraphError as exc:
        raise APIError(
            502, "graph_error", f"Facebook refused the test lead: {exc}", {"code": exc.code, "subcode": exc.subcode}
        ) from None
    form.metadata_ = {
        **(form.metadata_ or {}),
        "test_lead": {"id": lead_id, "created_at": utcnow().isoformat(), "by": current_user.id},
    }
    db.session.commit()
    message = "Test lead sent through Facebook. It appears here as soon as its webhook arrives."
    back = url_for("metaads.lead_form_detail", form_id=form.id)
    return done(message, back, {"test_lead": test_lead_status(form)}, status=201)
