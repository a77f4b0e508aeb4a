"""One URL, two audiences: pages for browsers, JSON for clients; and one JSON error envelope."""

from __future__ import annotations

import typing as t

from flask import Flask, Response, g, jsonify, render_template, request
from flask_login import current_user
from jinja2 import TemplateNotFound
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
}


def has_bearer_header() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer")


def wants_json() -> bool:
    """JSON for token-authenticated clients and for anyone who prefers it over HTML."""
    if g.get("authenticated_by_token"):
        return True
    if request.is_json and request.method != "GET":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and (request.accept_mimetypes["application/json"] > request.accept_mimetypes["text/html"])


class APIError(HTTPException):
    """An error with a machine-readable code and details, rendered by ``handle_http_error``."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, t.Any] | None = None) -> None:
        super().__init__(description=message)
        self.code = status
        self.error_code = code
        self.details = details or {}


def error_body(
    status: int, message: str, *, code: str | None = None, details: dict[str, t.Any] | None = None
) -> dict[str, t.Any]:
    return {"error": {"code": code or ERROR_CODES.get(status, "error"), "message": message, "details": details or {}}}


def json_error(status: int, message: str, *, code: str | None = None, details: dict[str, t.Any] | None = None) -> Response:
    response = jsonify(error_body(status, message, code=code, details=details))
    response.status_code = status
    return response


def handle_http_error(exc: HTTPException) -> Response | tuple[str, int] | HTTPException:
    status = exc.code or 500
    message = exc.description or ""
    code = getattr(exc, "error_code", None)
    details = getattr(exc, "details", None)
    if wants_json():
        response = json_error(status, message, code=code, details=details)
        for name, value in exc.get_headers() or []:
            if name.lower() in ("allow", "retry-after", "www-authenticate"):
                response.headers[name] = value
        return response
    try:
        return render_template(f"errors/{status}.html", error=exc), status
    except TemplateNotFound:
        return render_template("errors/error.html", error=exc, status=status), status


def handle_validation_error(exc: ValidationError) -> Response | tuple[str, int]:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    if wants_json():
        return json_error(400, "The request is not valid.", code="validation_error", details={"fields": messages})
    return render_template("errors/error.html", error=exc, status=400, fields=messages), 400


def handle_unexpected_error(exc: Exception) -> Response | tuple[str, int]:
    # Lazy: plugins.core.extensions imports this module (has_bearer_header) at its top.
    from plugins.core.extensions import db

    db.session.rollback()
    if wants_json():
        return json_error(500, "Something went wrong on our side; it has been logged.")
    return render_template("errors/error.html", status=500, error=None), 500


def refuse_nul_characters() -> None:
    """A NUL character in a signed-in admin request's query string, form or JSON body is refused
    (400): no text needs one, and PostgreSQL cannot store or compare it (the query would fail: a
    500). Anonymous requests go on to their 401 first."""
    if not request.path.startswith("/admin/") or not current_user.is_authenticated:
        return None
    texts = [*request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts += [*request.form.keys(), *request.form.values()]
    body = request.get_data(cache=True) if request.is_json else b""
    if any("\x00" in text for text in texts) or b"\\u0000" in body or b"\x00" in body:
        raise APIError(400, "bad_request", "A NUL character is not allowed in a request.")
    return None


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    if not app.testing:
        # In tests an unexpected error must surface as the exception itself.
        app.register_error_handler(Exception, handle_unexpected_error)
