"""A small world for the dashboard, with every number known: four ad accounts in three currencies
and four time zones (Los Angeles changes from PDT to PST on the first day of the range), their
campaigns and ad-day rows, and leads placed on both sides of each account's midnights.

The range of every test is November 2026 (``SINCE``..``UNTIL``). What each account should show is
written next to the data, so a test reads as a check of these sums.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

import pytest
from flask import Flask

from metaads.leads.workflow import change_status
from metaads.models import (
    Ad,
    AdAccount,
    AdCampaign,
    AdInsight,
    AdSet,
    ConversionEvent,
    Lead,
    LeadForm,
    SyncRun,
    WebhookInbox,
)
from metaads.models.enums import DeliveryStatus, InboxStatus, LeadStatus, SyncRunStatus
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.models import PlatformStatus, SocialPlatform

SINCE, UNTIL = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
RANGE = f"since={SINCE.isoformat()}&until={UNTIL.isoformat()}"


def at(text: str) -> dt.datetime:
    """A UTC instant: ``at("2026-11-01 10:00")``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@dataclasses.dataclass
class World:
    accounts: dict[str, int] = dataclasses.field(default_factory=dict)
    campaigns: dict[str, int] = dataclasses.field(default_factory=dict)
    ads: dict[str, int] = dataclasses.field(default_factory=dict)
    leads: dict[str, int] = dataclasses.field(default_factory=dict)
    forms: dict[str, int] = dataclasses.field(default_factory=dict)


