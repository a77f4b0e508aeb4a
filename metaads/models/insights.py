"""Daily insights, one row per ad per day (the account's day), and the async report runs that
fetch long ranges of them.

Ad sets, campaigns and accounts have no rows of their own: their numbers are sums of their ads'
rows, so they always add up. Each row carries its ad's ad set, campaign and account ids (an ad
never moves between them at Meta) so those sums need no join.
"""

from __future__ import annotations

import datetime as dt
import enum
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from metaads.models.base import IdMixin, counter, enum_type
from plugins.core.extensions import db
from plugins.core.models import BigIntPK, Timestamps, utcnow

#: The additive counts of a row (reach is not additive: a person reached twice is one person).
METRICS = ("impressions", "clicks", "spend", "leads")


class AdInsight(db.Model):  # type: ignore[name-defined]
    """One ad's delivery on one day of its account's time zone, as Meta last reported it.

    ``spend`` is in the currency's minor units (cents; whole yen). ``leads`` is Meta's ``lead``
    action alone (action types nest, so ``actions`` is never summed); ``actions`` is Meta's list
    verbatim. ``reach`` counts people, so it is only meaningful for this ad on this day: sums of
    it over ads or days would count a person many times (see metaads.insights.query).
    """

    __tablename__ = "metaads_ad_insights"
    __table_args__ = (
        sa.Index("ix_metaads_ad_insights_account_date", "ad_account_id", "date"),
        # The sums of a range of days read these alone on PostgreSQL (INCLUDE): the rows are wide
        # (``actions``), and one range of days is spread over the whole table. By campaign for a
        # page of campaigns; by day for every campaign at once (the dashboard).
        sa.Index("ix_metaads_ad_insights_campaign_date", "campaign_id", "date", postgresql_include=list(METRICS)),
        sa.Index(
            "ix_metaads_ad_insights_date_campaign", "date", "campaign_id", postgresql_include=["ad_account_id", *METRICS]
        ),
        sa.Index("ix_metaads_ad_insights_ad_set_date", "ad_set_id", "date"),
        # The latest change to stored insights in one lookup (metaads.insights.query.version).
        sa.Index("ix_metaads_ad_insights_synced_at", "synced_at"),
    )

    # The primary key is the (ad, day) uniqueness itself: no surrogate id to index on every insert.
    ad_id: Mapped[int] = mapped_column(sa.ForeignKey("metaads_ads.id", ondelete="CASCADE"), primary_key=True)
    date: Mapped[dt.date] = mapped_column(sa.Date(), primary_key=True)
    # Copies of the ad's parents, without foreign keys of their own: a key is a check per row
    # on every upsert, and the ad's key already removes the rows when any parent goes.
    ad_set_id: Mapped[int] = mapped_column(BigIntPK)
    campaign_id: Mapped[int] = mapped_column(BigIntPK)
    ad_account_id: Mapped[int] = mapped_column(BigIntPK)
    impressions: Mapped[int] = counter()
    clicks: Mapped[int] = counter()
    link_clicks: Mapped[int] = counter()
    reach: Mapped[int] = counter()
    spend: Mapped[int] = counter()
    leads: Mapped[int] = counter()
    actions: Mapped[list[dict[str, t.Any]] | None] = mapped_column(sa.JSON())
    currency: Mapped[str] = mapped_column(sa.String(3))
    synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReportStatus(enum.StrEnum):
    """Where one async report run stands in our hands (Meta's own words are in ``async_status``)."""

    PENDING = "pending"  # to be posted (first time, or the one retry after a failure)
    RUNNING = "running"  # posted: poll it, never post it again
    STORED = "stored"  # every row read and stored
    SPLIT = "split"  # failed twice or too much data: smaller reports replace it
    FAILED = "failed"  # one day of one campaign still failed: recorded, nothing smaller to try


class InsightsReport(IdMixin, Timestamps, db.Model):  # type: ignore[name-defined]
    """An async insights job (``POST …/insights`` → ``report_run_id``) of one sync run, kept so a
    run killed with its worker polls the job it had posted instead of posting another, and reads
    its rows from the last page it stored."""

    __tablename__ = "metaads_insights_reports"

    sync_run_id: Mapped[int] = mapped_column(sa.ForeignKey("metaads_sync_runs.id", ondelete="CASCADE"), index=True)
    ad_account_id: Mapped[int] = mapped_column(sa.ForeignKey("metaads_ad_accounts.id", ondelete="CASCADE"))
    #: The Meta campaign the report is narrowed to once a split by campaign happened; else None.
    meta_campaign_id: Mapped[str | None] = mapped_column(sa.String(64))
    since: Mapped[dt.date] = mapped_column(sa.Date())
    until: Mapped[dt.date] = mapped_column(sa.Date())
    report_run_id: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus), default=ReportStatus.PENDING)
    async_status: Mapped[str | None] = mapped_column(sa.String(32))
    percent: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    #: The paging cursor after the last page stored: a resumed read continues from it.
    after: Mapped[str | None] = mapped_column(sa.Text())
    rows: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text())
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("metaads_insights_reports.id", ondelete="CASCADE"))
