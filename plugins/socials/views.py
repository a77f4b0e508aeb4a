"""Connections: every connected account with its status, scopes and pages."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import Blueprint

from plugins.accounts import require_admin
from plugins.core.extensions import db
from plugins.core.pages import respond
from plugins.socials.models import SocialPlatform
from plugins.socials.registry import socials_state

bp = Blueprint("socials", __name__, url_prefix="/admin/socials", template_folder="templates")
bp.before_request(require_admin)


def platform_json(platform: SocialPlatform) -> dict[str, t.Any]:
    required = socials_state().scopes
    return {
        "id": platform.id,
        "provider": platform.provider,
        "name": platform.name,
        "status": platform.status,
        "status_reason": platform.status_reason,
        "token_type": platform.token_type,
        "token_expires_at": platform.token_expires_at.isoformat() if platform.token_expires_at else None,
        "granted_scopes": platform.granted_scopes,
        "missing_scopes": [s for s in required if s not in (platform.granted_scopes or [])],
        "last_webhook_at": platform.last_webhook_at.isoformat() if platform.last_webhook_at else None,
        "last_synced_at": platform.last_synced_at.isoformat() if platform.last_synced_at else None,
        "pages": [
            {
                "page_id": page.page_id,
                "name": page.name,
                "leadgen_subscribed": page.leadgen_subscribed,
                "last_webhook_at": page.last_webhook_at.isoformat() if page.last_webhook_at else None,
            }
            for page in platform.pages
        ],
    }


@bp.get("/connections")
def connections() -> t.Any:
    platforms = db.session.execute(sa.select(SocialPlatform).order_by(SocialPlatform.id)).scalars().all()
    return respond(
        "socials/connections.html",
        {"connections": [platform_json(p) for p in platforms], "count": len(platforms)},
        platforms=platforms,
        required_scopes=socials_state().scopes,
    )
