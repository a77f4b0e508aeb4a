"""The shared Flask extensions, created unbound; the factory binds them to each app."""

from __future__ import annotations

import typing as t

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from plugins.core.http import has_bearer_header
from plugins.core.models import Base


class TokenAwareCSRFProtect(CSRFProtect):
    """CSRF protects cookie sessions. A request with a bearer token is judged by that token alone
    (the session is ignored), and browsers never add that header cross-site: no CSRF token needed."""

    def protect(self, *args: t.Any, **kwargs: t.Any) -> None:
        if has_bearer_header():
            return None
        return super().protect(*args, **kwargs)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = TokenAwareCSRFProtect()
