"""Users, API tokens and the log of login attempts."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugins.core.extensions import db
from plugins.core.models import BigIntPK, Timestamps, utcnow

TOKEN_PREFIX = "mat_"  # noqa: S105 (a prefix that makes leaked tokens easy to recognise, not a secret)


class User(UserMixin, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "accounts_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)  # stored lower-cased
    name: Mapped[str | None] = mapped_column(sa.String(255))
    password_hash: Mapped[str | None]
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout and on password change: every session cookie issued before stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[dt.datetime | None]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def display_name(self) -> str:
        return self.name or self.email


class ApiToken(Timestamps, db.Model):  # type: ignore[name-defined]
    """Only a SHA-256 of the token is stored: a database leak gives no usable token. The secret
    is 32 random bytes, so a fast hash is enough (no dictionary to attack)."""

    __tablename__ = "accounts_api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(255), default="api")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hint: Mapped[str] = mapped_column(sa.String(16))  # the first characters, to tell tokens apart
    last_used_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str = "api", expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = cls(user=user, name=name, token_hash=cls.hash(token), hint=token[:10], expires_at=expires_at)
        return row, token

    def usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class LoginAttempt(db.Model):  # type: ignore[name-defined]
    """Every login attempt (ASVS 16.3.1); failures within a window throttle that email and address."""

    __tablename__ = "accounts_login_attempts"
    __table_args__ = (
        sa.Index("ix_accounts_login_attempts_email_at", "email", "attempted_at"),
        sa.Index("ix_accounts_login_attempts_ip_at", "ip", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320))
    ip: Mapped[str] = mapped_column(sa.String(64))
    succeeded: Mapped[bool]
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
