"""Why "Meta reports 42 · received 40": the leads behind the difference between Meta's ``lead``
count for an account or a campaign and the leads stored here, sorted by reason.

Meta counts a lead on the day of its ad (insights, the account's days); we count the leads we
hold whose ad belongs to the account or campaign, submitted within the range in the account's
days. The two differ for reasons one can name:

* Meta has them, we do not (yet): announced but **waiting** for a worker or a reconnect;
  **failed** after retries; **deleted** at Meta (gone before we could read them); stored but
  their **campaign not synced** here yet (so they belong to no account of ours).
* Neither side counts them: **organic** leads (no ad) and **test** leads through the same forms.
* Both count them: **erased** leads (personal data removed, the lead still counted).
* Days: a report in UTC days would count other leads (**time zone**); Meta dates a lead by
  the ad's impression, so leads submitted **after the range** may be inside it at Meta.

What no reason explains is shown as such, with what usually causes it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

import sqlalchemy as sa

from metaads.dashboard.days import Range, zone_name
from metaads.dashboard.health import WAITING
from metaads.insights import dates
from metaads.models import Ad, AdAccount, AdCampaign, AdInsight, AdSet, Lead, LeadForm, WebhookInbox
from metaads.models.enums import InboxStatus
from plugins.core.extensions import db

#: How many leads (or inbox rows) each reason lists.
SAMPLE = 10


@dataclasses.dataclass(frozen=True)
class Reason:
    code: str
    count: int
    #: whether Meta's number includes them, and whether "received" does
    counted_by_meta: bool
    counted_here: bool
    leads: list[Lead] = dataclasses.field(default_factory=list)
    inbox: list[WebhookInbox] = dataclasses.field(default_factory=list)
    #: for ``time_zone``: leads a UTC report would count that the account's days do not
    extra: int = 0

    @property
    def explains_missing(self) -> bool:
        """Meta counts these and we do not: they make up (part of) Meta's surplus."""
        return self.counted_by_meta and not self.counted_here


@dataclasses.dataclass(frozen=True)
class Gap:
    account: AdAccount
    campaign: AdCampaign | None
    range: Range
    reported: int
    received: int
    reasons: list[Reason]
    insights_synced_at: dt.datetime | None
    #: for an account: its campaigns with a count on either side, (campaign, reported, received)
    campaigns: list[tuple[AdCampaign, int, int]] = dataclasses.field(default_factory=list)

    @property
    def difference(self) -> int:
        return self.reported - self.received

    @property
    def explained(self) -> int:
        return sum(reason.count for reason in self.reasons if reason.explains_missing)

    @property
    def unexplained(self) -> int:
        """Meta's surplus no reason accounts for (negative: we received more than Meta reports)."""
        return self.difference - self.explained

    def reason(self, code: str) -> Reason | None:
        return next((reason for reason in self.reasons if reason.code == code), None)


@dataclasses.dataclass(frozen=True)
class Scope:
    """An account or one of its campaigns: its ads (Meta's ids) and the forms those ads open."""

    account: AdAccount
    campaign: AdCampaign | None

    def ad_ids(self) -> sa.Select[t.Any]:
        query = sa.select(Ad.meta_ad_id).join(AdSet, AdSet.id == Ad.ad_set_id)
        if self.campaign is not None:
            return query.where(AdSet.campaign_id == self.campaign.id)
        return query.join(AdCampaign, AdCampaign.id == AdSet.campaign_id).where(AdCampaign.ad_account_id == self.account.id)

    def form_ids(self) -> sa.Select[t.Any]:
        """Our LeadForm ids: the forms the campaign's ads open, or the account's forms."""
        if self.campaign is None:
            return sa.select(LeadForm.id).where(LeadForm.ad_account_id == self.account.id)
        opened = sa.select(Ad.lead_gen_form_id).join(AdSet, AdSet.id == Ad.ad_set_id).where(AdSet.campaign_id == self.campaign.id)
        return sa.select(LeadForm.id).where(LeadForm.meta_form_id.in_(opened))

    def campaign_meta_ids(self) -> sa.Select[t.Any]:
        if self.campaign is not None:
            return sa.select(sa.literal(self.campaign.meta_campaign_id))
        return sa.select(AdCampaign.meta_campaign_id).where(AdCampaign.ad_account_id == self.account.id)

    def reported(self, period: Range) -> int:
        column = AdInsight.campaign_id if self.campaign is not None else AdInsight.ad_account_id
        object_id = self.campaign.id if self.campaign is not None else self.account.id
        total = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(AdInsight.leads), 0)).where(
                column == object_id, AdInsight.date >= period.since, AdInsight.date <= period.until
            )
        )
        return int(total or 0)

    def synced_at(self) -> dt.datetime | None:
        column = AdInsight.campaign_id if self.campaign is not None else AdInsight.ad_account_id
        object_id = self.campaign.id if self.campaign is not None else self.account.id
        return t.cast(
            "dt.datetime | None", db.session.scalar(sa.select(sa.func.max(AdInsight.synced_at)).where(column == object_id))
        )


