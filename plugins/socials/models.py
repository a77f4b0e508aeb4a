"""SocialPlatform (a connected account: OAuth credentials, scopes, status) and its pages."""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugins.core.crypto import EncryptedText
from plugins.core.extensions import db
from plugins.core.models import Timestamps


class PlatformStatus:
    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"  # the token died (Meta error 190): reconnect to resume
    DISCONNECTED = "disconnected"
    ERROR = "error"


class SocialPlatform(Timestamps, db.Model):  # type: ignore[name-defined]
    """One connected provider account, e.g. the Facebook user (or system user) whose token we use."""

    __tablename__ = "socials_platforms"
    __table_args__ = (sa.UniqueConstraint("provider", "external_user_id", name="uq_socials_platforms_provider_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(32), default="facebook")
    name: Mapped[str] = mapped_column(sa.String(255))  # the account's display name
    external_user_id: Mapped[str | None] = mapped_column(sa.String(64))
    access_token: Mapped[str | None] = mapped_column(EncryptedText())
    token_type: Mapped[str | None] = mapped_column(sa.String(32))  # user, system_user
    token_expires_at: Mapped[dt.datetime | None]  # None: does not expire (system user, long-lived page)
    granted_scopes: Mapped[list[t.Any]] = mapped_column(default=list)
    declined_scopes: Mapped[list[t.Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(sa.String(32), default=PlatformStatus.ACTIVE)
    status_reason: Mapped[str | None]
    api_config: Mapped[dict[str, t.Any]] = mapped_column(default=dict)
    connected_by: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts_users.id", ondelete="SET NULL"))
    last_webhook_at: Mapped[dt.datetime | None]
    last_synced_at: Mapped[dt.datetime | None]
    token_checked_at: Mapped[dt.datetime | None]

    pages: Mapped[list[SocialPage]] = relationship(back_populates="platform", cascade="all, delete-orphan")

    @property
    def needs_reauth(self) -> bool:
        return self.status == PlatformStatus.NEEDS_REAUTH

    @property
    def latest_webhook_at(self) -> dt.datetime | None:
        """Webhooks are recorded per page (``webhooks.touch_pages``): the account's last one is
        the latest of its pages' (its own column is kept for an older record)."""
        seen = [self.last_webhook_at, *(page.last_webhook_at for page in self.pages)]
        return max((when for when in seen if when), default=None)


class SocialPage(Timestamps, db.Model):  # type: ignore[name-defined]
    """A Facebook Page reached through a platform, with its own (encrypted) page token."""

    __tablename__ = "socials_pages"
    __table_args__ = (sa.UniqueConstraint("platform_id", "page_id", name="uq_socials_pages_platform_page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("socials_platforms.id", ondelete="CASCADE"), index=True)
    page_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    access_token: Mapped[str | None] = mapped_column(EncryptedText())
    tasks: Mapped[list[t.Any]] = mapped_column(default=list)  # MANAGE, ADVERTISE, ...
    instagram_account_id: Mapped[str | None] = mapped_column(sa.String(64))
    leadgen_subscribed: Mapped[bool] = mapped_column(default=False)
    subscription_checked_at: Mapped[dt.datetime | None]
    last_webhook_at: Mapped[dt.datetime | None]

    platform: Mapped[SocialPlatform] = relationship(back_populates="pages")
