"""The Flask extension: ``MetaAds(app)`` or ``MetaAds().init_app(app)``."""

from __future__ import annotations

import dataclasses

from flask import Flask, current_app

from metaads import config


@dataclasses.dataclass
class MetaAdsState:
    """What metaads keeps per app, in ``app.extensions["metaads"]``."""

    url_prefix: str


class MetaAds:
    """Brings Meta's Marketing API (lead ads, ads, insights) into a platform with a socials module.

    Needs the host's ``socials`` plugin (OAuth tokens, the Facebook webhook endpoint) and the
    shared ``db``; registers the admin blueprint, the ``flask metaads`` commands, the extra OAuth
    scopes and the ``leadgen`` webhook handler.
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

        import metaads.models  # noqa: F401  (tables must be known before migrations run)
        from metaads.cli import cli
        from metaads.views import bp, register_menu
        from plugins.socials.registry import socials_state

        socials_state(app).register_scopes(config.SCOPES)
        app.register_blueprint(bp, url_prefix=app.config["METAADS_URL_PREFIX"])
        register_menu(app)
        app.cli.add_command(cli)
        app.extensions["metaads"] = MetaAdsState(url_prefix=app.config["METAADS_URL_PREFIX"])


def get_state() -> MetaAdsState:
    try:
        state: MetaAdsState = current_app.extensions["metaads"]
    except KeyError:
        raise RuntimeError("MetaAds is not initialised on this app: call MetaAds(app) in the factory.") from None
    return state