def gap(account: AdAccount, campaign: AdCampaign | None, period: Range) -> Gap:
    scope = Scope(account, campaign)
    start, end = period.instants(account)
    real = [Lead.is_test.is_(False)]
    in_range = [Lead.created_time >= start, Lead.created_time < end]
    # The dashboard's "received": the lead's campaign (Meta's id on the lead) is one of ours here.
    of_ads = Lead.campaign_id.in_(scope.campaign_meta_ids())
    received = _count(*real, *in_range, of_ads)
    reasons = [
        _inbox_reason("waiting", scope, WAITING, start, end),
        _inbox_reason("failed", scope, (InboxStatus.FAILED,), start, end),
        _inbox_reason("deleted", scope, (InboxStatus.GONE,), start, end),
        _lead_reason("not_synced", True, False, *real, *in_range, *_not_synced(scope)),
        _lead_reason("organic", False, False, *real, *in_range, *_organic(scope)),
        _lead_reason("test", False, False, Lead.is_test.is_(True), *in_range, _through_forms_or_ads(scope)),
        _lead_reason("erased", True, True, *real, *in_range, of_ads, Lead.erased_at.is_not(None)),
        _time_zone(scope, period, of_ads),
        _after_range(scope, period, of_ads),
    ]
    return Gap(
        account=account,
        campaign=campaign,
        range=period,
        reported=scope.reported(period),
        received=received,
        reasons=[reason for reason in reasons if reason.count or reason.extra],
        insights_synced_at=scope.synced_at(),
        campaigns=_by_campaign(account, period, start, end) if campaign is None else [],
    )


def _by_campaign(account: AdAccount, period: Range, start: dt.datetime, end: dt.datetime) -> list[tuple[AdCampaign, int, int]]:
    """The account's campaigns with Meta's count and ours, the largest difference first."""
    reported = dict(
        db.session.execute(
            sa.select(AdInsight.campaign_id, sa.func.sum(AdInsight.leads))
            .where(AdInsight.ad_account_id == account.id, AdInsight.date >= period.since, AdInsight.date <= period.until)
            .group_by(AdInsight.campaign_id)
        ).all()
    )
    received = dict(
        db.session.execute(
            sa.select(AdCampaign.id, sa.func.count())
            .select_from(Lead)
            .join(AdCampaign, AdCampaign.meta_campaign_id == Lead.campaign_id)
            .where(
                AdCampaign.ad_account_id == account.id,
                Lead.is_test.is_(False),
                Lead.created_time >= start,
                Lead.created_time < end,
            )
            .group_by(AdCampaign.id)
        ).all()
    )
    ids = {campaign_id for campaign_id, n in [*reported.items(), *received.items()] if n}
    if not ids:
        return []
    campaigns = db.session.execute(sa.select(AdCampaign).where(AdCampaign.id.in_(ids))).scalars()
    rows = [(c, int(reported.get(c.id) or 0), int(received.get(c.id) or 0)) for c in campaigns]
    return sorted(rows, key=lambda row: (-abs(row[1] - row[2]), -row[1], row[0].name))


# --- the reasons --------------------------------------------------------------------------------


