"""How the ads routes answer a write: the choices a form offers, the form page with each refusal
next to its field, the verdict of a write (or of ``validate_only``), the audit history shown on
an object's page. :mod:`metaads.views.ads` holds the routes; :mod:`metaads.ads.writes` the writes."""

from __future__ import annotations

import dataclasses
import json
import typing as t
import uuid
from collections.abc import Callable

from flask import abort, render_template, request, url_for
from marshmallow import Schema, ValidationError, fields

from metaads.ads import writes
from metaads.ads.inputs import (
    BID_STRATEGIES,
    BILLING_EVENTS,
    DESTINATION_TYPES,
    LEAD_CALLS_TO_ACTION,
    ODAX_OBJECTIVES,
    OPTIMIZATION_GOALS,
    SPECIAL_AD_CATEGORIES,
)
from metaads.ads.store import AdObject
from metaads.models.enums import DeliveryStatus
from metaads.schemas import AdCampaignSchema, AdSchema, AdSetSchema, AdWriteSchema
from plugins.core.extensions import db
from plugins.core.http import APIError, wants_json
from plugins.core.pages import done, next_or, request_body

#: What the forms offer (the schemas are the rule; these are the choices a page shows).
CHOICES: dict[str, t.Any] = {
    "objectives": ODAX_OBJECTIVES,
    "special_ad_categories": SPECIAL_AD_CATEGORIES,
    "bid_strategies": BID_STRATEGIES,
    "billing_events": BILLING_EVENTS,
    "optimization_goals": OPTIMIZATION_GOALS,
    "destination_types": DESTINATION_TYPES,
    "calls_to_action": LEAD_CALLS_TO_ACTION,
}
#: What a write to Meta may answer besides its object (design.md, "Ads and insights").
WRITE_ERRORS = {
    400: "`validation_error`: what we judge ourselves; nothing was sent to Meta",
    409: "`needs_reauth` (the connection's token is dead), `not_connected`, `write_in_progress` (same Idempotency-Key)",
    422: "`meta_refused`: Meta's `error_user_msg`, with `details.meta` {code, error_subcode, error_user_title, error_user_msg}",
    429: "`rate_limited`: Meta asks us to slow down",
    502: "`answer_lost`: Meta's answer was lost and reading back did not find the change; nothing is sent twice",
}


def with_history(key: str, schema: type[Schema]) -> type[Schema]:
    """An object's detail answer: ``{key: {...}, "writes": [...]}`` (its audited writes)."""
    return Schema.from_dict(
        {key: fields.Nested(schema), "writes": fields.List(fields.Nested(AdWriteSchema))},
        name=f"{schema.__name__.removesuffix('Schema')}DetailAnswer",
    )


class CheckedSchema(Schema):
    """The answer to ``validate_only: true``: Meta would accept it; nothing was created or changed."""

    valid = fields.Boolean()
    message = fields.String()


#: Statuses one may set from a form (DELETED is terminal at Meta: not offered on pages).
FORM_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED")


KEYS = {"campaign": ("campaign", AdCampaignSchema), "adset": ("adset", AdSetSchema), "ad": ("ad", AdSchema)}
DETAIL = {"campaign": "metaads.campaign_detail", "adset": "metaads.adset_detail", "ad": "metaads.ad_detail"}
ID_ARG = {"campaign": "campaign_id", "adset": "adset_id", "ad": "ad_id"}
LABEL = {"campaign": "Campaign", "adset": "Ad set", "ad": "Ad"}


def detail_url(kind: str, row: AdObject) -> str:
    values: dict[str, t.Any] = {ID_ARG[kind]: row.id}
    return url_for(DETAIL[kind], **values)


def set_status(row: AdObject, status: str) -> t.Any:
    """Pause or resume ``row``. A browser goes back to the form's ``next`` (the dashboard's quick
    actions), else to the object's page."""
    kind = writes.kind_of(row)
    back = next_or(detail_url(kind, row))
    named = back != detail_url(kind, row)  # elsewhere, the message says which object it was about
    action = "pause" if status == "PAUSED" else "resume"

    def write() -> t.Any:
        writes.update(row, {"status": status}, action=action)
        text = f"{LABEL[kind]} {'paused' if status == 'PAUSED' else 'resumed'}."
        return written(kind, row, False, message=f"{row.name}: {text}" if named else text, back=back)

    return form_write(write, lambda errors, error, notice: flash_back(back, error, row.name if named else None))


def flash_back(back: str, error: APIError | None, name: str | None = None) -> t.Any:
    reason = (error.description if error else None) or "That did not work."
    return done(f"{name}: {reason}" if name else reason, back, {}, category="error")


@dataclasses.dataclass(frozen=True)
class Verdict:
    """Meta's answer to "Check with Meta": it would accept the write (nothing was done)."""

    message: str


