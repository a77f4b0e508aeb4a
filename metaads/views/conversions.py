"""``/admin/meta-ads/conversions``: the Conversions API for CRM settings (page and JSON), and the
"Send a test event" button."""

from __future__ import annotations

import typing as t

from flask import request, url_for
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from metaads.conversions.admin import change_settings
from metaads.conversions.delivery import send_test_event
from metaads.conversions.settings import STATUSES, current_settings, settings_dict
from metaads.graph.errors import GraphError, GraphTokenError
from metaads.views import bp
from plugins.core.extensions import db
from plugins.core.http import APIError, wants_json
from plugins.core.pages import back_on_error, done, request_body, respond

TEMPLATE = "metaads/conversions.html"
#: The stages a lead always reaches: the form refuses them empty (the others may be left blank).
REQUIRED_STAGES = ("new", "contacted", "qualified", "converted")


@bp.get("/conversions")
def conversions() -> t.Any:
    settings = current_settings()
    db.session.commit()  # the row, created with the defaults on first sight
    return respond(TEMPLATE, {"conversions": settings_dict(settings)}, statuses=STATUSES, errors={})


@bp.route("/conversions", methods=["PATCH", "POST"])
def conversions_update() -> t.Any:
    """JSON clients PATCH any of the fields; the page's form POSTs all of them. A bad value →
    400 (the error envelope, or the page with the form's errors) and nothing is applied."""
    body = request_body() if wants_json() else form_body(request.form)
    try:
        settings = change_settings(body)
    except ValidationError as exc:
        db.session.rollback()
        if wants_json():
            raise
        shown = settings_dict(current_settings()) | {k: v for k, v in body.items() if k != "stage_names"}
        shown["stage_names"] = body.get("stage_names", shown.get("stage_names"))
        errors = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return respond(TEMPLATE, {"conversions": shown}, 400, statuses=STATUSES, errors=errors)
    return done("Conversions API settings saved.", url_for("metaads.conversions"), {"conversions": settings_dict(settings)})


def form_body(form: MultiDict[str, str]) -> dict[str, t.Any]:
    """The form's fields in the JSON shape. A blank name of a stage every lead reaches stays ""
    (refused: that stage would silently stop), a blank one of disqualified/archived is null."""
    names = {}
    for status in STATUSES:
        value = form.get(f"stage_{status}", "").strip()
        names[status] = value if value or status in REQUIRED_STAGES else None
    return {
        "enabled": form.get("enabled") == "on",
        "dataset_id": form.get("dataset_id", "").strip() or None,
        "stage_names": names,
        "test_event_code": form.get("test_event_code", "").strip() or None,
    }


@bp.post("/conversions/test-event")
@back_on_error(lambda **_: url_for("metaads.conversions"))
def conversions_test_event() -> t.Any:
    settings = current_settings()
    back = url_for("metaads.conversions")
    try:
        result = send_test_event(settings)
    except GraphError as exc:
        if isinstance(exc, GraphTokenError):
            raise APIError(409, "needs_reauth", "Facebook refused the token: reconnect, then try again.") from exc
        raise meta_refusal(exc) from exc
    payload = {
        "test_event": {"events_received": result.events_received, "fbtrace_id": result.fbtrace_id, "lead_id": result.lead_id}
    }
    return done(f"Meta received {result.events_received} test event (trace {result.fbtrace_id}).", back, payload)


def meta_refusal(exc: GraphError) -> APIError:
    """Meta's refusal → 422 with Meta's user message and its codes."""
    return APIError(
        422,
        "meta_refused",
        exc.user_message or str(exc),
        {
            "meta": {
                "code": exc.code,
                "error_subcode": exc.subcode,
                "error_user_title": exc.user_title,
                "error_user_msg": exc.user_message,
            }
        },
    )