def _count(*conditions: t.Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Lead).where(*conditions)) or 0)


def _sample(*conditions: t.Any) -> list[Lead]:
    query = sa.select(Lead).where(*conditions).order_by(Lead.created_time.desc(), Lead.id.desc()).limit(SAMPLE)
    return list(db.session.execute(query).scalars())


def _lead_reason(code: str, by_meta: bool, here: bool, *conditions: t.Any) -> Reason:
    count = _count(*conditions)
    return Reason(code, count, by_meta, here, leads=_sample(*conditions) if count else [])


def _inbox_reason(code: str, scope: Scope, statuses: t.Sequence[InboxStatus], start: dt.datetime, end: dt.datetime) -> Reason:
    """Leads Meta announced for the scope's ads and we have not stored (the webhook names the ad)."""
    ads = scope.ad_ids()
    conditions = [
        WebhookInbox.status.in_(list(statuses)),
        WebhookInbox.lead_id.is_(None),
        sa.or_(WebhookInbox.ad_id.in_(ads), WebhookInbox.adgroup_id.in_(ads)),
        WebhookInbox.created_time >= start,
        WebhookInbox.created_time < end,
    ]
    count = int(db.session.scalar(sa.select(sa.func.count()).select_from(WebhookInbox).where(*conditions)) or 0)
    rows = (
        list(
            db.session.execute(
                sa.select(WebhookInbox).where(*conditions).order_by(WebhookInbox.created_time.desc()).limit(SAMPLE)
            ).scalars()
        )
        if count
        else []
    )
    return Reason(code, count, True, False, inbox=rows)


def _not_synced(scope: Scope) -> list[t.Any]:
    """Leads from an ad through the account's forms whose campaign has no row here (not synced
    yet, or Meta sent the lead without one): stored, but attributed to no account until the ads
    sync. A campaign's own leads are its by definition, so it has none."""
    if scope.campaign is not None:
        return [sa.false()]
    known = sa.exists().where(AdCampaign.meta_campaign_id == Lead.campaign_id)
    return [Lead.ad_id.is_not(None), ~known, Lead.lead_form_id.in_(scope.form_ids())]


def _organic(scope: Scope) -> list[t.Any]:
    """Leads through the scope's forms that came without an ad: Meta's ad insights never count them."""
    return [Lead.ad_id.is_(None), Lead.lead_form_id.in_(scope.form_ids())]


def _through_forms_or_ads(scope: Scope) -> t.Any:
    return sa.or_(Lead.lead_form_id.in_(scope.form_ids()), Lead.ad_id.in_(scope.ad_ids()))


def _time_zone(scope: Scope, period: Range, of_ads: t.Any) -> Reason:
    """Leads a report in UTC days would count differently: ``count`` it would leave out (they
    are in the account's days), ``extra`` it would add."""
    if zone_name(scope.account) in ("UTC", "Etc/UTC"):
        return Reason("time_zone", 0, True, True)
    local_start, local_end = period.instants(scope.account)
    utc_start, utc_end = period.instants(None)
    in_local = sa.and_(Lead.created_time >= local_start, Lead.created_time < local_end)
    in_utc = sa.and_(Lead.created_time >= utc_start, Lead.created_time < utc_end)
    real = Lead.is_test.is_(False)
    left_out = [real, of_ads, in_local, ~in_utc]
    added = [real, of_ads, in_utc, ~in_local]
    count = _count(*left_out)
    return Reason("time_zone", count, True, True, leads=_sample(*left_out) if count else [], extra=_count(*added))


def _after_range(scope: Scope, period: Range, of_ads: t.Any) -> Reason:
    """Leads submitted on the day after the range: Meta dates a lead by its ad's impression
    (its reporting time is "mixed" since June 2025), so some of these may be inside the range
    at Meta and outside it here."""
    start, end = dates.instants(scope.account, period.until + dt.timedelta(days=1), period.until + dt.timedelta(days=1))
    conditions = [Lead.is_test.is_(False), of_ads, Lead.created_time >= start, Lead.created_time < end]
    count = _count(*conditions)
    return Reason("after_range", count, False, False, leads=_sample(*conditions) if count else [])
