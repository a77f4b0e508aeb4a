"""metaads' configuration: every ``METAADS_*`` key (and the mail settings it reads), its default
and what it means. ``MetaAds.init_app`` applies them with ``setdefault``; the platform's own keys
(``FACEBOOK_*``, ``REDIS_URL``, the one default Graph version …) are in ``plugins/core/settings.py``.
"""

from __future__ import annotations

import typing as t

#: The OAuth scopes metaads adds to the socials Facebook login: the seed's five, plus what lead
#: webhooks need to list pages, read them and subscribe the app to their leadgen field.
SCOPES = (
    "ads_read",
    "ads_management",
    "leads_retrieval",
    "pages_manage_ads",
    "business_management",
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_metadata",
)

DEFAULTS: dict[str, t.Any] = {
    # -- the admin pages --------------------------------------------------------------------------
    #: Where the admin routes live (the seed's paths).
    "METAADS_URL_PREFIX": "/admin/meta-ads",
    #: The template metaads' pages extend: the host's layout.
    "METAADS_BASE_TEMPLATE": "base.html",
    #: Page size of admin lists when the client gives none.
    "METAADS_PAGE_SIZE": 50,
    #: Counts stop at this many rows: beyond it a list says "10,000+" (``count_is_estimate``).
    "METAADS_COUNT_CAP": 10_000,
    # -- the Graph client -------------------------------------------------------------------------
    #: Seconds every Graph request may take.
    "METAADS_GRAPH_TIMEOUT": 30,
    #: Retries of a transient Graph failure (so up to this many + 1 attempts).
    "METAADS_GRAPH_MAX_RETRIES": 3,
    #: A usage percentage (Meta's usage headers) at or above which calls to that scope pause.
    "METAADS_GRAPH_USAGE_THRESHOLD": 90.0,
    # -- lead capture -----------------------------------------------------------------------------
    #: Seconds a worker holds the inbox rows it claimed; renewed every quarter of it while the job
    #: runs, so a batch may take longer. A killed worker's rows are due again this long after.
    "METAADS_INBOX_LEASE": 20,
    #: Seconds between two passes of the reconciler over every form's leads.
    "METAADS_RECONCILE_INTERVAL": 600,
    #: Seconds each reconciler pass reaches back before the end of the last (leads show up late).
    "METAADS_RECONCILE_OVERLAP": 2 * 3600,
    #: Link every new lead to a Person (found by ``METAADS_PERSON_MATCH_ON``, or created).
    "METAADS_LINK_PERSONS": True,
    #: The keys a lead's Person is found by, in order.
    "METAADS_PERSON_MATCH_ON": ("email", "phone"),
    #: CRM sync: [{"url": "https://crm.example/hooks/leads", "secret": "…", "events": [...]}].
    "METAADS_OUTBOUND_WEBHOOKS": (),
    # -- the ads sync ------------------------------------------------------------------------------
    #: Seconds between two scheduled syncs of every account's campaigns, ad sets and ads (each
    #: asks only for what Meta changed since the last).
    "METAADS_ADS_SYNC_INTERVAL": 1800,
    #: Seconds between two full passes of an account (every object read; deletions noticed).
    "METAADS_ADS_FULL_SYNC_INTERVAL": 86400,
    # -- new-lead emails (nothing is sent without MAIL_SERVER) -----------------------------------
    #: Who gets a new lead's email when it has no assignee.
    "METAADS_NOTIFY_TO": (),
    #: Where links in emails point.
    "METAADS_PUBLIC_URL": "http://127.0.0.1:5000",
    #: The SMTP server; None sends no email.
    "MAIL_SERVER": None,
    #: The SMTP port.
    "MAIL_PORT": 587,
    #: Whether to STARTTLS.
    "MAIL_USE_TLS": True,
    #: The SMTP login, if the server wants one.
    "MAIL_USERNAME": None,
    #: The SMTP password, if the server wants one.
    "MAIL_PASSWORD": None,
    #: The emails' From address.
    "MAIL_FROM": "metaads@localhost",
    # -- insights ---------------------------------------------------------------------------------
    #: Seconds between two passes over today and yesterday (Meta updates them through the day).
    "METAADS_INSIGHTS_RECENT_INTERVAL": 3600,
    #: Seconds between two passes over the trailing restatement window (nightly).
    "METAADS_INSIGHTS_RESTATE_INTERVAL": 24 * 3600,
    #: Days before today that Meta may still revise, read again by every restatement pass (max 28).
    "METAADS_INSIGHTS_RESTATE_DAYS": 28,
    #: Days read on an account's first sync (clamped to Meta's 37 months in the account's days).
    "METAADS_INSIGHTS_BACKFILL_DAYS": 90,
    #: Ranges of at most this many days use the synchronous edge; longer ones async report runs.
    "METAADS_INSIGHTS_SYNC_MAX_DAYS": 3,
    #: Days per async report run before any split.
    "METAADS_INSIGHTS_REPORT_DAYS": 31,
    #: Seconds between two polls of an async report run.
    "METAADS_INSIGHTS_POLL_SECONDS": 5.0,
    #: Seconds an async report run may take before it counts as stalled (retried, then split).
    "METAADS_INSIGHTS_JOB_TIMEOUT": 1800,
    #: Rows per page of insights (Meta's ``limit``).
    "METAADS_INSIGHTS_PAGE_SIZE": 500,
    #: Rows of an async report stored per statement (whole pages; the resume point follows them).
    "METAADS_INSIGHTS_STORE_ROWS": 2000,
    # -- lead management --------------------------------------------------------------------------
    #: Archived leads older than this many days (by ``created_time``) are anonymised; None keeps them.
    "METAADS_RETENTION_DAYS": None,
    #: Where export files are written; None means ``<instance>/exports``.
    "METAADS_EXPORT_DIR": None,
    #: How long a signed export link (and its file) lives, in seconds.
    "METAADS_EXPORT_LINK_MAX_AGE": 24 * 3600,
    # -- Conversions API for CRM (the dataset, stage names and switch are settings in the database) --
    #: Seconds without a new event before a part-filled batch goes out (full batches go at once):
    #: a burst of status changes becomes a few calls of 1,000 events, not one call per change.
    "METAADS_CONVERSIONS_LINGER": 5.0,
    #: The longest an event waits for its batch to fill while changes keep coming, in seconds.
    "METAADS_CONVERSIONS_MAX_WAIT": 30.0,
}
