"""What a write records of an object: its JSON without the totals, before and after."""

from __future__ import annotations

import typing as t

from metaads.models import Ad, AdCampaign, AdSet
from metaads.schemas import AdCampaignSchema, AdSchema, AdSetSchema

AdObject = AdCampaign | AdSet | Ad

DUMP: dict[type, t.Any] = {AdCampaign: AdCampaignSchema(), AdSet: AdSetSchema(), Ad: AdSchema()}
NOISE = ("impressions", "clicks", "spend", "leads", "created_at", "updated_at", "last_synced_at", "metadata")


def meta_column(model: type[AdObject]) -> t.Any:
    return {AdCampaign: AdCampaign.meta_campaign_id, AdSet: AdSet.meta_adset_id, Ad: Ad.meta_ad_id}[model]


def snapshot(row: AdObject | None) -> dict[str, t.Any] | None:
    """The row as its JSON shows it, without the totals: the "before" and "after" of a write."""
    if row is None:
        return None
    dumped = dict(DUMP[type(row)].dump(row))
    for noise in NOISE:
        dumped.pop(noise, None)
    return dumped