def written(
    kind: str, row: AdObject | None, checked: bool, *, created: bool = False, message: str = "", back: str | None = None
) -> t.Any:
    if checked:
        return Verdict(f"Meta accepts this {LABEL[kind].lower()}: nothing was {'created' if created else 'changed'} yet.")
    assert row is not None
    key, schema = KEYS[kind]
    back = back or list_return() or detail_url(kind, row)
    text = message or f"{LABEL[kind]} {'created' if created else 'saved'} at Meta."
    return done(text, back, {key: schema().dump(row)}, status=201 if created else 200)


def list_return() -> str | None:
    """The list a change was made from (an inline budget edit's ``next``), to go back to it;
    None for anything but one of the ads lists."""
    wanted = request.form.get("next", "") if not request.is_json else ""
    lists = [url_for(endpoint) for endpoint in ("metaads.campaigns_index", "metaads.adsets_index", "metaads.ads_index")]
    safe = "//" not in wanted and "\\" not in wanted
    return wanted if safe and any(wanted == base or wanted.startswith(base + "?") for base in lists) else None


FormPage = Callable[[dict[str, t.Any], "APIError | None", "str | None"], t.Any]


def form_write(write: Callable[[], t.Any], form: FormPage) -> t.Any:
    """Run a write. A browser whose form is refused gets the form back with the reasons (400
    ours, 422 Meta's, 409 the connection's); a check gets it back with Meta's verdict."""
    try:
        answer = write()
    except ValidationError as exc:
        if wants_json():
            raise
        db.session.rollback()
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return with_status(form(messages, None, None), 400)
    except APIError as exc:
        if wants_json():
            raise
        db.session.rollback()
        field = (exc.details or {}).get("field")
        return with_status(form({field: [exc.description]} if field else {}, exc, None), exc.code or 400)
    if isinstance(answer, Verdict):
        return {"valid": True, "message": answer.message} if wants_json() else form({}, None, answer.message)
    return answer


def with_status(response: t.Any, status: int) -> t.Any:
    if isinstance(response, tuple):
        return response[0], status
    return response


def form_page(
    template: str,
    obj: t.Any,
    values: dict[str, t.Any],
    errors: dict[str, t.Any] | None,
    error: APIError | None,
    notice: str | None,
    **context: t.Any,
) -> t.Any:
    nested = {key: value for key, value in values.items() if not isinstance(value, dict)}
    for key, value in values.items():
        if isinstance(value, dict):
            nested.update({f"{key}.{inner}": item for inner, item in value.items()})
    return render_template(
        template,
        obj=obj,
        values=nested,
        errors=flat_errors(errors or {}),
        error=error,
        notice=notice,
        nonce=uuid.uuid4().hex,
        form_statuses=FORM_STATUSES,
        **CHOICES,
        **context,
    ), 200


def flat_errors(errors: dict[str, t.Any], prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for field, problems in errors.items():
        name = f"{prefix}{field}"
        if isinstance(problems, dict):
            flat.update(flat_errors(problems, f"{name}."))
        else:
            flat[name] = [str(p) for p in problems] if isinstance(problems, list) else [str(problems)]
    return flat


def write_body() -> tuple[dict[str, t.Any], str | None, bool]:
    """The fields of a write; its idempotency key (``Idempotency-Key`` header, or the form's
    nonce); whether it is only a check with Meta (``validate_only``)."""
    body = nest(request_body(lists=("special_ad_categories",)))
    key = request.headers.get("Idempotency-Key") or body.pop("idempotency_key", None)
    check = body.pop("validate_only", False)
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 255):
        raise APIError(
            400, "validation_error", "Idempotency-Key must be 1 to 255 characters.", {"fields": {"idempotency_key": ["bad key"]}}
        )
    return body, key, check in (True, 1, "1", "true", "on")


def nest(body: dict[str, t.Any]) -> dict[str, t.Any]:
    """A form's ``creative.message`` as ``{"creative": {"message": ...}}`` (JSON bodies nest already)."""
    out: dict[str, t.Any] = {}
    for key, value in body.items():
        if isinstance(key, str) and "." in key and not request.is_json:
            outer, inner = key.split(".", 1)
            out.setdefault(outer, {})[inner] = value
        else:
            out[key] = value
    return out


def form_values(row: t.Any, names: tuple[str, ...]) -> dict[str, t.Any]:
    values: dict[str, t.Any] = {}
    for name in names:
        value = getattr(row, name)
        if name == "targeting" and value is not None:
            value = json.dumps(value)
        elif hasattr(value, "isoformat"):
            value = value.strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, DeliveryStatus):
            value = value.value
        values[name] = value
    return values


def history_json(row: t.Any) -> list[dict[str, t.Any]]:
    return t.cast(list[dict[str, t.Any]], AdWriteSchema(many=True).dump(writes.history(row)))


def object_or_404(model: type[t.Any], object_id: int) -> t.Any:
    return db.session.get(model, object_id) or abort(404, description=f"No such {model.__name__}.")
