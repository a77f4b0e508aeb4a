"""metaads' connections to Meta (socials' ``SocialPlatform`` rows and their pages): the Graph
service that talks for them, the token to use for a page, the connections and pages a sync
reads (each with its token), and marking a connection whose token Meta refused for re-auth."""

from __future__ import annotations

import dataclasses
import logging
import typing as t

import sqlalchemy as sa
from flask import current_app

from metaads.graph.client import GraphClient
from metaads.graph.errors import GraphError
from metaads.models import AdAccount, LeadForm
from metaads.service import MetaAdsService
from plugins.core.extensions import db
from plugins.socials.models import PlatformStatus, SocialPage, SocialPlatform

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class PageAccess:
    token: str
    platform_id: int


def graph_service() -> MetaAdsService:
    """One service (and one pooled HTTP session) per app and process."""
    state = current_app.extensions["metaads"]
    if state.service is None:
        # With REDIS_URL the client shares Meta's usage figures through Redis across workers.
        client = GraphClient.from_config(current_app.config)
        state.service = MetaAdsService(client)
    service: MetaAdsService = state.service
    return service


def page_token(page_id: str | None) -> PageAccess | None:
    """The token of an active connection that manages ``page_id``; the newest if several do."""
    if not page_id:
        return None
    row = db.session.execute(
        sa.select(SocialPage.access_token, SocialPlatform.id)
        .join(SocialPlatform, SocialPage.platform_id == SocialPlatform.id)
        .where(
            SocialPage.page_id == page_id, SocialPlatform.status == PlatformStatus.ACTIVE, SocialPage.access_token.is_not(None)
        )
        .order_by(SocialPlatform.updated_at.desc())
        .limit(1)
    ).first()
    if row is None or not row[0]:
        return None
    return PageAccess(token=row[0], platform_id=row[1])


def active_connections(platform_id: int | None = None) -> list[SocialPlatform]:
    """Every active connection, or only ``platform_id`` if it is active."""
    query = sa.select(SocialPlatform).where(SocialPlatform.status == PlatformStatus.ACTIVE)
    if platform_id is not None:
        query = query.where(SocialPlatform.id == platform_id)
    return list(db.session.execute(query).scalars())


def connected_pages(platform_id: int | None = None) -> list[tuple[SocialPage, int]]:
    """(page, platform id) for every page of an active connection; one row per page id."""
    query = (
        sa.select(SocialPage, SocialPlatform.id)
        .join(SocialPlatform, SocialPage.platform_id == SocialPlatform.id)
        .where(SocialPlatform.status == PlatformStatus.ACTIVE, SocialPage.access_token.is_not(None))
        .order_by(SocialPlatform.updated_at.desc())
    )
    if platform_id is not None:
        query = query.where(SocialPlatform.id == platform_id)
    seen: dict[str, tuple[SocialPage, int]] = {}
    for page, owner in db.session.execute(query).all():
        seen.setdefault(page.page_id, (page, owner))
    return list(seen.values())


def mark_needs_reauth(platform_id: int | None, exc: GraphError) -> None:
    """Meta said the token is dead (190): every admin page shows a Reconnect banner from now on."""
    if platform_id is None:
        return
    platform = db.session.get(SocialPlatform, platform_id)
    if platform is None or platform.status == PlatformStatus.NEEDS_REAUTH:
        return
    platform.status = PlatformStatus.NEEDS_REAUTH
    platform.status_reason = f"Facebook refused the token: {exc}"[:1000]
    log.warning("connection %s needs to be reconnected (Graph error %s)", platform_id, exc.code)


def connection_counts() -> dict[str, dict[t.Any, int]]:
    """What the Connections page shows per connection: lead forms per page, ad accounts."""
    forms = db.session.execute(sa.select(LeadForm.page_id, sa.func.count()).group_by(LeadForm.page_id)).all()
    accounts = db.session.execute(sa.select(AdAccount.platform_id, sa.func.count()).group_by(AdAccount.platform_id)).all()
    return {"forms_by_page": dict(forms), "accounts_by_platform": dict(accounts)}
