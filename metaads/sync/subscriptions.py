"""Subscription health: a page that stops listing our app gets no lead webhooks, silently. Check
every connected page and re-subscribe the ones that dropped out."""

from __future__ import annotations

import logging

from metaads.connections import connected_pages
from plugins.core.extensions import db
from plugins.socials.connect import subscribe

log = logging.getLogger(__name__)


def check_subscriptions() -> dict[str, int]:
    counts = {"pages": 0, "subscribed": 0, "resubscribed": 0, "failed": 0}
    for page, _platform_id in connected_pages():
        was = page.leadgen_subscribed
        now = subscribe(page)
        counts["pages"] += 1
        counts["subscribed"] += int(now)
        counts["resubscribed"] += int(now and not was)
        if not now:
            counts["failed"] += 1
            log.warning("page %s is not subscribed to leadgen and could not be re-subscribed", page.page_id)
    db.session.commit()
    return counts
