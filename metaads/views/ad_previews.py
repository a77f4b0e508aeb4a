"""Meta's own preview of an ad (``GET /ads/<id>/preview``, page and JSON), asked for only when an
admin opens it (:mod:`metaads.ads.previews`). The page allows exactly one frame source, Meta's
www.facebook.com; every other page keeps the policy that allows none."""

from __future__ import annotations

import dataclasses
import typing as t

from flask import make_response, request
from marshmallow import Schema, fields, validate

from metaads.ads import previews
from metaads.models import Ad
from metaads.views import bp
from metaads.views.ad_forms import object_or_404
from plugins.core.apidoc import documented, one_of
from plugins.core.extensions import db
from plugins.core.http import APIError, wants_json
from plugins.core.pages import respond
from plugins.core.security import policy_with


class PreviewSchema(Schema):
    """Meta's preview of an ad: an iframe of www.facebook.com (``src``) for one placement."""

    ad_format = fields.String()
    src = fields.String(metadata={"description": "A signed www.facebook.com address, valid about a day."})
    width = fields.Integer()
    height = fields.Integer()


class PreviewQuery(Schema):
    ad_format = fields.String(
        load_default=previews.DEFAULT_FORMAT,
        validate=validate.OneOf(list(previews.AD_FORMATS)),
        metadata={"description": "The placement, one of Meta's ad_format values."},
    )


PREVIEW_ERRORS = {
    409: "`needs_reauth` / `not_connected`: the ad account's connection cannot be used",
    422: "`meta_refused`: Meta has no preview of this ad in that placement",
    429: "`rate_limited`: Meta asks us to slow down",
    502: "`bad_preview`: Meta's answer was not an iframe of www.facebook.com",
    503: "`meta_unavailable`: Meta did not answer properly",
}


@bp.get("/ads/<int:ad_id>/preview")
@documented(answers=one_of("preview", PreviewSchema), query=PreviewQuery, errors=PREVIEW_ERRORS)
def ad_preview(ad_id: int) -> t.Any:
    """Meta's own preview of the ad in one placement (``ad_format``), asked for now: an iframe
    of www.facebook.com, the one frame source this page allows."""
    ad = object_or_404(Ad, ad_id)
    ad_format = request.args.get("ad_format") or previews.DEFAULT_FORMAT
    try:
        shown: previews.Preview | None = previews.preview(ad, ad_format)
        error: APIError | None = None
    except APIError as exc:
        if wants_json():
            raise
        db.session.rollback()
        shown, error = None, exc
    payload = {"preview": dataclasses.asdict(shown) if shown else None}
    page = respond(
        "metaads/ads/preview.html",
        payload,
        ad_obj=ad,
        shown=shown,
        error=error,
        ad_format=ad_format,
        ad_formats=previews.AD_FORMATS,
        status=error.code if error and error.code else 200,
    )
    response = make_response(page)
    if shown is not None and not wants_json():
        response.headers["Content-Security-Policy"] = policy_with(frame_src=[previews.PREVIEW_ORIGIN])
    return response
