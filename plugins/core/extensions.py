"""The shared Flask extensions, created unbound; the factory binds them to each app."""

from __future__ import annotations

import typing as t

from flask import current_app, request
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from plugins.core.http import has_bearer_header
from plugins.core.models import Base


class TokenAwareCSRFProtect(CSRFProtect):
    """CSRF protects cookie sessions. A request with a bearer token is judged by that token alone
    (the session is ignored), and browsers never add that header cross-site: no CSRF token needed.

    Authentication comes before CSRF on the routes a login guard protects (``login_first``): an
    anonymous request there is left to the guard, which answers it as it answers a GET (401, or
    the login redirect). It changes nothing, so skipping its CSRF check opens nothing; a logged-in
    browser's forms are still checked. Routes open to anonymous users (the login form) keep
    CSRF first."""

    def __init__(self) -> None:
        super().__init__()
        self._login_guards: set[t.Callable[..., t.Any]] = set()

    def login_first(self, guard: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """Mark a ``before_request`` guard, or a view that guards itself, as one that turns away
        anonymous requests: where it applies, authentication is checked before CSRF."""
        self._login_guards.add(guard)
        return guard

    def protect(self, *args: t.Any, **kwargs: t.Any) -> None:
        if has_bearer_header():
            return None
        if self._behind_login_guard() and not current_user.is_authenticated:
            return None
        return super().protect(*args, **kwargs)

    def _behind_login_guard(self) -> bool:
        app = current_app
        view = app.view_functions.get(request.endpoint or "")
        guards = [guard for name in request.blueprints for guard in app.before_request_funcs.get(name, ())]
        return view in self._login_guards or any(guard in self._login_guards for guard in guards)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = TokenAwareCSRFProtect()
