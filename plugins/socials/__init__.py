"""socials: the SocialPlatform connection (Facebook OAuth tokens, pages) and its extension points."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Flask, url_for
from flask_login import current_user

from plugins.core.extensions import db
from plugins.core.registry import PeriodicJob, platform_state
from plugins.socials.cli import cli
from plugins.socials.connect import check_tokens
from plugins.socials.models import PlatformStatus, SocialPage, SocialPlatform
from plugins.socials.registry import SocialsState, socials_state
from plugins.socials.views import bp
from plugins.socials.webhooks import WebhookReceiver
from plugins.socials.webhooks import bp as webhooks_bp

__all__ = ["SocialPage", "SocialPlatform", "init_app", "socials_state"]


def reauth_banner() -> dict[str, str] | None:
    """Shown on every admin page while a connection's token is dead."""
    if not current_user.is_authenticated:
        return None
    broken = db.session.execute(
        sa.select(SocialPlatform.name).where(SocialPlatform.status == PlatformStatus.NEEDS_REAUTH).limit(1)
    ).scalar_one_or_none()
    if broken is None:
        return None
    return {
        "level": "error",
        "message": f"The connection “{broken}” lost access to Facebook. Leads wait safely until you reconnect.",
        "action_url": url_for("socials.connections"),
        "action_label": "Reconnect",
    }


def init_app(app: Flask) -> None:
    app.extensions["socials"] = SocialsState()
    app.register_blueprint(bp)
    app.register_blueprint(webhooks_bp)
    app.wsgi_app = WebhookReceiver(app, app.wsgi_app)  # type: ignore[method-assign]
    app.cli.add_command(cli)
    state = platform_state(app)
    state.add_menu_item("Connections", "socials.connections", order=50)
    state.banners.append(reauth_banner)
    state.add_periodic_job(PeriodicJob("socials-check-tokens", check_tokens_on_schedule, dt.timedelta(days=1)))


def check_tokens_on_schedule() -> dict[str, int]:
    return check_tokens()
