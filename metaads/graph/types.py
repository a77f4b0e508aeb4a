"""What Graph answers, as frozen dataclasses (built by :mod:`metaads.graph.schemas`).

Conventions: ids are ``str``; money is ``int`` in the currency's minor units; times are aware UTC
datetimes; fields Meta adds later land in ``extra`` instead of breaking the load.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import typing as t
from collections.abc import Mapping


def _extra() -> t.Any:
    return dataclasses.field(default_factory=dict, repr=False, compare=False)


@dataclasses.dataclass(frozen=True)
class AdAccountData:
    """An ad account. ``id`` is ``act_<digits>``, ``account_id`` the digits."""

    id: str
    account_id: str
    name: str | None = None
    currency: str | None = None
    timezone_name: str | None = None
    timezone_offset_hours_utc: float | None = None
    account_status: int | None = None
    disable_reason: int | None = None
    amount_spent: int | None = None
    spend_cap: int | None = None  # 0 means no cap
    balance: int | None = None
    business_name: str | None = None
    business_id: str | None = None
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class CampaignData:
    id: str
    name: str | None = None
    account_id: str | None = None
    objective: str | None = None
    status: str | None = None
    configured_status: str | None = None
    effective_status: str | None = None
    buying_type: str | None = None
    bid_strategy: str | None = None
    daily_budget: int | None = None
    lifetime_budget: int | None = None
    budget_remaining: int | None = None
    spend_cap: int | None = None
    special_ad_categories: tuple[str, ...] = ()
    is_adset_budget_sharing_enabled: bool | None = None
    start_time: dt.datetime | None = None
    stop_time: dt.datetime | None = None
    created_time: dt.datetime | None = None
    updated_time: dt.datetime | None = None
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class AdSetData:
    id: str
    name: str | None = None
    account_id: str | None = None
    campaign_id: str | None = None
    status: str | None = None
    configured_status: str | None = None
    effective_status: str | None = None
    daily_budget: int | None = None
    lifetime_budget: int | None = None
    budget_remaining: int | None = None
    bid_amount: int | None = None
    bid_strategy: str | None = None
    billing_event: str | None = None
    optimization_goal: str | None = None
    destination_type: str | None = None
    targeting: Mapping[str, t.Any] | None = None
    promoted_object: Mapping[str, t.Any] | None = None
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    created_time: dt.datetime | None = None
    updated_time: dt.datetime | None = None
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class AdData:
    id: str
    name: str | None = None
    account_id: str | None = None
    campaign_id: str | None = None
    adset_id: str | None = None
    status: str | None = None
    configured_status: str | None = None
    effective_status: str | None = None
    creative_id: str | None = None
    #: From the creative: its thumbnail (else image) URL, its Page, the lead form its call to
    #: action opens.
    thumbnail_url: str | None = None
    page_id: str | None = None
    lead_gen_form_id: str | None = None
    #: What the creative shows (``headline``, ``message``, ``image_url``, ``call_to_action``,
    #: ``link``), read from its ``object_story_spec``: an ad's page renders it without a call.
    creative_content: Mapping[str, t.Any] | None = None
    preview_shareable_link: str | None = None
    created_time: dt.datetime | None = None
    updated_time: dt.datetime | None = None
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class AdPreview:
    """One of ``GET /{ad_id}/previews``: ``body`` is Meta's HTML, an ``<iframe>`` of
    ``www.facebook.com`` that renders the ad in one placement (meta-graph.md §5.7)."""

    body: str
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class LeadFormOption:
    """A multiple-choice option; leads answer with its ``key``."""

    key: str | None = None
    value: str | None = None
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class LeadFormQuestion:
    """A form question; ``key`` is the ``name`` its answers carry in a lead's ``field_data``."""

    key: str | None = None
    label: str | None = None
    type: str | None = None
    id: str | None = None
    options: tuple[LeadFormOption, ...] = ()
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class LeadFormData:
    id: str
    name: str | None = None
    status: str | None = None
    locale: str | None = None
    questions: tuple[LeadFormQuestion, ...] = ()
    privacy_policy_url: str | None = None
    follow_up_action_url: str | None = None
    thank_you_page: Mapping[str, t.Any] | None = None
    leads_count: int | None = None
    page_id: str | None = None
    created_time: dt.datetime | None = None
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class LeadData:
    """A lead. ``field_data`` and ``custom_disclaimer_responses`` are exactly what Meta sent:
    ``[{"name": key, "values": [...]}, ...]``. Ad fields are ``None`` for organic and test leads
    and when the token's user cannot see the ad account."""

    id: str
    created_time: dt.datetime
    field_data: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)
    form_id: str | None = None
    ad_id: str | None = None
    ad_name: str | None = None
    adset_id: str | None = None
    adset_name: str | None = None
    campaign_id: str | None = None
    campaign_name: str | None = None
    is_organic: bool | None = None
    platform: str | None = None
    custom_disclaimer_responses: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class ActionStat:
    """One ``actions`` / ``cost_per_action_type`` entry: ``value`` is the default attribution
    window, ``windows`` the per-window figures asked for (``{"7d_click": ...}``)."""

    action_type: str
    value: decimal.Decimal
    windows: Mapping[str, decimal.Decimal] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class InsightsRow:
    """One Insights row. ``spend`` is in minor units of ``currency``; ``leads`` is the ``lead``
    action only (action types nest, so they are never summed). Breakdown values (``age``...)
    are in ``extra``."""

    date_start: dt.date | None = None
    date_stop: dt.date | None = None
    currency: str | None = None
    account_id: str | None = None
    campaign_id: str | None = None
    campaign_name: str | None = None
    adset_id: str | None = None
    adset_name: str | None = None
    ad_id: str | None = None
    ad_name: str | None = None
    impressions: int | None = None
    clicks: int | None = None
    reach: int | None = None
    spend: int | None = None
    frequency: decimal.Decimal | None = None
    ctr: decimal.Decimal | None = None
    cpc: decimal.Decimal | None = None
    cpm: decimal.Decimal | None = None
    actions: tuple[ActionStat, ...] = ()
    cost_per_action_type: tuple[ActionStat, ...] = ()
    leads: int | None = None
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class UserData:
    id: str
    name: str | None = None
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class PageData:
    """A Page from ``/me/accounts``, with its Page token (kept out of ``repr``)."""

    id: str
    name: str | None = None
    access_token: str | None = dataclasses.field(default=None, repr=False)
    category: str | None = None
    tasks: tuple[str, ...] = ()
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class SubscribedApp:
    """An app installed on a Page (``/{page-id}/subscribed_apps``)."""

    id: str
    name: str | None = None
    category: str | None = None
    link: str | None = None
    subscribed_fields: tuple[str, ...] = ()
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class GranularScope:
    scope: str
    target_ids: tuple[str, ...] = ()  # empty: every target


@dataclasses.dataclass(frozen=True)
class TokenInfo:
    """``debug_token``'s ``data``. ``expires_at`` is ``None`` when the token never expires
    (Meta sends ``0``) or Meta gave no expiry."""

    is_valid: bool
    app_id: str | None = None
    type: str | None = None
    application: str | None = None
    user_id: str | None = None
    profile_id: str | None = None
    expires_at: dt.datetime | None = None
    data_access_expires_at: dt.datetime | None = None
    issued_at: dt.datetime | None = None
    scopes: tuple[str, ...] = ()
    granular_scopes: tuple[GranularScope, ...] = ()
    error: Mapping[str, t.Any] | None = None
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class OAuthToken:
    """A token from the OAuth exchanges (kept out of ``repr``)."""

    access_token: str = dataclasses.field(repr=False)
    token_type: str | None = None
    expires_in: int | None = None
    extra: Mapping[str, t.Any] = _extra()


@dataclasses.dataclass(frozen=True)
class EventsReceived:
    """Meta's answer to ``POST /{dataset_id}/events`` (Conversions API)."""

    events_received: int
    fbtrace_id: str | None
    messages: list[t.Any]
