"""The host platform's core: the one app factory, shared extensions, jobs, HTTP conventions."""

from __future__ import annotations

import typing as t
from pathlib import Path

from flask import Flask, has_request_context, request, url_for

# Imported for their effects too: sqlite tunes connections; failures' table must be known to migrations.
from plugins.core import cli_errors, crypto, failures, http, jobs, migrations, security, settings, sqlite  # noqa: F401
from plugins.core.extensions import csrf, db, login_manager, migrate
from plugins.core.registry import PlatformState, load_extensions, load_plugins, platform_state
from plugins.core.views import bp

ROOT = Path(__file__).resolve().parents[2]

__all__ = ["create_app", "db", "platform_state"]


def create_app(config: t.Mapping[str, t.Any] | None = None) -> Flask:
    """Build the platform. Every process uses this: web, CLI, workers, tests.

    Configuration comes from the defaults, then ``FLASK_*`` and design.md's environment variables,
    then ``config`` (tests pass their settings here). The platform's plugins load first, then the
    extensions the configuration names (``PLATFORM_EXTENSIONS``; ``wsgi.py`` chooses them).
    """
    app = Flask(
        "plugins.core",
        template_folder=str(ROOT / "templates"),
        static_folder=str(Path(__file__).parent / "static"),
        instance_path=str(ROOT / "instance"),
    )
    explicit = settings.overrides(config)
    relaxed = bool(explicit.get("DEBUG", app.debug) or explicit.get("TESTING"))
    app.config.from_mapping(settings.defaults(app.instance_path))
    app.config.update(settings.mode_defaults(relaxed=relaxed))
    app.config.update(explicit)
    settings.check(app.config, relaxed=relaxed)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.extensions["platform"] = PlatformState()
    _init_extensions(app)
    load_plugins(app, app.config["PLATFORM_PLUGINS"])
    load_extensions(app, app.config["PLATFORM_EXTENSIONS"])
    cli_errors.install(app)  # last: every plugin's and extension's commands are registered by now
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=migrations.compare_type,
        render_item=migrations.render_item,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    crypto.init_app(app)
    jobs.init_app(app)
    http.init_app(app)
    security.init_app(app)
    app.context_processor(_layout_context)
    app.register_blueprint(bp)


def _layout_context() -> dict[str, t.Any]:
    state = platform_state()
    banners = [banner for provider in state.banners if (banner := provider()) is not None]
    current = state.current_menu_item(request.path, url_for) if has_request_context() else None
    return {
        "admin_menu": state.admin_menu,
        "banners": banners,
        "home_endpoint": state.home_endpoint(),
        "current_menu_item": current,
    }
