"""Ad accounts, campaigns, ad sets and ads: lists, details, and the writes to Meta (create,
change, pause, resume), as pages and JSON on the same URLs (design.md, "Ads and insights").

A browser's form that is refused comes back with the reason next to its field (our own checks:
400; Meta's refusal in Meta's words: 422); JSON clients get the error envelope. The writes
themselves, and how each ends, are :mod:`metaads.ads.writes`.
"""

from __future__ import annotations

import dataclasses
import json
import typing as t
import uuid
from collections.abc import Callable

import sqlalchemy as sa
from flask import abort, render_template, request, url_for
from marshmallow import Schema, ValidationError, fields

from metaads.ads import params, writes
from metaads.ads.store import AdObject
from metaads.models import Ad, AdAccount, AdCampaign, AdSet, LeadForm
from metaads.models.enums import DeliveryStatus
from metaads.schemas import (
    BID_STRATEGIES,
    BILLING_EVENTS,
    DESTINATION_TYPES,
    LEAD_CALLS_TO_ACTION,
    ODAX_OBJECTIVES,
    OPTIMIZATION_GOALS,
    SPECIAL_AD_CATEGORIES,
    AdAccountSchema,
    AdCampaignSchema,
    AdCreateSchema,
    AdSchema,
    AdSetCreateSchema,
    AdSetSchema,
    AdSetUpdateSchema,
    AdUpdateSchema,
    AdWriteSchema,
    CampaignCreateSchema,
    CampaignUpdateSchema,
)
from metaads.views import bp
from metaads.views.insights import performance_fields
from metaads.views.leads import user_names
from plugins.core.apidoc import documented, one_of, page_of
from plugins.core.extensions import db
from plugins.core.http import APIError, wants_json
from plugins.core.pages import PagingSchema, done, offset_list, request_body, respond

#: What the forms offer (the schemas are the rule; these are the choices a page shows).
CHOICES = {
    "objectives": ODAX_OBJECTIVES,
    "special_ad_categories": SPECIAL_AD_CATEGORIES,
    "bid_strategies": BID_STRATEGIES,
    "billing_events": BILLING_EVENTS,
    "optimization_goals": OPTIMIZATION_GOALS,
    "destination_types": DESTINATION_TYPES,
    "calls_to_action": LEAD_CALLS_TO_ACTION,
}
#: What a write to Meta may answer besides its object (design.md, "Ads and insights").
WRITE_ERRORS = {
    400: "`validation_error`: what we judge ourselves; nothing was sent to Meta",
    409: "`needs_reauth` (the connection's token is dead), `not_connected`, `write_in_progress` (same Idempotency-Key)",
    422: "`meta_refused`: Meta's `error_user_msg`, with `details.meta` {code, error_subcode, error_user_title, error_user_msg}",
    429: "`rate_limited`: Meta asks us to slow down",
    502: "`answer_lost`: Meta's answer was lost and reading back did not find the change; nothing is sent twice",
}


class CheckedSchema(Schema):
    """The answer to ``validate_only: true``: Meta would accept it; nothing was created or changed."""

    valid = fields.Boolean()
    message = fields.String()


#: Statuses one may set from a form (DELETED is terminal at Meta: not offered on pages).
FORM_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED")


# --- accounts ---------------------------------------------------------------------------------


@bp.get("/accounts")
@documented(answers=page_of("accounts", AdAccountSchema), query=PagingSchema)
def accounts_index() -> t.Any:
    order = (AdAccount.name, AdAccount.id)
    payload, accounts = offset_list("accounts", sa.select(AdAccount), order, AdAccountSchema(many=True).dump)
    return respond("metaads/accounts/index.html", payload, account_rows=accounts)


@bp.get("/accounts/<int:account_id>")
@documented(answers=one_of("account", AdAccountSchema))
def account_detail(account_id: int) -> t.Any:
    account = db.session.get(AdAccount, account_id) or abort(404, description="No such ad account.")
    return respond("metaads/accounts/detail.html", {"account": AdAccountSchema().dump(account)}, account_obj=account)


