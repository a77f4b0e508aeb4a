"""The dashboard's figures for one range, in four queries however many accounts and campaigns:

1. Meta's delivery per campaign and day, summed in SQL from the ad-day rows (an index-only scan
   of the days asked for, ``ix_metaads_ad_insights_date_campaign``); accounts, currencies and
   the trend are rolled up from those rows here, so every level adds up.
2. Leads received per campaign and form, with their cumulative stages and the stages Meta
   accepted through the Conversions API. A lead counts for the campaign of its ad when it was
   submitted within the range in that ad's account's days; a lead without an ad (organic, test)
   counts for its form only.
3. Leads received per account and day, for the trend.
4. The accounts, the campaigns that had delivery or leads, and the forms.

Test leads are never counted: Meta does not count them either.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy import orm

from metaads.capture.upsert import among
from metaads.dashboard.days import Range, local_date, zone_by_account
from metaads.dashboard.funnel import DELIVERY, Funnel
from metaads.models import Ad, AdAccount, AdCampaign, AdInsight, AdSet, ConversionEvent, Lead, LeadForm
from metaads.models.enums import FormStatus
from plugins.core.extensions import db
from plugins.core.models import UTCDateTime

#: Top lists: how many campaigns each shows.
TOP = 5
#: Forms listed: every form with leads in the range, then active ones without, up to this many.
FORMS = 50


@dataclasses.dataclass
class CampaignFigures:
    id: int
    name: str
    status: str
    effective_status: str | None
    account: AdAccount
    funnel: Funnel = dataclasses.field(default_factory=Funnel)

    @property
    def currency(self) -> str:
        return self.account.currency


@dataclasses.dataclass
class Day:
    date: dt.date
    spend: int = 0
    impressions: int = 0
    clicks: int = 0
    leads: int = 0
    leads_received: int = 0


@dataclasses.dataclass
class FormFigures:
    form: LeadForm
    leads_received: int


@dataclasses.dataclass
class Figures:
    range: Range
    accounts: list[tuple[AdAccount, Funnel]]
    totals: list[tuple[str, Funnel]]
    #: currency → every day of the range, oldest first (days without delivery are zeros)
    trend: dict[str, list[Day]]
    #: every campaign with delivery or leads in the range, most spend first
    campaigns: list[CampaignFigures]
    forms: list[FormFigures]

    def top_by_leads(self, count: int = TOP) -> list[CampaignFigures]:
        """Most of Meta's leads first (then most received); campaigns without leads left out."""
        ranked = [c for c in self.campaigns if c.funnel.leads or c.funnel.leads_received]
        return sorted(ranked, key=lambda c: (-c.funnel.leads, -c.funnel.leads_received, c.name))[:count]

    def top_by_cost_per_converted(self, count: int = TOP) -> dict[str, list[CampaignFigures]]:
        """Cheapest converted lead first, per currency (amounts in two currencies do not compare)."""
        by_currency: dict[str, list[CampaignFigures]] = collections.defaultdict(list)
        for campaign in self.campaigns:
            if campaign.funnel.converted:
                by_currency[campaign.currency].append(campaign)
        return {
            currency: sorted(found, key=lambda c: (c.funnel.cost("converted") or 0, c.name))[:count]
            for currency, found in sorted(by_currency.items())
        }


def all_accounts() -> list[AdAccount]:
    return list(db.session.execute(sa.select(AdAccount).order_by(AdAccount.name, AdAccount.id)).scalars())