#: account key → (name, currency, time zone); campaign key → (account, name, status, ads)
ACCOUNTS = {
    "de": ("Acme DE", "EUR", "Europe/Berlin"),
    "fr": ("Acme FR", "EUR", "Europe/Paris"),
    "jp": ("Acme JP", "JPY", "Asia/Tokyo"),
    "us": ("Acme US", "USD", "America/Los_Angeles"),
}
CAMPAIGNS = {
    "de_leads": ("de", "DE Leads", DeliveryStatus.ACTIVE, ["de1", "de2"]),
    "de_brand": ("de", "DE Brand", DeliveryStatus.PAUSED, ["de3"]),
    "fr_leads": ("fr", "FR Leads", DeliveryStatus.ACTIVE, ["fr1"]),
    "jp_leads": ("jp", "JP Leads", DeliveryStatus.ACTIVE, ["jp1"]),
    "us_leads": ("us", "US Leads", DeliveryStatus.ACTIVE, ["us1"]),
}
#: (ad, day, impressions, clicks, spend in minor units, Meta's leads)
ROWS = [
    ("de1", "2026-10-31", 999, 9, 999, 9),  # the day before: outside
    ("de1", "2026-11-01", 1000, 20, 1234, 3),
    ("de1", "2026-11-30", 500, 5, 766, 1),
    ("de1", "2026-12-01", 999, 9, 999, 9),  # the day after: outside
    ("de2", "2026-11-15", 2000, 40, 5000, 4),
    ("de3", "2026-11-10", 3000, 30, 2500, 0),
    ("fr1", "2026-11-02", 100, 1, 101, 1),
    ("jp1", "2026-11-01", 5000, 50, 1200, 2),  # ¥1,200: whole yen, never × 100
    ("jp1", "2026-11-30", 100, 1, 3, 1),
    ("us1", "2026-11-20", 1000, 10, 999, 1),
]
#: What the accounts show for November (received, contacted, qualified, converted below).
EXPECTED = {
    "de": {"spend": 9500, "impressions": 6500, "clicks": 95, "leads": 8},
    "fr": {"spend": 101, "impressions": 100, "clicks": 1, "leads": 1},
    "jp": {"spend": 1203, "impressions": 5100, "clicks": 51, "leads": 3},
    "us": {"spend": 999, "impressions": 1000, "clicks": 10, "leads": 1},
}
#: lead key → (ad or None, created (UTC), status to move it to, extra fields)
LEADS: dict[str, tuple[str | None, str, LeadStatus, dict[str, t.Any]]] = {
    # Berlin is UTC+1 in November.
    "de_first_local_minute": ("de1", "2026-10-31 23:30", LeadStatus.NEW, {}),  # Nov 1 00:30 Berlin: in
    "de_next_local_day": ("de1", "2026-11-30 23:30", LeadStatus.NEW, {}),  # Dec 1 00:30 Berlin: out
    "de_converted": ("de1", "2026-11-01 10:00", LeadStatus.CONVERTED, {}),  # new → converted at once
    "de_qualified": ("de2", "2026-11-15 12:00", LeadStatus.QUALIFIED, {}),
    "de_erased": ("de1", "2026-11-30 12:00", LeadStatus.NEW, {"erased_at": at("2026-12-02 00:00")}),
    "de_test": (None, "2026-11-05 12:00", LeadStatus.NEW, {"is_test": True, "is_organic": True}),
    "de_organic": (None, "2026-11-06 12:00", LeadStatus.NEW, {"is_organic": True}),
    # Its ad is not synced, its campaign is: the campaign's lead all the same.
    "de_ad_unknown": ("999", "2026-11-07 12:00", LeadStatus.NEW, {"campaign_id": "c-de_leads"}),
    # Neither its ad nor its campaign is synced: the account's form's lead, no campaign's yet.
    "de_campaign_unknown": ("998", "2026-11-08 12:00", LeadStatus.NEW, {"campaign_id": "c-unknown"}),
    "de_day_after": ("de1", "2026-12-01 10:00", LeadStatus.NEW, {}),
    "fr_new": ("fr1", "2026-11-02 09:00", LeadStatus.NEW, {}),
    # Tokyo is UTC+9.
    "jp_first_local_minute": ("jp1", "2026-10-31 15:30", LeadStatus.NEW, {}),  # Nov 1 00:30 Tokyo: in
    "jp_next_local_day": ("jp1", "2026-11-30 15:30", LeadStatus.NEW, {}),  # Dec 1 00:30 Tokyo: out
    "jp_converted": ("jp1", "2026-11-30 14:00", LeadStatus.CONVERTED, {}),  # Nov 30 23:00 Tokyo: in
    # Los Angeles: PDT (UTC-7) until Nov 1 09:00 UTC, then PST (UTC-8).
    "us_last_local_minute": ("us1", "2026-12-01 07:30", LeadStatus.CONTACTED, {}),  # Nov 30 23:30 PST: in
    "us_day_before": ("us1", "2026-11-01 06:30", LeadStatus.NEW, {}),  # Oct 31 23:30 PDT: out
    "us_first_local_minute": ("us1", "2026-11-01 07:30", LeadStatus.DISQUALIFIED, {}),  # Nov 1 00:30 PDT: in
}
RECEIVED = {
    "de": {"leads_received": 5, "contacted": 2, "qualified": 2, "converted": 1},
    "fr": {"leads_received": 1, "contacted": 0, "qualified": 0, "converted": 0},
    "jp": {"leads_received": 2, "contacted": 1, "qualified": 1, "converted": 1},
    "us": {"leads_received": 2, "contacted": 1, "qualified": 0, "converted": 0},
}