# --- campaigns --------------------------------------------------------------------------------


@bp.get("/campaigns")
@documented(answers=page_of("campaigns", AdCampaignSchema), query=PagingSchema)
def campaigns_index() -> t.Any:
    query = sa.select(AdCampaign).options(sa.orm.joinedload(AdCampaign.ad_account))
    query = _filtered(
        query,
        {
            "ad_account_id": (AdCampaign.ad_account_id, int),
            "status": (AdCampaign.status, str),
            "effective_status": (AdCampaign.effective_status, str),
            "objective": (AdCampaign.objective, str),
        },
    )
    if q := (request.args.get("q") or "").strip():
        query = query.where(sa.func.lower(AdCampaign.name).contains(q.lower(), autoescape=True))
    payload, campaigns = offset_list("campaigns", query, (AdCampaign.name, AdCampaign.id), AdCampaignSchema(many=True).dump)
    payload["campaigns"] = performance_fields("campaign", payload["campaigns"])
    accounts = db.session.execute(sa.select(AdAccount).order_by(AdAccount.name)).scalars().all()
    return respond(
        "metaads/campaigns/index.html", payload, campaign_rows=campaigns, accounts=accounts, args=request.args, **CHOICES
    )


@bp.get("/campaigns/new")
def campaign_new() -> t.Any:
    return _campaign_form(None, {"ad_account_id": request.args.get("ad_account_id"), "status": "PAUSED"})


@bp.post("/campaigns")
@documented(
    answers={201: one_of("campaign", AdCampaignSchema), 200: CheckedSchema}, body=CampaignCreateSchema, errors=WRITE_ERRORS
)
def campaign_create() -> t.Any:
    body, key, check = _write_body()

    def write() -> t.Any:
        data = CampaignCreateSchema().load(body)
        account = db.session.get(AdAccount, data["ad_account_id"])
        if account is None:
            raise ValidationError({"ad_account_id": ["No such ad account."]})
        campaign = writes.create(
            "campaign",
            account,
            params.campaign_create(data),
            key=key,
            validate_only=check,
        )
        return _written("campaign", campaign, check, created=True)

    return _form_write(write, lambda errors, error, notice: _campaign_form(None, body, errors, error, notice))


@bp.get("/campaigns/<int:campaign_id>")
@documented(answers=one_of("campaign", AdCampaignSchema))
def campaign_detail(campaign_id: int) -> t.Any:
    campaign = _get(AdCampaign, campaign_id)
    payload = {"campaign": performance_fields("campaign", [AdCampaignSchema().dump(campaign)])[0], "writes": _history(campaign)}
    return respond(
        "metaads/campaigns/detail.html", payload, campaign_obj=campaign, write_rows=writes.history(campaign), names=user_names()
    )


@bp.get("/campaigns/<int:campaign_id>/edit")
def campaign_edit(campaign_id: int) -> t.Any:
    campaign = _get(AdCampaign, campaign_id)
    return _campaign_form(campaign, _values(campaign, ("name", "status", "daily_budget", "lifetime_budget", "stop_time")))


@bp.route("/campaigns/<int:campaign_id>", methods=["PATCH", "POST"])
@documented(answers={200: one_of("campaign", AdCampaignSchema)}, body=CampaignUpdateSchema, errors=WRITE_ERRORS)
def campaign_update(campaign_id: int) -> t.Any:
    campaign = _get(AdCampaign, campaign_id)
    body, _, check = _write_body()

    def write() -> t.Any:
        changes = params.campaign_update(CampaignUpdateSchema().load(body))
        writes.update(campaign, changes, validate_only=check)
        return _written("campaign", campaign, check)

    return _form_write(write, lambda errors, error, notice: _campaign_form(campaign, body, errors, error, notice))


@bp.post("/campaigns/<int:campaign_id>/pause")
@documented(answers=one_of("campaign", AdCampaignSchema), errors=WRITE_ERRORS)
def campaign_pause(campaign_id: int) -> t.Any:
    return _set_status(_get(AdCampaign, campaign_id), "PAUSED")


