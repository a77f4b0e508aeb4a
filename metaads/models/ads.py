"""The ads hierarchy: ad account → campaign → ad set → ad (the seed's models, every field)."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from metaads.models.base import IdMixin, counter, enum_type, meta_id, money
from metaads.models.enums import (
    AccountStatus,
    BillingEvent,
    BuyingType,
    DeliveryStatus,
    SyncStatus,
)
from plugins.core.extensions import db
from plugins.core.models import Timestamps

if t.TYPE_CHECKING:
    from metaads.models.leads import LeadForm
    from plugins.socials.models import SocialPlatform


class Performance:
    """Totals synced from insights. ``spend`` is in the account currency's minor units."""

    impressions: Mapped[int] = counter()
    clicks: Mapped[int] = counter()
    spend: Mapped[int] = counter()
    leads: Mapped[int] = counter()


class AdAccount(IdMixin, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "metaads_ad_accounts"

    meta_account_id: Mapped[str] = meta_id(unique=True, nullable=False)  # act_<digits>
    name: Mapped[str] = mapped_column(sa.String(255))
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD", server_default="USD")
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    business_name: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[AccountStatus] = mapped_column(enum_type(AccountStatus), default=AccountStatus.ACTIVE)
    account_status: Mapped[int | None]  # Meta's numeric code (1 active, 2 disabled, ...)
    amount_spent: Mapped[int] = money(default=0)
    spend_cap: Mapped[int | None] = money()
    balance: Mapped[int | None] = money()
    last_synced_at: Mapped[dt.datetime | None]
    sync_status: Mapped[SyncStatus] = mapped_column(enum_type(SyncStatus), default=SyncStatus.SYNCED)
    platform_id: Mapped[int | None] = mapped_column(sa.ForeignKey("socials_platforms.id", ondelete="SET NULL"), index=True)
    metadata_: Mapped[dict[str, t.Any] | None] = mapped_column("metadata")
    # The ads sync's high-water marks: per edge ("campaigns", "adsets", "ads"), the latest
    # ``updated_time`` Meta listed, as Unix seconds of Meta's clock (never ours), so the next
    # sync asks only for what changed after it.
    ads_sync_marks: Mapped[dict[str, t.Any] | None]
    # When the last full pass (every object, deletions noticed) finished.
    ads_full_sync_at: Mapped[dt.datetime | None]

    platform: Mapped[SocialPlatform | None] = relationship()
    campaigns: Mapped[list[AdCampaign]] = relationship(back_populates="ad_account")
    lead_forms: Mapped[list[LeadForm]] = relationship(back_populates="ad_account")


class AdCampaign(IdMixin, Performance, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "metaads_ad_campaigns"

    meta_campaign_id: Mapped[str] = meta_id(unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(255))
    # The seed's six OUTCOME_* values; kept as text because Meta still returns legacy objectives
    # (LEAD_GENERATION, ...) for older campaigns, and a sync must never reject what Meta has.
    objective: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[DeliveryStatus] = mapped_column(enum_type(DeliveryStatus), default=DeliveryStatus.PAUSED)
    effective_status: Mapped[str | None] = mapped_column(sa.String(64))
    buying_type: Mapped[BuyingType] = mapped_column(enum_type(BuyingType), default=BuyingType.AUCTION)
    daily_budget: Mapped[int | None] = money()
    lifetime_budget: Mapped[int | None] = money()
    budget_remaining: Mapped[int | None] = money()
    start_time: Mapped[dt.datetime | None]
    stop_time: Mapped[dt.datetime | None]
    last_synced_at: Mapped[dt.datetime | None]
    ad_account_id: Mapped[int] = mapped_column(sa.ForeignKey("metaads_ad_accounts.id", ondelete="CASCADE"), index=True)
    metadata_: Mapped[dict[str, t.Any] | None] = mapped_column("metadata")

    ad_account: Mapped[AdAccount] = relationship(back_populates="campaigns")
    ad_sets: Mapped[list[AdSet]] = relationship(back_populates="campaign")


class AdSet(IdMixin, Performance, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "metaads_ad_sets"

    meta_adset_id: Mapped[str] = meta_id(unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[DeliveryStatus] = mapped_column(enum_type(DeliveryStatus), default=DeliveryStatus.PAUSED)
    effective_status: Mapped[str | None] = mapped_column(sa.String(64))
    daily_budget: Mapped[int | None] = money()
    lifetime_budget: Mapped[int | None] = money()
    bid_amount: Mapped[int | None] = money()
    # The seed names three billing events; Meta has more (THRUPLAY, POST_ENGAGEMENT, ...), kept as text.
    billing_event: Mapped[str] = mapped_column(sa.String(64), default=BillingEvent.IMPRESSIONS.value)
    optimization_goal: Mapped[str | None] = mapped_column(sa.String(64))
    targeting: Mapped[dict[str, t.Any] | None]
    start_time: Mapped[dt.datetime | None]
    end_time: Mapped[dt.datetime | None]
    last_synced_at: Mapped[dt.datetime | None]
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("metaads_ad_campaigns.id", ondelete="CASCADE"), index=True)
    metadata_: Mapped[dict[str, t.Any] | None] = mapped_column("metadata")

    campaign: Mapped[AdCampaign] = relationship(back_populates="ad_sets")
    ads: Mapped[list[Ad]] = relationship(back_populates="ad_set")


class Ad(IdMixin, Performance, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "metaads_ads"

    meta_ad_id: Mapped[str] = meta_id(unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[DeliveryStatus] = mapped_column(enum_type(DeliveryStatus), default=DeliveryStatus.PAUSED)
    effective_status: Mapped[str | None] = mapped_column(sa.String(64))
    creative_id: Mapped[str | None] = mapped_column(sa.String(64))
    preview_url: Mapped[str | None]
    thumbnail_url: Mapped[str | None]
    # Meta's id of the lead form the ad's call to action opens (the form may not be synced yet).
    lead_gen_form_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # Ratios Meta reports (percent; account currency, major units): display values, derivable
    # from the integer totals above, which stay the source of truth.
    ctr: Mapped[float | None]
    cpc: Mapped[float | None]
    cpm: Mapped[float | None]
    last_synced_at: Mapped[dt.datetime | None]
    ad_set_id: Mapped[int] = mapped_column(sa.ForeignKey("metaads_ad_sets.id", ondelete="CASCADE"), index=True)
    metadata_: Mapped[dict[str, t.Any] | None] = mapped_column("metadata")

    ad_set: Mapped[AdSet] = relationship(back_populates="ads")
