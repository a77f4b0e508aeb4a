"""Helpers every admin view uses: answer with a page or JSON, read paging arguments."""

from __future__ import annotations

import typing as t

from flask import jsonify, render_template, request
from werkzeug.wrappers import Response

from plugins.core.http import APIError, wants_json

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def respond(template: str, payload: dict[str, t.Any], status: int = 200, **context: t.Any) -> Response | tuple[str, int]:
    """The same URL serves a page to a browser and ``payload`` as JSON to a client that asks."""
    if wants_json():
        response = jsonify(payload)
        response.status_code = status
        return response
    return render_template(template, **{**payload, **context}), status


def paging_args() -> tuple[int, int]:
    limit = _int_arg("limit", DEFAULT_LIMIT)
    offset = _int_arg("offset", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise APIError(
            400, "validation_error", f"limit must be between 1 and {MAX_LIMIT}.", {"fields": {"limit": ["out of range"]}}
        )
    if offset < 0:
        raise APIError(400, "validation_error", "offset must not be negative.", {"fields": {"offset": ["out of range"]}})
    return limit, offset


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise APIError(
            400, "validation_error", f"{name} must be a whole number.", {"fields": {name: ["not an integer"]}}
        ) from None