def figures(period: Range, accounts: list[AdAccount]) -> Figures:
    """Everything the dashboard shows for ``period``, for ``accounts`` (every account: see
    ``all_accounts``)."""
    by_campaign: dict[int, Funnel] = collections.defaultdict(Funnel)
    by_account_day: dict[tuple[int, dt.date], Day] = {}
    for row in delivery_by_campaign_day(period):
        by_campaign[row.campaign_id].add_counts(DELIVERY, (row.spend, row.impressions, row.clicks, row.leads))
        day = by_account_day.setdefault((row.ad_account_id, row.date), Day(row.date))
        for name in DELIVERY:
            setattr(day, name, getattr(day, name) + int(getattr(row, name)))
    by_form: dict[int, int] = collections.defaultdict(int)
    for row in received_by_campaign_and_form(period, accounts):
        if row.campaign_id is not None:
            by_campaign[row.campaign_id].add_counts(
                ("leads_received", "contacted", "qualified", "converted", "qualified_signals", "converted_signals"),
                (row.received, row.contacted, row.qualified, row.converted, row.qualified_signals, row.converted_signals),
            )
        if row.lead_form_id is not None:
            by_form[row.lead_form_id] += int(row.received)
    for row in received_by_account_day(period, accounts):
        day = by_account_day.setdefault((row.ad_account_id, row.day), Day(row.day))
        day.leads_received += int(row.received)
    campaigns = campaign_rows(by_campaign, {account.id: account for account in accounts})
    per_account = {account.id: Funnel() for account in accounts}
    for campaign in campaigns:
        per_account[campaign.account.id].add(campaign.funnel)
    return Figures(
        range=period,
        accounts=[(account, per_account[account.id]) for account in accounts],
        totals=totals_by_currency([(account, per_account[account.id]) for account in accounts]),
        trend=trend_by_currency(period, accounts, by_account_day),
        campaigns=campaigns,
        forms=form_rows(by_form),
    )


# --- the queries ------------------------------------------------------------------------------


def delivery_by_campaign_day(period: Range) -> list[t.Any]:
    """Meta's figures per (day, campaign): in the index's order, so PostgreSQL sums while it reads."""
    sums = [sa.cast(sa.func.sum(getattr(AdInsight, name)), sa.BigInteger).label(name) for name in DELIVERY]
    query = (
        sa.select(AdInsight.date, AdInsight.campaign_id, sa.func.min(AdInsight.ad_account_id).label("ad_account_id"), *sums)
        .where(AdInsight.date >= period.since, AdInsight.date <= period.until)
        .group_by(AdInsight.date, AdInsight.campaign_id)
    )
    return list(db.session.execute(query))


def _received(period: Range, accounts: list[AdAccount], account_id: t.Any) -> list[sa.ColumnElement[bool]]:
    """Real leads submitted within the range in the days of the account ``account_id`` names:
    between that account's local midnights, as UTC instants (no time zone arithmetic per row)."""
    start, end = period.widest(accounts)
    starts, ends = account_bounds(period, accounts, account_id)
    return [
        Lead.is_test.is_(False),
        Lead.created_time >= start,  # the index's range; each account's own bounds decide
        Lead.created_time < end,
        Lead.created_time >= starts,
        Lead.created_time < ends,
    ]


def account_bounds(period: Range, accounts: list[AdAccount], account_id: t.Any) -> tuple[t.Any, t.Any]:
    """SQL for the start and the end of the range in the days of the account ``account_id``
    names (UTC's days for a lead with no account)."""
    bounds = {account.id: period.instants(account) for account in accounts}
    utc = period.instants(None)

    def pick(index: int) -> t.Any:
        whens = {account: sa.literal(edges[index], UTCDateTime()) for account, edges in bounds.items()}
        fallback = sa.literal(utc[index], UTCDateTime())
        return sa.case(whens, value=account_id, else_=fallback) if whens else fallback

    return pick(0), pick(1)


def received_by_campaign_and_form(period: Range, accounts: list[AdAccount]) -> list[t.Any]:
    """Per (campaign, form): leads received, how many ever reached each stage, and how many of
    those stages Meta accepted through the Conversions API. A lead without an ad here (organic,
    or its ad not synced yet) has no campaign and counts in its form's days."""
    account_id = sa.func.coalesce(AdCampaign.ad_account_id, LeadForm.ad_account_id)
    query = (
        sa.select(
            AdSet.campaign_id,
            Lead.lead_form_id,
            sa.func.count().label("received"),
            sa.func.count(Lead.contacted_at).label("contacted"),
            sa.func.count(Lead.qualified_at).label("qualified"),
            sa.func.count(Lead.converted_at).label("converted"),
            sa.func.sum(_signal(Lead.qualified_at, "qualified")).label("qualified_signals"),
            sa.func.sum(_signal(Lead.converted_at, "converted")).label("converted_signals"),
        )
        .select_from(Lead)
        .outerjoin(Ad, Ad.meta_ad_id == Lead.ad_id)
        .outerjoin(AdSet, AdSet.id == Ad.ad_set_id)
        .outerjoin(AdCampaign, AdCampaign.id == AdSet.campaign_id)
        .outerjoin(LeadForm, LeadForm.id == Lead.lead_form_id)
        .where(*_received(period, accounts, account_id))
        .group_by(AdSet.campaign_id, Lead.lead_form_id)
    )
    return list(db.session.execute(query))


