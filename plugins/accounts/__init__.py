"""accounts: users with an admin flag, login/logout, API tokens (``Authorization: Bearer``)."""

from __future__ import annotations

from flask import Flask

from plugins.accounts import auth
from plugins.accounts.auth import admin_required, require_admin
from plugins.accounts.cli import cli
from plugins.accounts.passwords import make_hasher
from plugins.accounts.views import bp

__all__ = ["admin_required", "init_app", "require_admin"]

DEFAULTS = {
    #: Failed logins within the window that throttle one email / one address.
    "ACCOUNTS_LOGIN_WINDOW": 15 * 60,
    "ACCOUNTS_LOGIN_MAX_PER_EMAIL": 5,
    "ACCOUNTS_LOGIN_MAX_PER_IP": 50,
    #: argon2-cffi PasswordHasher parameters; its defaults (RFC 9106 low-memory) when None.
    "ACCOUNTS_ARGON2": None,
}


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions["password_hasher"] = make_hasher(app.config["ACCOUNTS_ARGON2"])
    auth.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(cli)
