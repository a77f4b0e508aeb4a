"""Configuration of the host platform: defaults, and the environment variables of design.md.

Only this module reads ``os.environ``; everything else reads ``app.config``.
"""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

import click
from flask import Config


class ConfigError(click.ClickException, RuntimeError):
    """A setting is missing or wrong; the message says what to set.

    A ``click.ClickException`` so that every ``flask --app wsgi ...`` command, including one whose
    app cannot even be built, ends with this one line and exit status 1 instead of a traceback.
    """


#: The development secret. The factory refuses it unless the app runs in debug or testing mode.
DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"  # noqa: S105 (refused in production)

#: Environment variable → config key, for the names design.md fixes.
ENVIRONMENT_KEYS: dict[str, str] = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "REDIS_URL": "REDIS_URL",
    "SECRET_KEY": "SECRET_KEY",
    "FACEBOOK_CLIENT_ID": "FACEBOOK_CLIENT_ID",
    "FACEBOOK_CLIENT_SECRET": "FACEBOOK_CLIENT_SECRET",
    "FACEBOOK_WEBHOOK_VERIFY_TOKEN": "FACEBOOK_WEBHOOK_VERIFY_TOKEN",
    "FACEBOOK_GRAPH_URL": "FACEBOOK_GRAPH_URL",
    "FACEBOOK_GRAPH_VERSION": "FACEBOOK_GRAPH_VERSION",
    "FACEBOOK_DIALOG_URL": "FACEBOOK_DIALOG_URL",
    "TOKEN_ENCRYPTION_KEY": "TOKEN_ENCRYPTION_KEY",
}


def defaults(instance_path: str) -> dict[str, t.Any]:
    """The embedded default: SQLite under ``instance/``, jobs in-process, nothing to configure."""
    return {
        "SECRET_KEY": DEV_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(Path(instance_path) / "platform.db"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": None,
        # "rq" with Redis, "thread" for the in-process worker, "eager" to run at enqueue (tests).
        "JOBS_MODE": None,
        "TOKEN_ENCRYPTION_KEY": None,
        "FACEBOOK_CLIENT_ID": None,
        "FACEBOOK_CLIENT_SECRET": None,
        "FACEBOOK_WEBHOOK_VERIFY_TOKEN": None,
        "FACEBOOK_GRAPH_URL": "https://graph.facebook.com",
        # Marketing API versions expire about a year after release (v24.0 expired 2026-11-10);
        # v26.0 shipped 2026-07-29 and is what the official SDK speaks.
        "FACEBOOK_GRAPH_VERSION": "v26.0",
        "FACEBOOK_DIALOG_URL": "https://www.facebook.com",
        # A webhook batch of 1000 leadgen changes is about 0.25 MB; nothing we accept is larger.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "PLATFORM_PLUGINS": ["plugins.accounts", "plugins.persons", "plugins.socials"],
        # Extensions loaded after the plugins, each "module:object" called with the app; the
        # deployment names them (wsgi.py), the platform knows none.
        "PLATFORM_EXTENSIONS": [],
        "PLATFORM_NAME": "Platform",
    }


def from_environ(environ: t.Mapping[str, str] | None = None) -> dict[str, t.Any]:
    """Read design.md's variables; an empty value counts as unset."""
    environ = os.environ if environ is None else environ
    config = {key: environ[name] for name, key in ENVIRONMENT_KEYS.items() if environ.get(name)}
    if "SQLALCHEMY_DATABASE_URI" in config:
        config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    return config


def normalise_database_url(url: str) -> str:
    """Let operators write ``postgres://`` or ``postgresql://``; we drive PostgreSQL with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def overrides(config: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
    """Everything set explicitly: ``FLASK_*`` variables, design.md's variables, then ``config``."""
    prefixed = Config(".")
    prefixed.from_prefixed_env()
    return {**prefixed, **from_environ(), **(config or {})}


def mode_defaults(*, relaxed: bool) -> dict[str, t.Any]:
    """Secure cookies in production; plain-HTTP cookies only where a developer runs locally
    (debug) or in tests. Explicit settings override these (e.g. a plain-HTTP intranet)."""
    return {
        "SESSION_COOKIE_SECURE": not relaxed,
        # The __Host- prefix makes browsers refuse the cookie unless Secure, host-only and Path=/.
        "SESSION_COOKIE_NAME": "platform_session" if relaxed else "__Host-session",
    }


def check(config: t.MutableMapping[str, t.Any], *, relaxed: bool) -> None:
    if config["SECRET_KEY"] == DEV_SECRET_KEY and not relaxed:
        raise ConfigError(
            "SECRET_KEY is the development value. Set the SECRET_KEY environment variable, "
            "or run in debug mode (flask --app wsgi --debug ...) for local use."
        )
    if config["JOBS_MODE"] is None:
        config["JOBS_MODE"] = "rq" if config["REDIS_URL"] else "thread"
    if str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql+psycopg"):
        # psycopg prepares a statement after five runs and PostgreSQL may then keep a generic plan
        # chosen while a table was small; the upserts slowed down as the leads table grew.
        options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"prepare_threshold": None, **options.get("connect_args", {})}
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