@pytest.fixture
def world(app: Flask) -> World:
    made = World()
    accounts = {}
    for key, (name, currency, zone) in ACCOUNTS.items():
        accounts[key] = AdAccount(meta_account_id=f"act_{key}", name=name, currency=currency, timezone=zone)
        form = LeadForm(meta_form_id=f"form-{key}", name=f"{name} form", page_id="page-1", ad_account=accounts[key])
        db.session.add_all([accounts[key], form])
        db.session.flush()
        made.accounts[key], made.forms[key] = accounts[key].id, form.id
    ads: dict[str, Ad] = {}
    for key, (account, name, status, ad_keys) in CAMPAIGNS.items():
        campaign = AdCampaign(meta_campaign_id=f"c-{key}", name=name, status=status, ad_account=accounts[account])
        ad_set = AdSet(meta_adset_id=f"s-{key}", name=f"{name} set", campaign=campaign)
        db.session.add_all([campaign, ad_set])
        for ad_key in ad_keys:
            ads[ad_key] = Ad(meta_ad_id=ad_key, name=f"Ad {ad_key}", ad_set=ad_set, lead_gen_form_id=f"form-{account}")
            db.session.add(ads[ad_key])
        db.session.flush()
        made.campaigns[key] = campaign.id
    made.ads = {key: ad.id for key, ad in ads.items()}
    for ad_key, day, impressions, clicks, spend, leads in ROWS:
        ad = ads[ad_key]
        db.session.add(
            AdInsight(
                ad_id=ad.id,
                date=dt.date.fromisoformat(day),
                ad_set_id=ad.ad_set_id,
                campaign_id=ad.ad_set.campaign_id,
                ad_account_id=ad.ad_set.campaign.ad_account_id,
                impressions=impressions,
                clicks=clicks,
                link_clicks=clicks,
                reach=impressions // 2,
                spend=spend,
                leads=leads,
                actions=[{"action_type": "lead", "value": str(leads)}],
                currency=ad.ad_set.campaign.ad_account.currency,
                synced_at=at("2026-12-01 06:00"),
            )
        )
    for key, (ad_key, created, status, extra) in LEADS.items():
        account = key.split("_")[0]
        ad = ads.get(ad_key) if ad_key else None
        fields: dict[str, t.Any] = {
            "meta_lead_id": f"lead-{key}",
            "full_name": key.replace("_", " ").title(),
            "email": f"{key}@example.com",
            "ad_id": ad_key,
            "campaign_id": ad.ad_set.campaign.meta_campaign_id if ad else None,
            "form_id": f"form-{account}",
            "lead_form_id": made.forms[account],
            "created_time": at(created),
        }
        lead = Lead(**{**fields, **extra})
        db.session.add(lead)
        db.session.flush()
        change_status(lead, status, None)  # the workflow: stages are stamped as the app stamps them
        made.leads[key] = lead.id
    add_pipeline_state(made, ads)
    db.session.commit()
    return made


def add_pipeline_state(made: World, ads: dict[str, Ad]) -> None:
    """What the gap and health read: Meta announced three more DE leads we do not hold (one waiting,
    one failed, one gone), one event of each Conversions API outcome, a failed sync run, a dead token."""
    for n, (ad_key, status, created) in enumerate(
        [
            ("de1", InboxStatus.PENDING, "2026-11-20 10:00"),
            ("de2", InboxStatus.FAILED, "2026-11-21 10:00"),
            ("de1", InboxStatus.GONE, "2026-11-22 10:00"),
            ("de1", InboxStatus.PROCESSED, "2026-11-01 10:00"),
        ]
    ):
        db.session.add(
            WebhookInbox(
                dedupe_key=f"announced-{n}",
                leadgen_id=f"announced-{n}",
                ad_id=ad_key,
                form_id="form-de",
                created_time=at(created),
                status=status,
                lead_id=made.leads["de_converted"] if status == InboxStatus.PROCESSED else None,
                last_error="Meta no longer has this lead." if status == InboxStatus.GONE else None,
            )
        )
    for lead, stage, status in [
        ("de_converted", "qualified", "sent"),
        ("de_converted", "converted", "failed"),
        ("de_qualified", "qualified", "sent"),
        ("jp_converted", "converted", "sent"),
        ("de_next_local_day", "qualified", "sent"),  # outside the range: not counted
    ]:
        db.session.add(
            ConversionEvent(
                lead_id=made.leads[lead],
                stage=stage,
                event_name=stage.title(),
                event_id=f"lead-{lead}-{stage}",
                reached_at=at("2026-11-25 10:00"),
                status=status,
            )
        )
    db.session.add(SyncRun(kind="insights", status=SyncRunStatus.FAILED, started_at=utcnow(), error="Graph said no"))
    db.session.add(SocialPlatform(name="Broken token", external_user_id="u-1", status=PlatformStatus.NEEDS_REAUTH))
