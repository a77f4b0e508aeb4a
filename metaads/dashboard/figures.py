"""The dashboard's figures for one range, in two statements however many accounts and campaigns
(plus small reads of the accounts, the campaigns shown and the forms):

1. Meta's delivery: the ad-day rows of the range summed per (day, campaign) — an index-only scan
   of ``ix_metaads_ad_insights_date_campaign`` in its order — and those sums summed again per
   campaign and per (account, day). Accounts, currencies and the trend are rolled up from them,
   so every level adds up.
2. The leads received: the leads of the range counted per (campaign, form, account, local day)
   with their cumulative stages and the stages Meta accepted through the Conversions API, then
   summed per (campaign, form) and per (account, day). A lead counts for its ad's campaign when
   it was submitted within the range in that campaign's account's days; a lead without an ad
   (organic) counts for its form only. The lead carries its ad's campaign as Meta names it
   (``campaign_id``; an ad never changes campaign at Meta), so the campaign is found in one join
   rather than through the ad and its ad set — and "received" is exactly what the leads list
   shows for that campaign and those days.

On PostgreSQL the first statement runs on a connection of its own while the second runs on the
session's. Test leads are never counted: Meta does not count them either.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy import orm

from metaads.capture.upsert import among
from metaads.dashboard.days import Range, local_date, zone_by_account
from metaads.dashboard.funnel import DELIVERY, Funnel
from metaads.models import AdAccount, AdCampaign, AdInsight, ConversionEvent, Lead, LeadForm
from metaads.models.enums import FormStatus
from plugins.core.extensions import db

#: Top lists: how many campaigns each shows.
TOP = 5
#: Forms listed: every form with leads in the range, then active ones without, up to this many.
FORMS = 50
#: Threads that read Meta's figures beside the request's own query (PostgreSQL only).
_READERS = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="metaads-dashboard")


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
    without_jit()
    by_campaign: dict[int, Funnel] = collections.defaultdict(Funnel)
    by_account_day: dict[tuple[int, dt.date], Day] = {}
    # PostgreSQL reads Meta's rows on a connection of its own while the session reads the leads:
    # the two statements are independent, and each keeps one core busy for tens of milliseconds.
    engine = db.engine
    reading = _READERS.submit(_read, engine, delivery_statement(period)) if engine.dialect.name == "postgresql" else None
    received = received_rows(period, accounts)
    delivery = _rollups(reading.result() if reading else db.session.execute(delivery_statement(period)).all())
    # Rows unpacked by position (the statements' column order): a few thousand per request.
    for _, campaign_id, _, spend, impressions, clicks, leads in delivery.by_campaign:
        by_campaign[campaign_id].add_delivery(spend, impressions, clicks, leads)
    for _, account_id, date, spend, impressions, clicks, leads in delivery.by_day:
        by_account_day[(account_id, date)] = Day(date, spend, impressions, clicks, leads)
    by_form: dict[int, int] = collections.defaultdict(int)
    for _, campaign_id, form_id, _, *stages in received.by_campaign:
        if campaign_id is not None:
            by_campaign[campaign_id].add_stages(*stages)
        if form_id is not None:
            by_form[form_id] += stages[0]
    for _, account_id, _, date, received_that_day, *_ in received.by_day:
        day = by_account_day.setdefault((account_id, date), Day(date))
        day.leads_received += received_that_day
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


def without_jit() -> None:
    """PostgreSQL compiles a query to machine code once its estimated cost passes
    ``jit_above_cost``; the leads query gets there (the planner prices its Conversions API
    lookups per lead), and compiling takes 50–80 ms to save a few. Off for this transaction
    only: ``SET LOCAL`` ends with it."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL jit = off"))


#: What the leads statement counts per lead, in the Funnel's names and order.
STAGE_COLUMNS = ("leads_received", "contacted", "qualified", "converted", "qualified_signals", "converted_signals")


@dataclasses.dataclass(frozen=True)
class Rollups:
    by_campaign: list[t.Any]
    by_day: list[t.Any]


