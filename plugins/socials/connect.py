"""Connecting Facebook: a user (or system-user) token → its pages and page tokens, every token
encrypted at rest, every page subscribed to the webhook fields extensions asked for."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import typing as t

import sqlalchemy as sa
from flask import current_app

from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.socials.models import PlatformStatus, SocialPage, SocialPlatform
from plugins.socials.registry import socials_state

log = logging.getLogger(__name__)


class ConnectError(Exception):
    """Connecting failed for a reason the admin can act on; the message says which."""


@dataclasses.dataclass(frozen=True)
class ConnectResult:
    platform_id: int
    pages: int
    subscribed: int
    missing_scopes: list[str]


def connect_with_token(access_token: str, *, connected_by: int | None = None) -> ConnectResult:
    """Store the connection (a reconnect replaces every page token in one transaction), subscribe
    the pages, then run the connected hooks (first syncs, resuming leads that waited)."""
    graph = socials_state().graph()
    info = graph.debug_token(access_token)
    if not info.is_valid:
        raise ConnectError("Facebook says this token is not valid (expired or revoked). Log in again to get a new one.")
    app_id = current_app.config.get("FACEBOOK_CLIENT_ID")
    if info.app_id and app_id and str(info.app_id) != str(app_id):
        raise ConnectError("This token belongs to another Facebook app.")
    me = graph.get_me(access_token)
    pages = graph.list_pages(access_token)
    platform = save_connection(me, info, access_token, pages, connected_by)
    subscribed = sum(1 for page in platform.pages if subscribe(page))
    db.session.commit()
    for hook in socials_state().connected_hooks:
        hook(platform.id)
    missing = [s for s in socials_state().scopes if s not in platform.granted_scopes]
    return ConnectResult(platform.id, len(platform.pages), subscribed, missing)


def save_connection(me: t.Any, info: t.Any, access_token: str, pages: list[t.Any], connected_by: int | None) -> SocialPlatform:
    platform = db.session.execute(
        sa.select(SocialPlatform).where(SocialPlatform.provider == "facebook", SocialPlatform.external_user_id == str(me.id))
    ).scalar_one_or_none()
    if platform is None:
        platform = SocialPlatform(provider="facebook", external_user_id=str(me.id), name=me.name or f"Facebook {me.id}")
        db.session.add(platform)
    platform.name = me.name or platform.name
    platform.access_token = access_token
    platform.token_type = "system_user" if (info.type or "").upper() == "SYSTEM_USER" else "user"
    platform.token_expires_at = info.expires_at
    platform.granted_scopes = list(info.scopes)
    platform.status = PlatformStatus.ACTIVE
    platform.status_reason = None
    platform.token_checked_at = utcnow()
    platform.connected_by = connected_by or platform.connected_by
    replace_pages(platform, pages)
    db.session.commit()
    return platform


def replace_pages(platform: SocialPlatform, pages: list[t.Any]) -> None:
    """Every page token of this user is replaced; pages the user lost are removed."""
    current = {page.page_id: page for page in platform.pages}
    seen = set()
    for data in pages:
        page = current.get(str(data.id))
        if page is None:
            page = SocialPage(page_id=str(data.id), name=data.name or str(data.id))
            platform.pages.append(page)
        page.name = data.name or page.name
        page.access_token = data.access_token
        page.tasks = list(data.tasks or ())
        seen.add(str(data.id))
    for page_id, page in current.items():
        if page_id not in seen:
            platform.pages.remove(page)


def subscribe(page: SocialPage) -> bool:
    """Install the app on the page for its webhook fields, then read it back (Meta can accept the
    call yet not list the app, e.g. without the ADVERTISE task); the page shows ✓ only if it does."""
    graph = socials_state().graph()
    fields = socials_state().page_fields or ["leadgen"]
    page.subscription_checked_at = utcnow()
    try:
        graph.subscribe_page(page.page_id, page.access_token or "", fields)
        apps = graph.get_subscribed_apps(page.page_id, page.access_token or "")
    except Exception as exc:  # Graph errors of every kind: the page shows ✗ with the fix button
        log.warning("could not subscribe page %s: %s", page.page_id, type(exc).__name__)
        page.leadgen_subscribed = False
        return False
    app_id = str(current_app.config.get("FACEBOOK_CLIENT_ID") or "")
    ours = [app for app in apps if not app_id or str(app.id) == app_id]
    page.leadgen_subscribed = any(not app.subscribed_fields or "leadgen" in app.subscribed_fields for app in ours)
    return page.leadgen_subscribed


def disconnect(platform: SocialPlatform) -> None:
    """Forget the tokens; pages and history stay so that nothing already stored loses its source."""
    platform.access_token = None
    platform.status = PlatformStatus.DISCONNECTED
    platform.status_reason = "Disconnected by an admin."
    for page in platform.pages:
        page.access_token = None
        page.leadgen_subscribed = False
    db.session.commit()


def check_tokens(warn_within: dt.timedelta = dt.timedelta(days=7)) -> dict[str, int]:
    """Daily: ask Meta about every active connection's token; dead ones need a reconnect, ones
    about to expire get a warning the Connections page shows."""
    graph = socials_state().graph()
    counts = {"checked": 0, "needs_reauth": 0, "expiring": 0}
    platforms = db.session.execute(sa.select(SocialPlatform).where(SocialPlatform.status == PlatformStatus.ACTIVE)).scalars()
    now = utcnow()
    for platform in platforms:
        counts["checked"] += 1
        info = graph.debug_token(platform.access_token or "")
        platform.token_checked_at = now
        if not info.is_valid:
            platform.status = PlatformStatus.NEEDS_REAUTH
            platform.status_reason = "Facebook says the token is no longer valid."
            counts["needs_reauth"] += 1
        elif info.expires_at and info.expires_at - now < warn_within:
            platform.status_reason = f"The token expires on {info.expires_at:%Y-%m-%d}; reconnect before then."
            counts["expiring"] += 1
        platform.token_expires_at = info.expires_at
    db.session.commit()
    return counts
