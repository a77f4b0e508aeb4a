"""Ad accounts and campaigns: lists and details, as pages and JSON."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import abort

from metaads.models import AdAccount, AdCampaign
from metaads.schemas import AdAccountSchema, AdCampaignSchema
from metaads.views import bp
from plugins.core.extensions import db
from plugins.core.pages import count_and_page, respond


@bp.get("/accounts")
def accounts_index() -> t.Any:
    count, accounts, limit, offset = count_and_page(sa.select(AdAccount), (AdAccount.name, AdAccount.id))
    payload = {"accounts": AdAccountSchema(many=True).dump(accounts), "count": count, "limit": limit, "offset": offset}
    return respond("metaads/accounts/index.html", payload, account_rows=accounts)


@bp.get("/accounts/<int:account_id>")
def account_detail(account_id: int) -> t.Any:
    account = db.session.get(AdAccount, account_id) or abort(404, description="No such ad account.")
    return respond("metaads/accounts/detail.html", {"account": AdAccountSchema().dump(account)}, account_obj=account)


@bp.get("/campaigns")
def campaigns_index() -> t.Any:
    query = sa.select(AdCampaign).options(sa.orm.joinedload(AdCampaign.ad_account))
    count, campaigns, limit, offset = count_and_page(query, (AdCampaign.name, AdCampaign.id))
    payload = {"campaigns": AdCampaignSchema(many=True).dump(campaigns), "count": count, "limit": limit, "offset": offset}
    return respond("metaads/campaigns/index.html", payload, campaign_rows=campaigns)


@bp.get("/campaigns/<int:campaign_id>")
def campaign_detail(campaign_id: int) -> t.Any:
    campaign = db.session.get(AdCampaign, campaign_id) or abort(404, description="No such campaign.")
    return respond("metaads/campaigns/detail.html", {"campaign": AdCampaignSchema().dump(campaign)}, campaign_obj=campaign)
