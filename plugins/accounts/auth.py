"""Who is asking: a session (browser) or an API token (``Authorization: Bearer``); and the guard
every admin route goes through."""

from __future__ import annotations

import datetime as dt
import functools
import typing as t

from flask import Flask, Response, abort, g, redirect, request, url_for
from flask_login import current_user

from plugins.accounts.models import ApiToken, User
from plugins.core.extensions import csrf, db, login_manager
from plugins.core.http import has_bearer_header, json_error, wants_json
from plugins.core.models import utcnow

#: Writing last_used_at on every API call would turn reads into writes; once a minute is enough.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def load_session_user(user_id: str) -> User | None:
    if has_bearer_header():
        return None  # a request that carries a token is judged by the token alone
    raw_id, _, version = user_id.partition(":")
    if not raw_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def load_token_user(_request: t.Any) -> User | None:
    token = bearer_token()
    if token is None or len(token) > 200:
        return None
    row = db.session.execute(db.select(ApiToken).filter_by(token_hash=ApiToken.hash(token))).scalar_one_or_none()
    now = utcnow()
    if row is None or not row.usable(now) or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        db.session.commit()
    g.authenticated_by_token = True
    return row.user


def unauthorized() -> Response:
    if wants_json() or has_bearer_header():
        response = json_error(401, "Log in, or send a valid API token as 'Authorization: Bearer <token>'.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="admin"'
        return response
    return t.cast(Response, redirect(url_for("accounts.login", next=request.full_path.rstrip("?"))))


def require_admin() -> Response | None:
    """A ``before_request`` guard: blueprints that hold admin routes install it for every route."""
    if not current_user.is_authenticated:
        return unauthorized()
    if not current_user.is_admin:
        abort(403, description="This page is for administrators.")
    return None


def admin_required(view: F) -> F:
    @functools.wraps(view)
    def wrapped(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return require_admin() or view(*args, **kwargs)

    csrf.login_first(wrapped)
    return t.cast(F, wrapped)


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(load_token_user)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    csrf.login_first(require_admin)