@bp.post("/campaigns/<int:campaign_id>/resume")
@documented(answers=one_of("campaign", AdCampaignSchema), errors=WRITE_ERRORS)
def campaign_resume(campaign_id: int) -> t.Any:
    return _set_status(_get(AdCampaign, campaign_id), "ACTIVE")


def _campaign_form(
    campaign: AdCampaign | None,
    values: dict[str, t.Any],
    errors: dict[str, t.Any] | None = None,
    error: APIError | None = None,
    notice: str | None = None,
) -> t.Any:
    accounts = db.session.execute(sa.select(AdAccount).order_by(AdAccount.name)).scalars().all()
    return _form_page("metaads/campaigns/form.html", campaign, values, errors, error, notice, accounts=accounts)


# --- ad sets ----------------------------------------------------------------------------------


@bp.get("/adsets")
@documented(answers=page_of("adsets", AdSetSchema), query=PagingSchema)
def adsets_index() -> t.Any:
    query = sa.select(AdSet).options(sa.orm.joinedload(AdSet.campaign).joinedload(AdCampaign.ad_account))
    query = _filtered(query, {"campaign_id": (AdSet.campaign_id, int), "status": (AdSet.status, str)})
    payload, rows = offset_list("adsets", query, (AdSet.name, AdSet.id), AdSetSchema(many=True).dump)
    campaign_id = request.args.get("campaign_id")
    campaign = db.session.get(AdCampaign, int(campaign_id)) if campaign_id else None
    return respond("metaads/adsets/index.html", payload, adset_rows=rows, campaign_obj=campaign)


@bp.get("/adsets/new")
def adset_new() -> t.Any:
    defaults = {
        "campaign_id": request.args.get("campaign_id"),
        "status": "PAUSED",
        "billing_event": "IMPRESSIONS",
        "targeting": '{"geo_locations": {"countries": ["ES"]}, "age_min": 18, "age_max": 65}',
    }
    return _adset_form(None, defaults)


@bp.post("/adsets")
@documented(answers={201: one_of("adset", AdSetSchema), 200: CheckedSchema}, body=AdSetCreateSchema, errors=WRITE_ERRORS)
def adset_create() -> t.Any:
    body, key, check = _write_body()

    def write() -> t.Any:
        data = AdSetCreateSchema().load(body)
        campaign = db.session.get(AdCampaign, data["campaign_id"])
        if campaign is None:
            raise ValidationError({"campaign_id": ["No such campaign."]})
        ad_set = writes.create(
            "adset",
            campaign.ad_account,
            params.ad_set_create(data, campaign),
            key=key,
            validate_only=check,
        )
        return _written("adset", ad_set, check, created=True)

    return _form_write(write, lambda errors, error, notice: _adset_form(None, body, errors, error, notice))


@bp.get("/adsets/<int:adset_id>")
@documented(answers=one_of("adset", AdSetSchema))
def adset_detail(adset_id: int) -> t.Any:
    ad_set = _get(AdSet, adset_id)
    payload = {"adset": AdSetSchema().dump(ad_set), "writes": _history(ad_set)}
    return respond("metaads/adsets/detail.html", payload, adset_obj=ad_set, write_rows=writes.history(ad_set), names=user_names())


@bp.get("/adsets/<int:adset_id>/edit")
def adset_edit(adset_id: int) -> t.Any:
    ad_set = _get(AdSet, adset_id)
    fields = ("name", "status", "daily_budget", "lifetime_budget", "bid_amount", "targeting", "end_time")
    return _adset_form(ad_set, _values(ad_set, fields))


@bp.route("/adsets/<int:adset_id>", methods=["PATCH", "POST"])
@documented(answers={200: one_of("adset", AdSetSchema)}, body=AdSetUpdateSchema, errors=WRITE_ERRORS)
def adset_update(adset_id: int) -> t.Any:
    ad_set = _get(AdSet, adset_id)
    body, _, check = _write_body()

    def write() -> t.Any:
        changes = params.ad_set_update(AdSetUpdateSchema().load(body))
        writes.update(ad_set, changes, validate_only=check)
        return _written("adset", ad_set, check)

    return _form_write(write, lambda errors, error, notice: _adset_form(ad_set, body, errors, error, notice))


