"""Login throttling from the attempts log: limits per email and per address, answered with 429.

Kept in the database rather than in process memory so that every web worker sees the same count,
and so the same rows are the audit trail of authentication attempts. Limits slow an attacker down
without locking the real user out for long (ASVS 6.1.1): the window slides.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from plugins.accounts.models import LoginAttempt
from plugins.core.extensions import db
from plugins.core.models import utcnow


def is_throttled(email: str, ip: str) -> bool:
    config = current_app.config
    since = utcnow() - dt.timedelta(seconds=config["ACCOUNTS_LOGIN_WINDOW"])
    failures = (
        sa.select(sa.func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since)
    )
    by_email = db.session.scalar(failures.where(LoginAttempt.email == email)) or 0
    by_ip = db.session.scalar(failures.where(LoginAttempt.ip == ip)) or 0
    return by_email >= config["ACCOUNTS_LOGIN_MAX_PER_EMAIL"] or by_ip >= config["ACCOUNTS_LOGIN_MAX_PER_IP"]


def record_attempt(email: str, ip: str, succeeded: bool) -> None:
    db.session.add(LoginAttempt(email=email[:320], ip=ip[:64], succeeded=succeeded))
    db.session.commit()
