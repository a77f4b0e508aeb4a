"""The host's own routes: the front door and a health check for load balancers."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, url_for
from werkzeug.wrappers import Response

from plugins.core.extensions import db
from plugins.core.registry import platform_state

bp = Blueprint("core", __name__)


@bp.get("/")
def index() -> Response:
    return redirect(url_for(platform_state().home_endpoint()))


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers; says nothing else (it is public)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"}), 200
