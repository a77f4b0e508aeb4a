"""metaads' configuration keys and their defaults (applied with ``setdefault`` in ``init_app``)."""

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
    #: Where the admin routes live (the seed's paths).
    "METAADS_URL_PREFIX": "/admin/meta-ads",
    #: The template metaads' pages extend: the host's layout.
    "METAADS_BASE_TEMPLATE": "base.html",
    #: Page size of admin lists when the client gives none.
    "METAADS_PAGE_SIZE": 50,
    #: Link every new lead to a Person (found by these keys, in order, or created).
    "METAADS_LINK_PERSONS": True,
    "METAADS_PERSON_MATCH_ON": ("email", "phone"),
    #: How often the reconciler reads every form's leads, and how far each pass reaches back
    #: before the end of the last one (leads can show up in Graph a little late).
    "METAADS_RECONCILE_INTERVAL": 600,
    "METAADS_RECONCILE_OVERLAP": 2 * 3600,
    #: New-lead emails: sent to the lead's assignee, else to these addresses. Nothing is sent
    #: without MAIL_SERVER. METAADS_PUBLIC_URL is where links in emails point.
    "METAADS_NOTIFY_TO": (),
    "METAADS_PUBLIC_URL": "http://127.0.0.1:5000",
    "MAIL_SERVER": None,
    "MAIL_PORT": 587,
    "MAIL_USE_TLS": True,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "metaads@localhost",
    #: CRM sync: [{"url": "https://crm.example/hooks/leads", "secret": "…", "events": [...]}].
    "METAADS_OUTBOUND_WEBHOOKS": (),
    #: Seconds a worker holds the inbox rows it claimed; renewed every quarter of it while the job
    #: runs, so a batch may take longer. A killed worker's rows are due again this long after.
    "METAADS_INBOX_LEASE": 20,
}
