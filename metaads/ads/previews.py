"""Meta's own preview of an ad in one placement (``GET /{ad_id}/previews?ad_format=...``,
meta-graph.md §5.7), asked for when an admin opens it, never on an ad's page load.

Meta answers with HTML: an ``<iframe>`` of www.facebook.com whose signed URL renders the ad, for
people with a role on the ad account, for about a day. We never put Meta's HTML on our page: we
read the iframe's address and size out of it, accept only an https address on
www.facebook.com, and draw our own iframe; the page that shows it allows that one origin as a
frame source and nothing else (our policy has no frames otherwise).
"""

from __future__ import annotations

import dataclasses
import html.parser
import typing as t
import urllib.parse

from metaads.ads import writes
from metaads.connections import graph_service
from metaads.graph.errors import GraphError
from metaads.models import Ad
from plugins.core.http import APIError

#: Where Meta's preview iframes come from: the only frame source a preview page allows.
PREVIEW_ORIGIN = "https://www.facebook.com"
#: The placements offered, as Ads Manager names them (Meta's ``ad_format`` values).
AD_FORMATS: dict[str, str] = {
    "MOBILE_FEED_STANDARD": "Facebook Feed (mobile)",
    "DESKTOP_FEED_STANDARD": "Facebook Feed (desktop)",
    "INSTAGRAM_STANDARD": "Instagram Feed",
    "FACEBOOK_STORY_MOBILE": "Facebook Stories",
    "INSTAGRAM_STORY": "Instagram Stories",
    "FACEBOOK_REELS_MOBILE": "Facebook Reels",
    "INSTAGRAM_REELS": "Instagram Reels",
    "MARKETPLACE_MOBILE": "Marketplace",
    "RIGHT_COLUMN_STANDARD": "Right column",
}
DEFAULT_FORMAT = "MOBILE_FEED_STANDARD"
#: Meta's iframes are at most this big; larger numbers in its HTML are not taken.
MAX_SIZE = 1200


@dataclasses.dataclass(frozen=True)
class Preview:
    ad_format: str
    src: str
    width: int
    height: int


def preview(ad: Ad, ad_format: str) -> Preview:
    """Meta's preview of ``ad`` in ``ad_format``: a dead token is a 409 (the connection needs
    re-auth), a format Meta refuses for this ad a 422 in Meta's words."""
    if ad_format not in AD_FORMATS:
        raise APIError(
            400,
            "validation_error",
            f"ad_format must be one of: {', '.join(AD_FORMATS)}.",
            {"fields": {"ad_format": ["unknown placement"]}},
        )
    token, platform_id = writes.connection(writes.account_of(ad))
    try:
        answer = graph_service().get_ad_preview(ad.meta_ad_id, ad_format, token)
    except GraphError as exc:
        raise writes.refusal(exc, platform_id) from None
    return from_html(answer.body, ad_format)


class _IframeReader(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe" and self.attrs is None:
            self.attrs = {name: value or "" for name, value in attrs}


def from_html(body: str, ad_format: str) -> Preview:
    """The iframe in Meta's answer, if it is one of www.facebook.com (502 otherwise: nothing of
    it is shown)."""
    reader = _IframeReader()
    reader.feed(body)
    attrs = reader.attrs or {}
    src = attrs.get("src", "")
    parts = urllib.parse.urlsplit(src)
    if parts.scheme != "https" or parts.netloc != urllib.parse.urlsplit(PREVIEW_ORIGIN).netloc:
        raise APIError(502, "bad_preview", "Meta's answer was not a preview we can show (no iframe of www.facebook.com).")
    return Preview(ad_format, src, _size(attrs.get("width"), 540), _size(attrs.get("height"), 690))


def _size(value: t.Any, default: int) -> int:
    text = str(value or "").strip().removesuffix("px")
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_SIZE else default