def delivery_statement(period: Range) -> sa.CompoundSelect:
    """Meta's figures per campaign, and per account and day, in one statement: the ad-day rows
    are summed per (day, campaign) as the index is ordered (PostgreSQL sums while it reads), and
    those few thousand sums are summed again both ways — so the big table is read once, and only
    the rolled-up rows travel to Python."""
    sums = [sa.func.sum(getattr(AdInsight, name)).label(name) for name in DELIVERY]
    per_day = (
        sa.select(AdInsight.date, AdInsight.campaign_id, *sums)
        .where(AdInsight.date >= period.since, AdInsight.date <= period.until)
        .group_by(AdInsight.date, AdInsight.campaign_id)
        .cte("per_day")
    )
    total = [sa.cast(sa.func.sum(per_day.c[name]), sa.BigInteger).label(name) for name in DELIVERY]
    by_day = (
        sa.select(sa.literal("day").label("level"), AdCampaign.ad_account_id.label("key"), per_day.c.date, *total)
        .join(AdCampaign, AdCampaign.id == per_day.c.campaign_id)
        .group_by(AdCampaign.ad_account_id, per_day.c.date)
    )
    by_campaign = sa.select(sa.literal("campaign"), per_day.c.campaign_id, sa.null(), *total).group_by(per_day.c.campaign_id)
    return sa.union_all(by_day, by_campaign)


def _read(engine: sa.Engine, statement: sa.Executable) -> list[t.Any]:
    """``statement``'s rows, on a connection of its own (in a thread of ``_READERS``)."""
    with engine.connect() as connection:
        return list(connection.execute(statement).all())


def _rollups(rows: t.Sequence[t.Any]) -> Rollups:
    return Rollups([row for row in rows if row.level == "campaign"], [row for row in rows if row.level == "day"])


def received_rows(period: Range, accounts: list[AdAccount]) -> Rollups:
    """Leads received per (campaign, form) with their stages and Meta's signals, and per
    (account, local day), in one statement: the leads submitted between the range's earliest
    start and latest end over the accounts are counted per (campaign, form, account, local day)
    — each lead's local day computed once, in its own account's time zone — and those counts
    within the range summed both ways. A lead without an ad here (organic, or its ad not synced
    yet) has no campaign and counts in its form's account's days."""
    account_id = sa.func.coalesce(AdCampaign.ad_account_id, LeadForm.ad_account_id)
    day = local_date(Lead.created_time, zone_by_account(accounts, account_id))
    start, end = period.widest(accounts)
    counts = dict(
        zip(
            STAGE_COLUMNS,
            [
                sa.func.count(),
                sa.func.count(Lead.contacted_at),
                sa.func.count(Lead.qualified_at),
                sa.func.count(Lead.converted_at),
                sa.func.sum(_signal(Lead.qualified_at, "qualified")),
                sa.func.sum(_signal(Lead.converted_at, "converted")),
            ],
            strict=True,
        )
    )
    per_day = (
        sa.select(
            AdCampaign.id.label("campaign_id"),
            Lead.lead_form_id,
            account_id.label("account_id"),
            day.label("day"),
            *[count.label(name) for name, count in counts.items()],
        )
        .select_from(Lead)
        .outerjoin(AdCampaign, AdCampaign.meta_campaign_id == Lead.campaign_id)
        .outerjoin(LeadForm, LeadForm.id == Lead.lead_form_id)
        .where(Lead.is_test.is_(False), Lead.created_time >= start, Lead.created_time < end)
        .group_by(AdCampaign.id, Lead.lead_form_id, account_id, day)
        .cte("leads_per_day")
    )
    in_range = sa.and_(per_day.c.day >= period.since, per_day.c.day <= period.until)
    total = {name: sa.cast(sa.func.sum(per_day.c[name]), sa.BigInteger).label(name) for name in counts}
    by_day = (
        sa.select(
            sa.literal("day").label("level"),
            per_day.c.account_id.label("key"),
            sa.null().label("lead_form_id"),
            per_day.c.day,
            total["leads_received"],
            *[sa.null().label(name) for name in STAGE_COLUMNS[1:]],
        )
        .where(in_range, per_day.c.campaign_id.is_not(None))  # the trend is the ads' leads, as "received" is
        .group_by(per_day.c.account_id, per_day.c.day)
    )
    by_campaign = (
        sa.select(sa.literal("campaign"), per_day.c.campaign_id, per_day.c.lead_form_id, sa.null(), *total.values())
        .where(in_range)
        .group_by(per_day.c.campaign_id, per_day.c.lead_form_id)
    )
    return _rollups(db.session.execute(sa.union_all(by_day, by_campaign)).all())


def _signal(reached: t.Any, stage: str) -> t.Any:
    """1 when Meta accepted the lead's ``stage`` through the Conversions API. Only leads that
    reached the stage are looked up (a CASE tries its branches in order)."""
    sent = sa.exists().where(ConversionEvent.lead_id == Lead.id, ConversionEvent.stage == stage, ConversionEvent.status == "sent")
    return sa.case((reached.is_(None), 0), (sent, 1), else_=0)


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
