"""What lead management adds to an app: the public download route for signed export links, the
leads section of the Person page, and its periodic jobs (export cleanup, retention). Its settings
are in ``metaads.config``."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from metaads import persons as lead_persons
from metaads.leads import downloads, retention
from metaads.queues import LOW
from plugins.core.registry import PeriodicJob, platform_state
from plugins.persons import persons_state


def init_app(app: Flask) -> None:
    """Called once per app when the metaads blueprint is registered."""
    # The signed link must work without a session, so it lives outside the admin blueprint
    # (whose every route requires an admin); its signature is its authentication.
    app.register_blueprint(downloads.public_bp, url_prefix=app.config["METAADS_URL_PREFIX"])
    persons = persons_state(app)
    persons.register_section(lead_persons.leads_section)  # the Person page lists their leads
    persons.source_labels["metaads"] = lead_persons.person_source(None)  # Persons made before sources were words
    state = platform_state(app)
    state.add_periodic_job(
        PeriodicJob("metaads-delete-expired-exports", downloads.delete_expired_exports, dt.timedelta(hours=1), queue=LOW)
    )
    state.add_periodic_job(
        PeriodicJob("metaads-anonymise-expired-leads", retention.anonymise_expired_leads, dt.timedelta(days=1), queue=LOW)
    )
