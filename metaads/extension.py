"""The Flask extension: ``MetaAds(app)`` or ``MetaAds().init_app(app)``."""

from __future__ import annotations

import dataclasses
import typing as t

from flask import Flask, current_app

import metaads.models  # noqa: F401  (its tables must be known before migrations run)
from metaads import config, formatting, periodic, queues
from metaads.capture.outbound import on_status_changed
from metaads.capture.webhook import handle_leadgen, handle_malformed
from metaads.cli import cli
from metaads.connected import on_connected
from metaads.connections import connection_counts, graph_service
from metaads.conversions.delivery import on_leads_changed
from metaads.leads import registration
from metaads.signals import lead_received, lead_status_changed
from metaads.views import bp, register_menu
from plugins.core.registry import platform_state
from plugins.socials.registry import socials_state

#: The page a login lands on, and the site's root: the dashboard.
HOME = "metaads.dashboard"


@dataclasses.dataclass
class MetaAdsState:
    """What metaads keeps per app, in ``app.extensions["metaads"]``."""

    url_prefix: str
    #: The Graph service, built on first use (see ``metaads.connections.graph_service``).
    service: t.Any = None


class MetaAds:
    """Brings Meta's Marketing API (lead ads, ads, insights) into a platform with a socials module.

    Needs the host's ``socials`` plugin (OAuth tokens, the Facebook webhook endpoint) and the
    shared ``db``; registers the admin blueprint, the ``flask metaads`` commands, the extra OAuth
    scopes, the ``leadgen`` webhook handler, its job queues and periodic jobs, its menu entries
    and the home page.
    """

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if "metaads" in app.extensions:
            raise RuntimeError("A 'MetaAds' instance is already registered on this app. Use that instance instead.")
        if "socials" not in app.extensions:
            raise RuntimeError("metaads extends the socials plugin: load plugins.socials before MetaAds(app).")
        for key, value in config.DEFAULTS.items():
            app.config.setdefault(key, value)

        socials = socials_state(app)
        socials.register_scopes(config.SCOPES)
        socials.register_webhook_handler("leadgen", handle_leadgen)
        socials.register_malformed_handler(handle_malformed)
        socials.register_page_fields(["leadgen"])
        socials.register_connected_hook(on_connected)
        socials.graph_provider = graph_service
        socials.connection_context.append(connection_counts)
        app.register_blueprint(bp, url_prefix=app.config["METAADS_URL_PREFIX"])
        register_menu(app)
        platform_state(app).set_home(HOME)
        formatting.init_app(app)
        queues.register(app)
        periodic.register(app)
        registration.init_app(app)  # lead management: signed downloads, retention
        # weak=False: the receiver is a module function; connect once per app (sender=app).
        lead_status_changed.connect(on_status_changed, sender=app, weak=False)
        # The Conversions API sender, once the events written with the leads are committed.
        lead_received.connect(on_leads_changed, sender=app, weak=False)
        lead_status_changed.connect(on_leads_changed, sender=app, weak=False)
        app.cli.add_command(cli)
        app.extensions["metaads"] = MetaAdsState(url_prefix=app.config["METAADS_URL_PREFIX"])


def get_state() -> MetaAdsState:
    try:
        state: MetaAdsState = current_app.extensions["metaads"]
    except KeyError:
        raise RuntimeError("MetaAds is not initialised on this app: call MetaAds(app) in the factory.") from None
    return state