@bp.post("/adsets/<int:adset_id>/pause")
@documented(answers=one_of("adset", AdSetSchema), errors=WRITE_ERRORS)
def adset_pause(adset_id: int) -> t.Any:
    return _set_status(_get(AdSet, adset_id), "PAUSED")


@bp.post("/adsets/<int:adset_id>/resume")
@documented(answers=one_of("adset", AdSetSchema), errors=WRITE_ERRORS)
def adset_resume(adset_id: int) -> t.Any:
    return _set_status(_get(AdSet, adset_id), "ACTIVE")


def _adset_form(
    ad_set: AdSet | None,
    values: dict[str, t.Any],
    errors: dict[str, t.Any] | None = None,
    error: APIError | None = None,
    notice: str | None = None,
) -> t.Any:
    campaigns = db.session.execute(sa.select(AdCampaign).order_by(AdCampaign.name).limit(500)).scalars().all()
    return _form_page("metaads/adsets/form.html", ad_set, values, errors, error, notice, campaigns=campaigns)


# --- ads --------------------------------------------------------------------------------------


@bp.get("/ads")
@documented(answers=page_of("ads", AdSchema), query=PagingSchema)
def ads_index() -> t.Any:
    query = sa.select(Ad).join(AdSet, Ad.ad_set_id == AdSet.id).options(sa.orm.contains_eager(Ad.ad_set))
    query = _filtered(
        query, {"ad_set_id": (Ad.ad_set_id, int), "campaign_id": (AdSet.campaign_id, int), "status": (Ad.status, str)}
    )
    payload, rows = offset_list("ads", query, (Ad.name, Ad.id), AdSchema(many=True).dump)
    return respond("metaads/ads/index.html", payload, ad_rows=rows)


@bp.get("/ads/new")
def ad_new() -> t.Any:
    return _ad_form(
        None, {"ad_set_id": request.args.get("ad_set_id"), "status": "PAUSED", "creative": {"call_to_action": "SIGN_UP"}}
    )


@bp.post("/ads")
@documented(answers={201: one_of("ad", AdSchema), 200: CheckedSchema}, body=AdCreateSchema, errors=WRITE_ERRORS)
def ad_create() -> t.Any:
    body, key, check = _write_body()

    def write() -> t.Any:
        data = AdCreateSchema().load(body)
        ad_set = db.session.get(AdSet, data["ad_set_id"])
        if ad_set is None:
            raise ValidationError({"ad_set_id": ["No such ad set."]})
        ad = writes.create("ad", ad_set.campaign.ad_account, params.ad_create(data, ad_set), key=key, validate_only=check)
        return _written("ad", ad, check, created=True)

    return _form_write(write, lambda errors, error, notice: _ad_form(None, body, errors, error, notice))


@bp.get("/ads/<int:ad_id>")
@documented(answers=one_of("ad", AdSchema))
def ad_detail(ad_id: int) -> t.Any:
    ad = _get(Ad, ad_id)
    # The form the ad's call to action opens, by Meta's id (the ads sync stores it on the ad).
    opens = sa.select(LeadForm).where(LeadForm.meta_form_id == ad.lead_gen_form_id).limit(1)
    lead_form = db.session.execute(opens).scalar_one_or_none() if ad.lead_gen_form_id else None
    payload = {"ad": AdSchema().dump(ad), "writes": _history(ad)}
    return respond(
        "metaads/ads/detail.html", payload, ad_obj=ad, lead_form=lead_form, write_rows=writes.history(ad), names=user_names()
    )


@bp.get("/ads/<int:ad_id>/edit")
def ad_edit(ad_id: int) -> t.Any:
    ad = _get(Ad, ad_id)
    return _ad_form(ad, _values(ad, ("name", "status")))


