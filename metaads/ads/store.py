"""Our rows as Meta now has them: after every write the object is read back from Meta and
copied here at once, so a list right after the write shows it."""

from __future__ import annotations

import typing as t

from metaads.graph.types import AdData, AdSetData, CampaignData
from metaads.models import Ad, AdCampaign, AdSet
from metaads.models.enums import BuyingType, DeliveryStatus
from metaads.schemas import AdCampaignSchema, AdSchema, AdSetSchema
from plugins.core.models import utcnow

AdObject = AdCampaign | AdSet | Ad


def put_campaign(row: AdCampaign, data: CampaignData) -> AdCampaign:
    row.meta_campaign_id = data.id
    row.name = data.name or row.name or data.id
    row.objective = data.objective or row.objective
    row.status = _status(data.status, row.status)
    row.effective_status = data.effective_status
    row.buying_type = BuyingType(data.buying_type) if data.buying_type in BuyingType.__members__ else row.buying_type
    row.daily_budget = _budget(data.daily_budget)
    row.lifetime_budget = _budget(data.lifetime_budget)
    row.budget_remaining = data.budget_remaining
    row.start_time, row.stop_time = data.start_time, data.stop_time
    row.metadata_ = {
        **(row.metadata_ or {}),
        "bid_strategy": data.bid_strategy,
        "special_ad_categories": list(data.special_ad_categories),
    }
    row.last_synced_at = utcnow()
    return row


def put_ad_set(row: AdSet, data: AdSetData) -> AdSet:
    row.meta_adset_id = data.id
    row.name = data.name or row.name or data.id
    row.status = _status(data.status, row.status)
    row.effective_status = data.effective_status
    row.daily_budget = _budget(data.daily_budget)
    row.lifetime_budget = _budget(data.lifetime_budget)
    row.bid_amount = data.bid_amount
    row.billing_event = data.billing_event or row.billing_event or "IMPRESSIONS"
    row.optimization_goal = data.optimization_goal
    row.targeting = dict(data.targeting) if data.targeting is not None else None
    row.start_time, row.end_time = data.start_time, data.end_time
    row.metadata_ = {
        **(row.metadata_ or {}),
        "bid_strategy": data.bid_strategy,
        "destination_type": data.destination_type,
        "promoted_object": dict(data.promoted_object) if data.promoted_object else None,
    }
    row.last_synced_at = utcnow()
    return row


def put_ad(row: Ad, data: AdData) -> Ad:
    row.meta_ad_id = data.id
    row.name = data.name or row.name or data.id
    row.status = _status(data.status, row.status)
    row.effective_status = data.effective_status
    row.creative_id = data.creative_id or row.creative_id
    row.last_synced_at = utcnow()
    return row


PUT: dict[type, t.Callable[[t.Any, t.Any], t.Any]] = {AdCampaign: put_campaign, AdSet: put_ad_set, Ad: put_ad}
DUMP: dict[type, t.Any] = {AdCampaign: AdCampaignSchema(), AdSet: AdSetSchema(), Ad: AdSchema()}


def put(row: AdObject, data: t.Any) -> AdObject:
    """Copy Meta's object onto our row (campaign, ad set or ad)."""
    return t.cast(AdObject, PUT[type(row)](row, data))


def snapshot(row: AdObject | None) -> dict[str, t.Any] | None:
    """The row as its JSON shows it, without the totals: the "before" and "after" of a write."""
    if row is None:
        return None
    dumped = dict(DUMP[type(row)].dump(row))
    for noise in ("impressions", "clicks", "spend", "leads", "created_at", "updated_at", "last_synced_at", "metadata"):
        dumped.pop(noise, None)
    return t.cast(dict[str, t.Any], dumped)


def _status(value: str | None, current: DeliveryStatus | None) -> DeliveryStatus:
    if value in DeliveryStatus.__members__:
        return DeliveryStatus(value)
    return current or DeliveryStatus.PAUSED


def _budget(value: int | None) -> int | None:
    # Meta reports an unset budget as "0"; ours is null (design.md: not set is null, not 0).
    return value or None
