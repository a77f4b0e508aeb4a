"""The "New lead ad" page and its JSON twin: campaign → ad set → ad around one of our lead forms,
created paused in one go (:mod:`metaads.ads.lead_ad`).

``POST /lead-ads`` answers 201 with the three objects and each step's outcome; ``validate_only``
asks Meta instead (200). Input we judge is a 400 with the fields marked and no call to Meta. A
step Meta refuses answers with that step's error (422 in Meta's words, 409 for a dead token, ...)
and ``details.steps`` saying what was already made; sending the same request again with the same
``Idempotency-Key`` (the form keeps its own) goes on from the failed step.
"""

from __future__ import annotations

import typing as t
import uuid

import sqlalchemy as sa
from flask import render_template, request
from marshmallow import Schema, ValidationError, fields

from metaads.ads import lead_ad, writes
from metaads.ads.inputs import LEAD_CALLS_TO_ACTION, SPECIAL_AD_CATEGORIES, LeadAdSchema
from metaads.ads.store import AdObject
from metaads.models import AdAccount, LeadForm
from metaads.models.enums import FormStatus
from metaads.schemas import AdCampaignSchema, AdSchema, AdSetSchema
from metaads.views import bp
from metaads.views.ad_forms import DETAIL, ID_ARG, KEYS, WRITE_ERRORS, detail_url, flat_errors, with_status, write_body
from metaads.views.leads import page_names
from plugins.core.apidoc import documented
from plugins.core.extensions import db
from plugins.core.http import APIError, wants_json
from plugins.core.pages import done

LABELS = {"campaign": "Campaign", "adset": "Ad set", "ad": "Ad"}


class LeadAdStepSchema(Schema):
    """One step of a lead ad: what happened to its campaign, ad set or ad."""

    step = fields.String(metadata={"description": "campaign, adset or ad"})
    status = fields.String(
        metadata={
            "description": "created, existing (an earlier try with this key made it), checked, unchecked, failed, not_started"
        }
    )
    id = fields.Integer(allow_none=True, metadata={"description": "Our id of the object, once made."})
    meta_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    error = fields.Dict(allow_none=True, metadata={"description": "The step's error: {code, message, details}."})


class LeadAdAnswerSchema(Schema):
    campaign = fields.Nested(AdCampaignSchema)
    adset = fields.Nested(AdSetSchema)
    ad = fields.Nested(AdSchema)
    steps = fields.List(fields.Nested(LeadAdStepSchema))
    idempotency_key = fields.String(metadata={"description": "Send it again (Idempotency-Key) to retry without duplicates."})


class LeadAdCheckedSchema(Schema):
    """``validate_only``: Meta would accept each step it could judge; nothing was created."""

    valid = fields.Boolean()
    message = fields.String()
    steps = fields.List(fields.Nested(LeadAdStepSchema))
    idempotency_key = fields.String()


@bp.get("/lead-ads/new")
def lead_ad_new() -> t.Any:
    """The form, with the lead form (``lead_form_id``) or the ad account already chosen."""
    values: dict[str, t.Any] = {
        "lead_form_id": request.args.get("lead_form_id"),
        "ad_account_id": request.args.get("ad_account_id"),
        "age_min": 18,
        "age_max": 65,
        "call_to_action": "SIGN_UP",
    }
    form = db.session.get(LeadForm, int(values["lead_form_id"])) if str(values["lead_form_id"] or "").isdigit() else None
    if form is not None and form.ad_account_id and not values["ad_account_id"]:
        values["ad_account_id"] = form.ad_account_id
    accounts = choices()[0]
    if not values["ad_account_id"] and len(accounts) == 1:
        values["ad_account_id"] = accounts[0].id
    return wizard_page(values, uuid.uuid4().hex)