@bp.route("/ads/<int:ad_id>", methods=["PATCH", "POST"])
@documented(answers={200: one_of("ad", AdSchema)}, body=AdUpdateSchema, errors=WRITE_ERRORS)
def ad_update(ad_id: int) -> t.Any:
    ad = _get(Ad, ad_id)
    body, _, check = _write_body()

    def write() -> t.Any:
        writes.update(ad, params.ad_update(AdUpdateSchema().load(body)), validate_only=check)
        return _written("ad", ad, check)

    return _form_write(write, lambda errors, error, notice: _ad_form(ad, body, errors, error, notice))


@bp.post("/ads/<int:ad_id>/pause")
@documented(answers=one_of("ad", AdSchema), errors=WRITE_ERRORS)
def ad_pause(ad_id: int) -> t.Any:
    return _set_status(_get(Ad, ad_id), "PAUSED")


@bp.post("/ads/<int:ad_id>/resume")
@documented(answers=one_of("ad", AdSchema), errors=WRITE_ERRORS)
def ad_resume(ad_id: int) -> t.Any:
    return _set_status(_get(Ad, ad_id), "ACTIVE")


def _ad_form(
    ad: Ad | None,
    values: dict[str, t.Any],
    errors: dict[str, t.Any] | None = None,
    error: APIError | None = None,
    notice: str | None = None,
) -> t.Any:
    ad_sets = db.session.execute(sa.select(AdSet).order_by(AdSet.name).limit(500)).scalars().all()
    forms = db.session.execute(sa.select(LeadForm).where(LeadForm.status == "ACTIVE").order_by(LeadForm.name)).scalars().all()
    return _form_page("metaads/ads/form.html", ad, values, errors, error, notice, ad_sets=ad_sets, lead_forms=forms)


# --- shared -----------------------------------------------------------------------------------

KEYS = {"campaign": ("campaign", AdCampaignSchema), "adset": ("adset", AdSetSchema), "ad": ("ad", AdSchema)}
DETAIL = {"campaign": "metaads.campaign_detail", "adset": "metaads.adset_detail", "ad": "metaads.ad_detail"}
ID_ARG = {"campaign": "campaign_id", "adset": "adset_id", "ad": "ad_id"}
LABEL = {"campaign": "Campaign", "adset": "Ad set", "ad": "Ad"}


def _set_status(row: AdObject, status: str) -> t.Any:
    kind = writes.kind_of(row)
    back = url_for(DETAIL[kind], **{ID_ARG[kind]: row.id})
    action = "pause" if status == "PAUSED" else "resume"

    def write() -> t.Any:
        writes.update(row, {"status": status}, action=action)
        return _written(kind, row, False, message=f"{LABEL[kind]} {'paused' if status == 'PAUSED' else 'resumed'}.")

    return _form_write(write, lambda errors, error, notice: _flash_back(back, error))


def _flash_back(back: str, error: APIError | None) -> t.Any:
    return done(error.description if error else "That did not work.", back, {}, category="error")


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Meta's answer to "Check with Meta": it would accept the write (nothing was done)."""

    message: str


def _written(kind: str, row: AdObject | None, checked: bool, *, created: bool = False, message: str = "") -> t.Any:
    if checked:
        return Verdict(f"Meta accepts this {LABEL[kind].lower()}: nothing was {'created' if created else 'changed'} yet.")
    assert row is not None
    key, schema = KEYS[kind]
    back = url_for(DETAIL[kind], **{ID_ARG[kind]: row.id})
    text = message or f"{LABEL[kind]} {'created' if created else 'saved'} at Meta."
    return done(text, back, {key: schema().dump(row)}, status=201 if created else 200)


FormPage = Callable[[dict[str, t.Any], "APIError | None", "str | None"], t.Any]


