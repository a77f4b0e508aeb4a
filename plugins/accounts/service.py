"""Creating users and tokens: used by the CLI and by tests."""

from __future__ import annotations

from plugins.accounts.models import ApiToken, User
from plugins.accounts.passwords import hash_password
from plugins.core.extensions import db


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.execute(db.select(User).filter_by(email=normalise_email(email))).scalar_one_or_none()


def create_admin(email: str, password: str, name: str | None = None) -> tuple[User, bool]:
    """Create an admin, or make an existing user an admin with this password. Returns (user, created)."""
    user = find_user(email)
    created = user is None
    if user is None:
        user = User(email=normalise_email(email), name=name)
        db.session.add(user)
    user.password_hash = hash_password(password)
    user.is_admin = True
    user.active = True
    user.session_version = (user.session_version or 0) + 1
    db.session.commit()
    return user, created


def issue_token(user: User, name: str = "api") -> str:
    row, token = ApiToken.issue(user, name=name)
    db.session.add(row)
    db.session.commit()
    return token