@bp.post("/lead-ads")
@documented(
    answers={201: LeadAdAnswerSchema, 200: LeadAdCheckedSchema},
    body=LeadAdSchema,
    errors={**WRITE_ERRORS, 409: WRITE_ERRORS[409] + "; `details.steps` says what was made"},
)
def lead_ad_create() -> t.Any:
    body, key, check = write_body()
    try:
        made = lead_ad.plan(body, key)
        outcome = lead_ad.run(made, check=check)
    except ValidationError as exc:
        if wants_json():
            raise
        db.session.rollback()
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return with_status(wizard_page(body, key or uuid.uuid4().hex, errors=messages), 400)
    except APIError as exc:  # the connection, before any step
        if wants_json():
            raise
        db.session.rollback()
        return with_status(wizard_page(body, key or uuid.uuid4().hex, error=exc), exc.code or 400)
    return answer(outcome, body)


def answer(outcome: lead_ad.Outcome, body: dict[str, t.Any]) -> t.Any:
    key = outcome.plan.key
    steps = [step_json(step) for step in outcome.steps]
    failed = outcome.failed
    if failed is not None and failed.error is not None:
        error = failed.error
        if wants_json():
            details = {**(error.details or {}), "step": failed.kind, "steps": steps, "idempotency_key": key}
            raise APIError(error.code or 400, error.error_code, error.description or "", details)
        errors = {step.field: [step.error.description or ""] for step in outcome.steps if step.field and step.error}
        return with_status(wizard_page(body, key, errors=errors, error=error, outcome=outcome), error.code or 400)
    if outcome.checked:
        message = "Meta would accept this lead ad: nothing was created yet."
        if wants_json():
            return {"valid": True, "message": message, "steps": steps, "idempotency_key": key}
        return wizard_page(body, key, notice=message, outcome=outcome)
    ad = outcome.row("ad")
    assert ad is not None
    payload: dict[str, t.Any] = {kind: KEYS[kind][1]().dump(outcome.row(kind)) for kind in lead_ad.STEPS}
    text = "Lead ad created at Meta, paused: its campaign, ad set and ad. Turn the ad on when it is ready."
    return done(text, detail_url("ad", ad), {**payload, "steps": steps, "idempotency_key": key}, status=201)


def step_json(step: lead_ad.Step) -> dict[str, t.Any]:
    row = step.row
    error = None
    if step.error is not None:
        error = {"code": step.error.error_code, "message": step.error.description, "details": step.error.details or {}}
    return {
        "step": step.kind,
        "status": step.status,
        "id": row.id if row is not None else None,
        "meta_id": writes.meta_id_of(row) if row is not None else None,
        "name": row.name if row is not None else None,
        "message": step.message,
        "error": error,
    }


def choices() -> tuple[list[AdAccount], list[LeadForm]]:
    accounts = list(db.session.execute(sa.select(AdAccount).order_by(AdAccount.name, AdAccount.id)).scalars())
    forms = db.session.execute(
        sa.select(LeadForm).where(LeadForm.status == FormStatus.ACTIVE).order_by(LeadForm.name, LeadForm.id).limit(500)
    )
    return accounts, list(forms.scalars())


def wizard_page(
    values: t.Mapping[str, t.Any],
    key: str,
    *,
    errors: dict[str, t.Any] | None = None,
    error: APIError | None = None,
    notice: str | None = None,
    outcome: lead_ad.Outcome | None = None,
) -> t.Any:
    accounts, forms = choices()
    # What earlier tries with this key made stays locked on every answer, a refused one included.
    made: dict[str, AdObject] = lead_ad.made_with(key)
    shown = dict(values)
    if isinstance(shown.get("countries"), list):
        shown["countries"] = ", ".join(str(code) for code in shown["countries"])
    return render_template(
        "metaads/lead_ads/new.html",
        values=shown,
        key=key,
        errors=flat_errors(errors or {}),
        error=error,
        notice=notice,
        outcome=outcome,
        made=made,
        labels=LABELS,
        accounts=accounts,
        lead_forms=forms,
        page_names=page_names(),
        calls_to_action=LEAD_CALLS_TO_ACTION,
        special_ad_categories=[c for c in SPECIAL_AD_CATEGORIES if c != "NONE"],
        detail_endpoint=DETAIL,
        id_arg=ID_ARG,
    ), 200