def _form_write(write: Callable[[], t.Any], form: FormPage) -> t.Any:
    """Run a write. A browser whose form is refused gets the form back with the reasons (400
    ours, 422 Meta's, 409 the connection's); a check gets it back with Meta's verdict."""
    try:
        answer = write()
    except ValidationError as exc:
        if wants_json():
            raise
        db.session.rollback()
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return _status(form(messages, None, None), 400)
    except APIError as exc:
        if wants_json():
            raise
        db.session.rollback()
        field = (exc.details or {}).get("field")
        return _status(form({field: [exc.description]} if field else {}, exc, None), exc.code or 400)
    if isinstance(answer, Verdict):
        return {"valid": True, "message": answer.message} if wants_json() else form({}, None, answer.message)
    return answer


def _status(response: t.Any, status: int) -> t.Any:
    if isinstance(response, tuple):
        return response[0], status
    return response


def _form_page(
    template: str,
    obj: t.Any,
    values: dict[str, t.Any],
    errors: dict[str, t.Any] | None,
    error: APIError | None,
    notice: str | None,
    **context: t.Any,
) -> t.Any:
    nested = {key: value for key, value in values.items() if not isinstance(value, dict)}
    for key, value in values.items():
        if isinstance(value, dict):
            nested.update({f"{key}.{inner}": item for inner, item in value.items()})
    return render_template(
        template,
        obj=obj,
        values=nested,
        errors=_flat_errors(errors or {}),
        error=error,
        notice=notice,
        nonce=uuid.uuid4().hex,
        form_statuses=FORM_STATUSES,
        **CHOICES,
        **context,
    ), 200


def _flat_errors(errors: dict[str, t.Any], prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for field, problems in errors.items():
        name = f"{prefix}{field}"
        if isinstance(problems, dict):
            flat.update(_flat_errors(problems, f"{name}."))
        else:
            flat[name] = [str(p) for p in problems] if isinstance(problems, list) else [str(problems)]
    return flat


def _write_body() -> tuple[dict[str, t.Any], str | None, bool]:
    """The fields of a write; its idempotency key (``Idempotency-Key`` header, or the form's
    nonce); whether it is only a check with Meta (``validate_only``)."""
    body = _nest(request_body(lists=("special_ad_categories",)))
    key = request.headers.get("Idempotency-Key") or body.pop("idempotency_key", None)
    check = body.pop("validate_only", False)
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 255):
        raise APIError(
            400, "validation_error", "Idempotency-Key must be 1 to 255 characters.", {"fields": {"idempotency_key": ["bad key"]}}
        )
    return body, key, check in (True, 1, "1", "true", "on")


def _nest(body: dict[str, t.Any]) -> dict[str, t.Any]:
    """A form's ``creative.message`` as ``{"creative": {"message": ...}}`` (JSON bodies nest already)."""
    out: dict[str, t.Any] = {}
    for key, value in body.items():
        if isinstance(key, str) and "." in key and not request.is_json:
            outer, inner = key.split(".", 1)
            out.setdefault(outer, {})[inner] = value
        else:
            out[key] = value
    return out


def _values(row: t.Any, names: tuple[str, ...]) -> dict[str, t.Any]:
    values: dict[str, t.Any] = {}
    for name in names:
        value = getattr(row, name)
        if name == "targeting" and value is not None:
            value = json.dumps(value)
        elif hasattr(value, "isoformat"):
            value = value.strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, DeliveryStatus):
            value = value.value
        values[name] = value
    return values


def _history(row: t.Any) -> list[dict[str, t.Any]]:
    return t.cast(list[dict[str, t.Any]], AdWriteSchema(many=True).dump(writes.history(row)))


def _get(model: type[t.Any], object_id: int) -> t.Any:
    return db.session.get(model, object_id) or abort(404, description=f"No such {model.__name__}.")


def _filtered(query: sa.Select[t.Any], filters: dict[str, tuple[t.Any, type]]) -> sa.Select[t.Any]:
    """``?name=value`` for each filter given; a value of the wrong kind is a 400."""
    for name, (column, kind) in filters.items():
        raw = request.args.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = kind(raw)
        except ValueError:
            raise APIError(
                400, "validation_error", f"{name} must be a whole number.", {"fields": {name: ["not an integer"]}}
            ) from None
        query = query.where(column == value)
    return query