def _signal(reached: t.Any, stage: str) -> t.Any:
    """1 when Meta accepted the lead's ``stage`` through the Conversions API. Only leads that
    reached the stage are looked up (a CASE tries its branches in order)."""
    sent = sa.exists().where(ConversionEvent.lead_id == Lead.id, ConversionEvent.stage == stage, ConversionEvent.status == "sent")
    return sa.case((reached.is_(None), 0), (sent, 1), else_=0)


def received_by_account_day(period: Range, accounts: list[AdAccount]) -> list[t.Any]:
    """Leads received per ad account and local day (leads with an ad of the account)."""
    day = local_date(Lead.created_time, zone_by_account(accounts, AdCampaign.ad_account_id)).label("day")
    query = (
        sa.select(AdCampaign.ad_account_id, day, sa.func.count().label("received"))
        .select_from(Lead)
        .join(Ad, Ad.meta_ad_id == Lead.ad_id)
        .join(AdSet, AdSet.id == Ad.ad_set_id)
        .join(AdCampaign, AdCampaign.id == AdSet.campaign_id)
        .where(*_received(period, accounts, AdCampaign.ad_account_id))
        .group_by(AdCampaign.ad_account_id, day)
    )
    return list(db.session.execute(query))


# --- assembling -------------------------------------------------------------------------------


def campaign_rows(by_campaign: dict[int, Funnel], accounts: dict[int, AdAccount]) -> list[CampaignFigures]:
    if not by_campaign:
        return []
    columns = (AdCampaign.id, AdCampaign.name, AdCampaign.status, AdCampaign.effective_status, AdCampaign.ad_account_id)
    rows = db.session.execute(sa.select(*columns).where(among(AdCampaign.id, list(by_campaign))))
    campaigns = [
        CampaignFigures(row.id, row.name, str(row.status), row.effective_status, accounts[row.ad_account_id], by_campaign[row.id])
        for row in rows
        if row.ad_account_id in accounts
    ]
    return sorted(campaigns, key=lambda c: (-c.funnel.spend, -c.funnel.leads, c.name, c.id))


def totals_by_currency(accounts: list[tuple[AdAccount, Funnel]]) -> list[tuple[str, Funnel]]:
    """One total per currency: amounts in two currencies are never added."""
    totals: dict[str, Funnel] = {}
    for account, funnel in accounts:
        totals.setdefault(account.currency, Funnel()).add(funnel)
    return sorted(totals.items())


def trend_by_currency(
    period: Range, accounts: list[AdAccount], by_account_day: dict[tuple[int, dt.date], Day]
) -> dict[str, list[Day]]:
    currency_of = {account.id: account.currency for account in accounts}
    days = period.days()
    trend: dict[str, dict[dt.date, Day]] = {}
    for currency in sorted(set(currency_of.values())):
        trend[currency] = {day: Day(day) for day in days}
    for (account_id, date), figures_of_day in by_account_day.items():
        of_account = currency_of.get(account_id)
        if of_account is None or date not in trend[of_account]:
            continue
        day = trend[of_account][date]
        for name in (*DELIVERY, "leads_received"):
            setattr(day, name, getattr(day, name) + getattr(figures_of_day, name))
    return {currency: list(by_day.values()) for currency, by_day in trend.items()}


def form_rows(by_form: dict[int, int]) -> list[FormFigures]:
    """Forms with leads in the range (most first), then active forms that had none."""
    query = sa.select(LeadForm).options(orm.joinedload(LeadForm.ad_account))
    with_leads = [form_id for form_id, count in by_form.items() if count]
    if with_leads:
        query = query.where(sa.or_(among(LeadForm.id, with_leads), LeadForm.status == FormStatus.ACTIVE))
    else:
        query = query.where(LeadForm.status == FormStatus.ACTIVE)
    forms = db.session.execute(query.order_by(LeadForm.name).limit(FORMS + len(with_leads))).scalars().unique()
    rows = [FormFigures(form, by_form.get(form.id, 0)) for form in forms]
    return sorted(rows, key=lambda f: (-f.leads_received, f.form.name.lower()))[:FORMS]
