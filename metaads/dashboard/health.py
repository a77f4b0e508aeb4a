"""Pipeline health on the dashboard: what needs an admin now, each count with where to act.

Only the states that need someone are counted (their indexes hold few rows), never the millions
of leads that went through: waiting and failed webhook inbox rows, connections whose token died,
sync runs that failed in the last week, Conversions API events Meta refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

import sqlalchemy as sa

from metaads.models import ConversionEvent, SyncRun, WebhookInbox
from metaads.models.enums import InboxStatus, SyncRunStatus
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.models import PlatformStatus, SocialPlatform

#: Announced by Meta, not stored yet: a worker will, or the connection must be fixed first.
WAITING = (InboxStatus.PENDING, InboxStatus.ENQUEUED, InboxStatus.WAITING_REAUTH)
#: How far back a failed sync run still counts as news.
RECENT = dt.timedelta(days=7)


@dataclasses.dataclass(frozen=True)
class Health:
    leads_waiting: int
    leads_failed: int
    connections_needing_reauth: int
    sync_runs_failed: int
    conversions_failed: int

    @property
    def problems(self) -> int:
        return self.leads_failed + self.connections_needing_reauth + self.sync_runs_failed + self.conversions_failed


def health(now: dt.datetime | None = None) -> Health:
    """Every count in one statement (one round trip)."""

    def count(model: t.Any, *conditions: t.Any) -> t.Any:
        return sa.select(sa.func.count()).select_from(model).where(*conditions).scalar_subquery()

    recent = (now or utcnow()) - RECENT
    row = db.session.execute(
        sa.select(
            count(WebhookInbox, WebhookInbox.status.in_(WAITING)),
            count(WebhookInbox, WebhookInbox.status == InboxStatus.FAILED),
            count(SocialPlatform, SocialPlatform.status == PlatformStatus.NEEDS_REAUTH),
            count(SyncRun, SyncRun.status.in_([SyncRunStatus.FAILED, SyncRunStatus.PARTIAL]), SyncRun.started_at >= recent),
            count(ConversionEvent, ConversionEvent.status == "failed"),
        )
    ).one()
    return Health(*(int(value or 0) for value in row))
