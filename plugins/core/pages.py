"""The one home of view helpers: answer with a page or JSON (and, after a form post, a flash
message and a redirect), read paging arguments and request bodies, send a refused form back.

Browsers post forms and are redirected back with a flash message (POST-redirect-GET); the same
routes answer JSON clients with JSON.
"""

from __future__ import annotations

import functools
import typing as t
from collections.abc import Collection
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, jsonify, redirect, render_template, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from werkzeug.wrappers import Response

from plugins.core.extensions import db
from plugins.core.http import APIError, wants_json

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: Past any real list, and inside every database's OFFSET (a bigger one would be a 500).
MAX_OFFSET = 1_000_000_000
#: Form fields that are not data: the CSRF token, the method override, where to go back to.
FORM_ONLY = frozenset({"csrf_token", "_method", "next"})

V = t.TypeVar("V", bound=t.Callable[..., t.Any])


# --- answers ----------------------------------------------------------------------------------


def respond(template: str, payload: dict[str, t.Any], status: int = 200, **context: t.Any) -> Response | tuple[str, int]:
    """The same URL serves a page to a browser and ``payload`` as JSON to a client that asks."""
    if wants_json():
        response = jsonify(payload)
        response.status_code = status
        return response
    return render_template(template, **{**payload, **context}), status


def done(message: str, target: str, payload: dict[str, t.Any], *, status: int = 200, category: str = "success") -> Response:
    """The answer to a change: ``payload`` as JSON (with ``status``) to a client; to a browser,
    ``message`` as a flash and a redirect to ``target`` (303: the browser GETs it)."""
    if wants_json():
        response = jsonify(payload)
        response.status_code = status
        return response
    flash(message, category)
    return redirect(target, 303)


def back_on_error(back: t.Callable[..., str]) -> t.Callable[[V], V]:
    """A browser's form post that is refused (400, 404 of an id in it, 409) goes back to ``back``
    (called with the view's arguments) with the reason as a flash message; JSON clients get the
    error itself."""

    def decorate(view: V) -> V:
        @functools.wraps(view)
        def wrapped(**kwargs: t.Any) -> t.Any:
            try:
                return view(**kwargs)
            except (ValidationError, APIError) as exc:
                refused = isinstance(exc, ValidationError) or exc.code in (400, 404, 409)
                if wants_json() or not refused:
                    raise
                db.session.rollback()
                flash(error_text(exc), "error")
                return redirect(back(**kwargs), 303)

        return t.cast(V, wrapped)

    return decorate


def error_text(exc: ValidationError | APIError) -> str:
    """A refusal as one sentence for a flash message (``Field: problem. ...``)."""
    if isinstance(exc, APIError):
        return exc.description or "That did not work."
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    parts = []
    for field, problems in messages.items():
        flat = " ".join(str(p) for p in (problems.values() if isinstance(problems, dict) else problems))
        parts.append(flat if field == "_schema" else f"{field.replace('_', ' ').capitalize()}: {flat}")
    return " ".join(parts)


# --- reading the request ----------------------------------------------------------------------


def is_local_path(target: str | None) -> bool:
    """A path on this site, never another site: no scheme, no host, no ``//``, no backslash, no
    whitespace or control characters (browsers drop tabs and newlines from a URL, which would
    turn ``/<tab>/x`` into ``//x``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(char) < 33 or ord(char) == 127 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def next_or(default: str) -> str:
    """Where a posted form asks to go back to (its ``next`` field) when that is a path on this
    site, else ``default``."""
    wanted = request.form.get("next", "")
    return wanted if is_local_path(wanted) else default


def request_body(*, lists: Collection[str] = ()) -> dict[str, t.Any]:
    """A JSON object, or a submitted form without its non-data fields and blank values (the
    fields named in ``lists`` keep every value, the others their first)."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise APIError(400, "bad_request", "Send a JSON object.")
        return body
    data: dict[str, t.Any] = {}
    for key in request.form:
        if key in FORM_ONLY:
            continue
        values = [value for value in request.form.getlist(key) if value != ""]
        if values:
            data[key] = values if key in lists else values[0]
    return data


class PagingSchema(Schema):
    """Offset paging: ``limit`` rows (1–500, default 50) from ``offset`` (default 0)."""

    class Meta:
        unknown = EXCLUDE  # the other arguments of the query string are the route's own

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT, error=f"limit must be between 1 and {MAX_LIMIT}."),
        error_messages={"invalid": "limit must be a whole number."},
    )
    offset = fields.Integer(
        load_default=0,
        validate=validate.Range(0, MAX_OFFSET, error=f"offset must be between 0 and {MAX_OFFSET}."),
        error_messages={"invalid": "offset must be a whole number."},
    )


def paging_args() -> tuple[int, int]:
    given = {name: request.args[name] for name in ("limit", "offset") if request.args.get(name, "") != ""}
    try:
        paging = PagingSchema().load(given)
    except ValidationError as exc:
        problems = t.cast(dict[str, list[str]], exc.messages)
        raise APIError(400, "validation_error", " ".join(p[0] for p in problems.values()), {"fields": problems}) from None
    return paging["limit"], paging["offset"]


def offset_list(
    key: str, query: sa.Select[t.Any], order_by: t.Any, dump: t.Callable[[list[t.Any]], t.Any]
) -> tuple[dict[str, t.Any], list[t.Any]]:
    """One page of a short list with offset paging, as every list answers it
    (``{key: [...], "count": N, "limit": L, "offset": O}``), and the page's rows for the template."""
    limit, offset = paging_args()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.execute(query.order_by(*order_by).limit(limit).offset(offset)).scalars())
    return {key: dump(rows), "count": count, "limit": limit, "offset": offset}, rows
