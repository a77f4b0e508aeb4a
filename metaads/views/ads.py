"""Ad accounts, campaigns, ad sets and ads: lists, details, and the writes to Meta (create,
change, pause, resume), as pages and JSON on the same URLs (design.md, "Ads and insights").

A browser's form that is refused comes back with the reason next to its field (our own checks:
400; Meta's refusal in Meta's words: 422); JSON clients get the error envelope. The writes
themselves, and how each ends, are :mod:`metaads.ads.writes`.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import abort, make_response, request
from marshmallow import ValidationError

from metaads.ads import describe, params, previews, writes
from metaads.ads.inputs import (
    AdCreateSchema,
    AdSetCreateSchema,
    AdSetUpdateSchema,
    AdUpdateSchema,
    CampaignCreateSchema,
    CampaignUpdateSchema,
)
from metaads.models import Ad, AdAccount, AdCampaign, AdSet, LeadForm
from metaads.schemas import AdAccountSchema, AdCampaignSchema, AdSchema, AdSetSchema
from metaads.views import bp
from metaads.views.ad_forms import (
    WRITE_ERRORS,
    CheckedSchema,
    form_page,
    form_values,
    form_write,
    history_json,
    object_or_404,
    set_status,
    with_history,
    write_body,
    written,
)
from metaads.views.ad_table import (
    BULK_ERRORS,
    LIST_ANSWER,
    LIST_QUERY,
    AdsBulkAnswerSchema,
    AdsBulkSchema,
    ad_list,
    bulk_write,
    parent,
)
from metaads.views.insights import performance_fields
from metaads.views.leads import user_names
from plugins.core.apidoc import documented, one_of, page_of
from plugins.core.extensions import db
from plugins.core.http import APIError, wants_json
from plugins.core.pages import PagingSchema, offset_list, respond
from plugins.core.security import policy_with

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
@documented(answers=LIST_ANSWER["campaign"], query=LIST_QUERY["campaign"])
def campaigns_index() -> t.Any:
    return ad_list("campaign", "metaads/campaigns/index.html")


@bp.post("/campaigns/bulk")
@documented(answers=AdsBulkAnswerSchema, body=AdsBulkSchema, errors=BULK_ERRORS)
def campaigns_bulk() -> t.Any:
    return bulk_write("campaign")


@bp.get("/campaigns/new")
def campaign_new() -> t.Any:
    return _campaign_form(None, {"ad_account_id": request.args.get("ad_account_id"), "status": "PAUSED"})


@bp.post("/campaigns")
@documented(
    answers={201: one_of("campaign", AdCampaignSchema), 200: CheckedSchema}, body=CampaignCreateSchema, errors=WRITE_ERRORS
)
def campaign_create() -> t.Any:
    body, key, check = write_body()

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
        return written("campaign", campaign, check, created=True)

    return form_write(write, lambda errors, error, notice: _campaign_form(None, body, errors, error, notice))


@bp.get("/campaigns/<int:campaign_id>")
@documented(answers=with_history("campaign", AdCampaignSchema))
def campaign_detail(campaign_id: int) -> t.Any:
    campaign = object_or_404(AdCampaign, campaign_id)
    dumped = performance_fields("campaign", [AdCampaignSchema().dump(campaign)])[0]
    payload = {"campaign": dumped, "writes": history_json(campaign)}
    return respond(
        "metaads/campaigns/detail.html", payload, campaign_obj=campaign, write_rows=writes.history(campaign), names=user_names()
    )


@bp.get("/campaigns/<int:campaign_id>/edit")
def campaign_edit(campaign_id: int) -> t.Any:
    campaign = object_or_404(AdCampaign, campaign_id)
    return _campaign_form(campaign, form_values(campaign, ("name", "status", "daily_budget", "lifetime_budget", "stop_time")))


@bp.route("/campaigns/<int:campaign_id>", methods=["PATCH", "POST"])
@documented(answers={200: one_of("campaign", AdCampaignSchema)}, body=CampaignUpdateSchema, errors=WRITE_ERRORS)
def campaign_update(campaign_id: int) -> t.Any:
    campaign = object_or_404(AdCampaign, campaign_id)
    body, _, check = write_body()

    def write() -> t.Any:
        changes = params.campaign_update(CampaignUpdateSchema().load(body))
        writes.update(campaign, changes, validate_only=check)
        return written("campaign", campaign, check)

    return form_write(write, lambda errors, error, notice: _campaign_form(campaign, body, errors, error, notice))


@bp.post("/campaigns/<int:campaign_id>/pause")
@documented(answers=one_of("campaign", AdCampaignSchema), errors=WRITE_ERRORS)
def campaign_pause(campaign_id: int) -> t.Any:
    return set_status(object_or_404(AdCampaign, campaign_id), "PAUSED")


@bp.post("/campaigns/<int:campaign_id>/resume")
@documented(answers=one_of("campaign", AdCampaignSchema), errors=WRITE_ERRORS)
def campaign_resume(campaign_id: int) -> t.Any:
    return set_status(object_or_404(AdCampaign, campaign_id), "ACTIVE")


def _campaign_form(
    campaign: AdCampaign | None,
    values: dict[str, t.Any],
    errors: dict[str, t.Any] | None = None,
    error: APIError | None = None,
    notice: str | None = None,
) -> t.Any:
    accounts = db.session.execute(sa.select(AdAccount).order_by(AdAccount.name)).scalars().all()
    return form_page("metaads/campaigns/form.html", campaign, values, errors, error, notice, accounts=accounts)


# --- ad sets ----------------------------------------------------------------------------------


@bp.get("/adsets")
@documented(answers=LIST_ANSWER["adset"], query=LIST_QUERY["adset"])
def adsets_index() -> t.Any:
    return ad_list("adset", "metaads/adsets/index.html", campaign_obj=parent(AdCampaign, request.args.get("campaign_id")))


@bp.post("/adsets/bulk")
@documented(answers=AdsBulkAnswerSchema, body=AdsBulkSchema, errors=BULK_ERRORS)
def adsets_bulk() -> t.Any:
    return bulk_write("adset")


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
    body, key, check = write_body()

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
        return written("adset", ad_set, check, created=True)

    return form_write(write, lambda errors, error, notice: _adset_form(None, body, errors, error, notice))


@bp.get("/adsets/<int:adset_id>")
@documented(answers=with_history("adset", AdSetSchema))
def adset_detail(adset_id: int) -> t.Any:
    """The ad set; its page says its targeting in words (the JSON keeps Meta's ``targeting``)."""
    ad_set = object_or_404(AdSet, adset_id)
    payload = {"adset": AdSetSchema().dump(ad_set), "writes": history_json(ad_set)}
    context: dict[str, t.Any] = {} if wants_json() else {"summary": describe.summarise(ad_set)}
    return respond(
        "metaads/adsets/detail.html",
        payload,
        adset_obj=ad_set,
        write_rows=writes.history(ad_set),
        names=user_names(),
        **context,
    )


@bp.get("/adsets/<int:adset_id>/edit")
def adset_edit(adset_id: int) -> t.Any:
    ad_set = object_or_404(AdSet, adset_id)
    fields = ("name", "status", "daily_budget", "lifetime_budget", "bid_amount", "targeting", "end_time")
    return _adset_form(ad_set, form_values(ad_set, fields))


@bp.route("/adsets/<int:adset_id>", methods=["PATCH", "POST"])
@documented(answers={200: one_of("adset", AdSetSchema)}, body=AdSetUpdateSchema, errors=WRITE_ERRORS)
def adset_update(adset_id: int) -> t.Any:
    ad_set = object_or_404(AdSet, adset_id)
    body, _, check = write_body()

    def write() -> t.Any:
        changes = params.ad_set_update(AdSetUpdateSchema().load(body))
        writes.update(ad_set, changes, validate_only=check)
        return written("adset", ad_set, check)

    return form_write(write, lambda errors, error, notice: _adset_form(ad_set, body, errors, error, notice))


@bp.post("/adsets/<int:adset_id>/pause")
@documented(answers=one_of("adset", AdSetSchema), errors=WRITE_ERRORS)
def adset_pause(adset_id: int) -> t.Any:
    return set_status(object_or_404(AdSet, adset_id), "PAUSED")


@bp.post("/adsets/<int:adset_id>/resume")
@documented(answers=one_of("adset", AdSetSchema), errors=WRITE_ERRORS)
def adset_resume(adset_id: int) -> t.Any:
    return set_status(object_or_404(AdSet, adset_id), "ACTIVE")


def _adset_form(
    ad_set: AdSet | None,
    values: dict[str, t.Any],
    errors: dict[str, t.Any] | None = None,
    error: APIError | None = None,
    notice: str | None = None,
) -> t.Any:
    campaigns = db.session.execute(sa.select(AdCampaign).order_by(AdCampaign.name).limit(500)).scalars().all()
    return form_page("metaads/adsets/form.html", ad_set, values, errors, error, notice, campaigns=campaigns)


# --- ads --------------------------------------------------------------------------------------


@bp.get("/ads")
@documented(answers=LIST_ANSWER["ad"], query=LIST_QUERY["ad"])
def ads_index() -> t.Any:
    return ad_list(
        "ad",
        "metaads/ads/index.html",
        campaign_obj=parent(AdCampaign, request.args.get("campaign_id")),
        adset_obj=parent(AdSet, request.args.get("ad_set_id")),
    )


@bp.post("/ads/bulk")
@documented(answers=AdsBulkAnswerSchema, body=AdsBulkSchema, errors=BULK_ERRORS)
def ads_bulk() -> t.Any:
    return bulk_write("ad")


@bp.get("/ads/new")
def ad_new() -> t.Any:
    return _ad_form(
        None, {"ad_set_id": request.args.get("ad_set_id"), "status": "PAUSED", "creative": {"call_to_action": "SIGN_UP"}}
    )


@bp.post("/ads")
@documented(answers={201: one_of("ad", AdSchema), 200: CheckedSchema}, body=AdCreateSchema, errors=WRITE_ERRORS)
def ad_create() -> t.Any:
    body, key, check = write_body()

    def write() -> t.Any:
        data = AdCreateSchema().load(body)
        ad_set = db.session.get(AdSet, data["ad_set_id"])
        if ad_set is None:
            raise ValidationError({"ad_set_id": ["No such ad set."]})
        ad = writes.create("ad", ad_set.campaign.ad_account, params.ad_create(data, ad_set), key=key, validate_only=check)
        return written("ad", ad, check, created=True)

    return form_write(write, lambda errors, error, notice: _ad_form(None, body, errors, error, notice))


@bp.get("/ads/<int:ad_id>")
@documented(answers=with_history("ad", AdSchema))
def ad_detail(ad_id: int) -> t.Any:
    """The ad; its page shows what its creative says (as last synced: no call to Meta) and the
    lead form its button opens, with that form's leads."""
    ad = object_or_404(Ad, ad_id)
    payload = {"ad": AdSchema().dump(ad), "writes": history_json(ad)}
    if wants_json():
        return respond("metaads/ads/detail.html", payload)
    creative = describe.creative_of(ad)
    response = make_response(
        respond(
            "metaads/ads/detail.html",
            payload,
            ad_obj=ad,
            creative=creative,
            lead_form=describe.lead_form_of(ad),
            ad_formats=previews.AD_FORMATS,
            write_rows=writes.history(ad),
            names=user_names(),
        )
    )
    if creative.image_origin:
        # The creative's image is on Meta's CDN: this page may load images from that one host.
        response.headers["Content-Security-Policy"] = policy_with(img_src=[creative.image_origin])
    return response


@bp.get("/ads/<int:ad_id>/edit")
def ad_edit(ad_id: int) -> t.Any:
    ad = object_or_404(Ad, ad_id)
    return _ad_form(ad, form_values(ad, ("name", "status")))


@bp.route("/ads/<int:ad_id>", methods=["PATCH", "POST"])
@documented(answers={200: one_of("ad", AdSchema)}, body=AdUpdateSchema, errors=WRITE_ERRORS)
def ad_update(ad_id: int) -> t.Any:
    ad = object_or_404(Ad, ad_id)
    body, _, check = write_body()

    def write() -> t.Any:
        writes.update(ad, params.ad_update(AdUpdateSchema().load(body)), validate_only=check)
        return written("ad", ad, check)

    return form_write(write, lambda errors, error, notice: _ad_form(ad, body, errors, error, notice))


@bp.post("/ads/<int:ad_id>/pause")
@documented(answers=one_of("ad", AdSchema), errors=WRITE_ERRORS)
def ad_pause(ad_id: int) -> t.Any:
    return set_status(object_or_404(Ad, ad_id), "PAUSED")


@bp.post("/ads/<int:ad_id>/resume")
@documented(answers=one_of("ad", AdSchema), errors=WRITE_ERRORS)
def ad_resume(ad_id: int) -> t.Any:
    return set_status(object_or_404(Ad, ad_id), "ACTIVE")


def _ad_form(
    ad: Ad | None,
    values: dict[str, t.Any],
    errors: dict[str, t.Any] | None = None,
    error: APIError | None = None,
    notice: str | None = None,
) -> t.Any:
    ad_sets = db.session.execute(sa.select(AdSet).order_by(AdSet.name).limit(500)).scalars().all()
    forms = db.session.execute(sa.select(LeadForm).where(LeadForm.status == "ACTIVE").order_by(LeadForm.name)).scalars().all()
    return form_page("metaads/ads/form.html", ad, values, errors, error, notice, ad_sets=ad_sets, lead_forms=forms)
