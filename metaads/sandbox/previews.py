"""Ad previews: ``GET /{ad_id}/previews?ad_format=...`` and the same edge on a creative
(meta-graph.md §5.7). Meta answers ``{"data": [{"body": "<iframe ...>"}]}``: an iframe of
``www.facebook.com`` whose signed URL renders the ad in that placement for people with a role on
the ad account."""

from __future__ import annotations

import hashlib
import html
import typing as t

from metaads.sandbox.accounts import ADS_READ
from metaads.sandbox.ads import _account_of
from metaads.sandbox.errors import missing_param
from metaads.sandbox.routing import Call, require_enum, route

#: The placements of Meta's ``ad_format`` enum a lead ad is previewed in (Meta has about 80),
#: with the iframe size Meta gives each.
AD_FORMATS: dict[str, tuple[int, int]] = {
    "DESKTOP_FEED_STANDARD": (540, 690),
    "MOBILE_FEED_STANDARD": (320, 510),
    "MOBILE_FEED_BASIC": (320, 510),
    "RIGHT_COLUMN_STANDARD": (300, 250),
    "MARKETPLACE_MOBILE": (320, 510),
    "INSTAGRAM_STANDARD": (320, 600),
    "INSTAGRAM_STORY": (320, 570),
    "INSTAGRAM_REELS": (320, 570),
    "INSTAGRAM_EXPLORE_GRID_HOME": (320, 510),
    "FACEBOOK_STORY_MOBILE": (320, 570),
    "FACEBOOK_REELS_MOBILE": (320, 570),
    "MESSENGER_MOBILE_INBOX_MEDIA": (320, 510),
    "AUDIENCE_NETWORK_OUTSTREAM_VIDEO": (320, 510),
}


@route("ad", "previews", "GET", scope=ADS_READ)
@route("creative", "previews", "GET", scope=ADS_READ)
def previews(call: Call) -> dict[str, t.Any]:
    _account_of(call)
    ad_format = call.get("ad_format")
    if ad_format is None:
        raise missing_param("ad_format")
    require_enum(call, "ad_format", ad_format, AD_FORMATS)
    width, height = AD_FORMATS[ad_format]
    # Meta's URL carries an opaque, expiring signature of what to render (d) and a token (t).
    day = int(call.state.now()) // 86400
    signed = hashlib.sha256(f"{call.node_id}:{ad_format}:{day}".encode()).hexdigest()[:40]
    src = f"https://www.facebook.com/ads/api/preview_iframe.php?d=AQ{signed}&t=AQ{signed[::-1]}"
    body = f'<iframe src="{html.escape(src)}" width="{width}" height="{height}" scrolling="yes" style="border: none;"></iframe>'
    return {"data": [{"body": body}]}
