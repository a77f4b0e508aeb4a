"""What follows a (re)connect: ad accounts, lead forms and the accounts' ads are read, leads that waited for the
token are processed, and the reconciler backfills each new form's last 90 days."""

from __future__ import annotations

import logging

from metaads.capture.reconcile import start_reconcile
from metaads.capture.sweeper import resume_after_reconnect
from metaads.sync.accounts import sync_ad_accounts
from metaads.sync.ads import sync_ads
from metaads.sync.forms import sync_lead_forms
from metaads.sync.runs import SYNC_TIMEOUT
from plugins.core import jobs

log = logging.getLogger(__name__)


def on_connected(platform_id: int) -> None:
    """socials' connected hook: the work is a job, so connecting answers at once."""
    jobs.enqueue(first_sync, platform_id, queue="metaads-default", timeout=SYNC_TIMEOUT)


def first_sync(platform_id: int) -> None:
    resumed = resume_after_reconnect(platform_id)
    if resumed:
        log.info("resumed %d leads that waited for connection %s", resumed, platform_id)
    sync_ad_accounts(platform_id=platform_id, trigger="connect")
    sync_lead_forms(platform_id=platform_id, trigger="connect")
    sync_ads(platform_id=platform_id, trigger="connect")  # after forms: an ad's form gets its account
    start_reconcile(trigger="connect")
