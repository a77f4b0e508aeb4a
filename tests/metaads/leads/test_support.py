"""Factories shared by the lead management tests (this module holds no tests)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import typing as t
from pathlib import Path

from flask.testing import FlaskClient

from metaads.models import Lead, LeadActivity, LeadForm
from metaads.models.enums import LeadSource, LeadStatus
from plugins.accounts.models import User
from plugins.core.extensions import db

LEADS = "/admin/meta-ads/leads"
_ids = itertools.count(1)

QUESTIONS = [
    {"key": "full_name", "label": "Vollständiger Name", "type": "FULL_NAME"},
    {"key": "email", "label": "E-Mail", "type": "EMAIL"},
    {"key": "phone_number", "label": "Telefonnummer", "type": "PHONE"},
    {
        "key": "which_models",
        "label": "Welche Modelle möchten Sie testen?",
        "type": "CUSTOM",
        "options": [{"key": "city", "value": "City E-Bike"}, {"key": "cargo", "value": "Cargo Family"}],
    },
]


def leads_config(tmp_path: Path, **extra: t.Any) -> dict[str, t.Any]:
    """No Graph sandbox (these tests never call Meta) and exports under the test's own folder."""
    return {"METAADS_EXPORT_DIR": str(tmp_path / "exports"), **extra}


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=dt.UTC)


def make_form(name: str = "Probefahrt", questions: list[dict[str, t.Any]] | None = None, **values: t.Any) -> LeadForm:
    form = LeadForm(
        meta_form_id=str(900_000_000 + next(_ids)),
        name=name,
        questions=QUESTIONS if questions is None else questions,
        page_id="112233445566778",
        privacy_policy_url="https://acme.example/privacy",
        thank_you_page_url="https://acme.example/thanks",
        **values,
    )
    db.session.add(form)
    db.session.flush()
    return form


def make_lead(
    form: LeadForm | None = None,
    *,
    created: dt.datetime | None = None,
    status: LeadStatus = LeadStatus.NEW,
    answers: dict[str, list[str]] | None = None,
    **values: t.Any,
) -> Lead:
    number = next(_ids)
    name = values.pop("full_name", f"Lead Person {number}")
    email = values.pop("email", f"person{number}@example.com")
    phone = values.pop("phone", f"+49151{number:08d}")
    field_data = [{"name": key, "values": list(v)} for key, v in (answers or {}).items()] or [
        {"name": "full_name", "values": [name]},
        {"name": "email", "values": [email]},
        {"name": "phone_number", "values": [phone]},
    ]
    lead = Lead(
        meta_lead_id=str(100_000_000_000 + number),
        full_name=name,
        email=email,
        phone=phone,
        field_data=values.pop("field_data", field_data),
        created_time=created or at(1) + dt.timedelta(minutes=number),
        status=status,
        lead_form=form,
        form_id=form.meta_form_id if form else None,
        source=values.pop("source", LeadSource.WEBHOOK),
        **values,
    )
    db.session.add(lead)
    db.session.flush()
    return lead


def make_user(email: str, name: str | None = None, *, admin: bool = True) -> User:
    user = User(email=email, name=name, is_admin=admin)
    db.session.add(user)
    db.session.flush()
    return user


def activities(lead_id: int, action: str | None = None) -> list[LeadActivity]:
    db.session.expire_all()
    query = db.select(LeadActivity).where(LeadActivity.lead_id == lead_id).order_by(LeadActivity.id)
    if action:
        query = query.where(LeadActivity.action == action)
    return list(db.session.execute(query).scalars())


def fresh(lead_id: int) -> Lead:
    db.session.expire_all()
    lead = db.session.get(Lead, lead_id)
    assert lead is not None
    return lead


def form_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the forms on ``path`` (every form on a page carries the same one)."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no form with a CSRF token on {path}"
    return match.group(1)


def flashes(client: FlaskClient, path: str) -> list[str]:
    html = client.get(path).get_data(as_text=True)
    return re.findall(r'<div class="flash flash-(\w+)"[^>]*>([^<]*)</div>', html)  # type: ignore[return-value]
