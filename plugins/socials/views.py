"""Connections: every connected account with its status, scopes and pages."""

from __future__ import annotations

import hmac
import logging
import secrets
import typing as t
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from plugins.accounts import require_admin
from plugins.core.apidoc import documented, one_of
from plugins.core.extensions import db
from plugins.core.http import wants_json
from plugins.core.pages import respond
from plugins.socials.connect import ConnectError, ConnectResult, connect_with_token, disconnect, subscribe
from plugins.socials.models import SocialPage, SocialPlatform
from plugins.socials.registry import socials_state
from plugins.socials.schemas import ConnectionListSchema, ConnectionSchema, SubscribedSchema

log = logging.getLogger(__name__)

bp = Blueprint("socials", __name__, url_prefix="/admin/socials", template_folder="templates")
bp.before_request(require_admin)


def platform_json(platform: SocialPlatform) -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], ConnectionSchema().dump(platform))


@bp.get("/connections")
@documented(answers=ConnectionListSchema)
def connections() -> t.Any:
    platforms = db.session.execute(sa.select(SocialPlatform).order_by(SocialPlatform.id)).scalars().all()
    extra: dict[str, t.Any] = {"forms_by_page": {}, "accounts_by_platform": {}}
    for provide in socials_state().connection_context:
        extra.update(provide())
    return respond(
        "socials/connections.html",
        {"connections": [platform_json(p) for p in platforms], "count": len(platforms)},
        platforms=platforms,
        required_scopes=socials_state().scopes,
        **extra,
    )


# -- connecting -------------------------------------------------------------------------------


@bp.get("/connect")
def connect() -> Response:
    """Send the admin to Facebook's login dialog with every scope the platform needs."""
    if not current_app.config.get("FACEBOOK_CLIENT_ID"):
        flash("FACEBOOK_CLIENT_ID is not set: the platform has no Facebook app to connect with.", "error")
        return redirect(url_for("socials.connections"))
    state = secrets.token_urlsafe(32)
    session["socials_oauth_state"] = state
    query = urlencode(
        {
            "client_id": current_app.config["FACEBOOK_CLIENT_ID"],
            "redirect_uri": redirect_uri(),
            "state": state,
            "scope": ",".join(socials_state().scopes),
            "response_type": "code",
            # Ask again for permissions declined earlier (a reconnect must be able to fix them).
            "auth_type": "rerequest",
        }
    )
    base = current_app.config["FACEBOOK_DIALOG_URL"].rstrip("/")
    return redirect(f"{base}/{current_app.config['FACEBOOK_GRAPH_VERSION']}/dialog/oauth?{query}")


@bp.get("/callback")
def callback() -> Response:
    expected = session.pop("socials_oauth_state", None)
    if not expected or not hmac.compare_digest(str(expected), request.args.get("state", "")):
        flash("That Facebook login did not start here (or took too long). Try Connect again.", "error")
        return redirect(url_for("socials.connections"))
    if request.args.get("error"):
        flash("Facebook login was cancelled; nothing changed.", "info")
        return redirect(url_for("socials.connections"))
    code = request.args.get("code", "")
    try:
        graph = socials_state().graph()
        short = graph.exchange_code(code, redirect_uri())
        token = graph.exchange_long_lived(short.access_token).access_token
        result = connect_with_token(token, connected_by=current_user.id)
    except ConnectError as exc:
        flash(str(exc), "error")
        return redirect(url_for("socials.connections"))
    except Exception as exc:  # every Graph failure ends on the page with a message, never a 500
        log.warning("Facebook connect failed: %s", type(exc).__name__)
        flash(f"Facebook did not complete the connection ({type(exc).__name__}). Try again.", "error")
        return redirect(url_for("socials.connections"))
    flash(connected_message(result), "success" if not result.missing_scopes else "error")
    return redirect(url_for("socials.connections"))


@bp.post("/connections/<int:platform_id>/disconnect")
@documented(answers=one_of("connection", ConnectionSchema))
def disconnect_view(platform_id: int) -> t.Any:
    platform = db.session.get(SocialPlatform, platform_id) or abort(404, description="No such connection.")
    disconnect(platform)
    if wants_json():
        return {"connection": platform_json(platform)}
    flash(f"Disconnected {platform.name}. Leads already stored stay.", "info")
    return redirect(url_for("socials.connections"))


@bp.post("/pages/<int:page_row_id>/subscribe")
@documented(answers=SubscribedSchema)
def subscribe_view(page_row_id: int) -> t.Any:
    page = db.session.get(SocialPage, page_row_id) or abort(404, description="No such page.")
    ok = subscribe(page)
    db.session.commit()
    if wants_json():
        return {"page_id": page.page_id, "leadgen_subscribed": ok}
    flash(
        f"{page.name}: {'subscribed to leads ✓' if ok else 'could not subscribe; check the page role and permissions'}.",
        "success" if ok else "error",
    )
    return redirect(url_for("socials.connections"))


def redirect_uri() -> str:
    return str(current_app.config.get("SOCIALS_OAUTH_REDIRECT_URI") or url_for("socials.callback", _external=True))


def connected_message(result: ConnectResult) -> str:
    text = f"Connected: {result.pages} pages, {result.subscribed} subscribed to leads."
    if result.missing_scopes:
        text += " Missing permissions: " + ", ".join(result.missing_scopes) + ". Reconnect and accept them."
    return text
