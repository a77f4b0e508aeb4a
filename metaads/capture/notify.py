"""Telling the team: one email per batch of new leads, to each lead's assignee or to the
configured list, with a link to every lead (SMTP from the standard library)."""

from __future__ import annotations

import logging
import smtplib
import typing as t
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app

from metaads.models import Lead
from plugins.accounts.models import User
from plugins.core.extensions import db

log = logging.getLogger(__name__)


def notify_new_leads(lead_ids: list[int]) -> int:
    """Send the emails; returns how many were sent. Without ``MAIL_SERVER`` nothing is sent."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    leads = (
        db.session.execute(sa.select(Lead).where(Lead.id.in_(lead_ids), Lead.erased_at.is_(None)).order_by(Lead.id))
        .scalars()
        .all()
    )
    sent = 0
    for recipients, batch in group_by_recipients(leads, list(config["METAADS_NOTIFY_TO"])).items():
        send(compose(list(recipients), batch))
        sent += 1
    return sent


def group_by_recipients(leads: t.Sequence[Lead], default: list[str]) -> dict[tuple[str, ...], list[Lead]]:
    emails = assignee_emails({lead.assigned_to for lead in leads if lead.assigned_to})
    groups: dict[tuple[str, ...], list[Lead]] = {}
    for lead in leads:
        to = (emails[lead.assigned_to],) if lead.assigned_to in emails else tuple(default)
        if to:
            groups.setdefault(to, []).append(lead)
    return groups


def assignee_emails(user_ids: set[str | None]) -> dict[str | None, str]:
    ids = [int(u) for u in user_ids if u and u.isdigit()]
    rows = db.session.execute(sa.select(User.id, User.email).where(User.id.in_(ids), User.active.is_(True))).all() if ids else []
    return {str(user_id): email for user_id, email in rows}


def compose(recipients: list[str], leads: list[Lead]) -> EmailMessage:
    base = current_app.config["METAADS_PUBLIC_URL"].rstrip("/") + current_app.config["METAADS_URL_PREFIX"]
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = ", ".join(recipients)
    message["Subject"] = f"{len(leads)} new lead{'s' if len(leads) != 1 else ''} from Facebook/Instagram"
    lines = [
        f"- {lead.full_name or lead.email or lead.phone or 'Lead ' + lead.meta_lead_id}: {base}/leads/{lead.id}" for lead in leads
    ]
    message.set_content("New leads arrived:\n\n" + "\n".join(lines) + "\n")
    return message


def send(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=15) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
