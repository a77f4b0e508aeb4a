"""What lead management adds to an app: its configuration defaults, the public download route for
signed export links, the leads section of the Person page, and its periodic jobs (export cleanup, retention)."""

from __future__ import annotations

import datetime as dt
import typing as t

from flask import Flask

#: Configuration keys read by this package, with their defaults (applied with ``setdefault``).
DEFAULTS: dict[str, t.Any] = {
    #: Archived leads older than this many days (by ``created_time``) are anonymised; None keeps them.
    "METAADS_RETENTION_DAYS": None,
    #: Counts stop at this many rows: beyond it a list says "10,000+" (``count_is_estimate``).
    "METAADS_COUNT_CAP": 10_000,
    #: Where export files are written; None means ``<instance>/exports``.
    "METAADS_EXPORT_DIR": None,
    #: How long a signed export link (and its file) lives, in seconds.
    "METAADS_EXPORT_LINK_MAX_AGE": 24 * 3600,
}


def init_app(app: Flask) -> None:
    """Called once per app when the metaads blueprint is registered."""
    from metaads.leads import downloads, person_section, retention
    from plugins.core.registry import PeriodicJob, platform_state
    from plugins.persons import persons_state

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    # The signed link must work without a session, so it lives outside the admin blueprint
    # (whose every route requires an admin); its signature is its authentication.
    app.register_blueprint(downloads.public_bp, url_prefix=app.config["METAADS_URL_PREFIX"])
    persons = persons_state(app)
    persons.register_section(person_section.leads_section)  # the Person page lists their leads
    persons.source_labels["metaads"] = person_section.person_source(None)  # Persons made before sources were words
    state = platform_state(app)
    state.add_periodic_job(PeriodicJob("metaads-delete-expired-exports", downloads.delete_expired_exports, dt.timedelta(hours=1)))
    state.add_periodic_job(
        PeriodicJob("metaads-anonymise-expired-leads", retention.anonymise_expired_leads, dt.timedelta(days=1))
    )
