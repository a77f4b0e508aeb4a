"""Ad accounts and campaigns: lists and details, as pages and JSON."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import abort

from metaads.models import AdAccount, AdCampaign
from metaads.schemas import AdAccountSchema, AdCampaignSchema
from metaads.views import bp
from metaads.views.insights import performance_fields
from plugins.core.apidoc import documented, one_of, page_of
from plugins.core.extensions import db
from plugins.core.pages import PagingSchema, offset_list, respond


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


@bp.get("/campaigns")
@documented(answers=page_of("campaigns", AdCampaignSchema), query=PagingSchema)
def campaigns_index() -> t.Any:
    query = sa.select(AdCampaign).options(sa.orm.joinedload(AdCampaign.ad_account))
    payload, campaigns = offset_list("campaigns", query, (AdCampaign.name, AdCampaign.id), AdCampaignSchema(many=True).dump)
    payload["campaigns"] = performance_fields("campaign", payload["campaigns"])
    return respond("metaads/campaigns/index.html", payload, campaign_rows=campaigns)


@bp.get("/campaigns/<int:campaign_id>")
@documented(answers=one_of("campaign", AdCampaignSchema))
def campaign_detail(campaign_id: int) -> t.Any:
    campaign = db.session.get(AdCampaign, campaign_id) or abort(404, description="No such campaign.")
    dumped = performance_fields("campaign", [AdCampaignSchema().dump(campaign)])[0]
    return respond("metaads/campaigns/detail.html", {"campaign": dumped}, campaign_obj=campaign)
