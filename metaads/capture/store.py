"""Storing leads read from Graph: one bulk upsert on ``meta_lead_id``, whatever the path (webhook,
reconciler, backfill), so a lead is stored exactly once however often it arrives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

import sqlalchemy as sa

from metaads.answers import contact_fields
from metaads.capture.test_leads import has_dummy_answers, sent_test_lead_ids
from metaads.capture.upsert import insert_for, insert_rows
from metaads.conversions.events import record_new_leads
from metaads.models import Lead, LeadActivity, LeadForm
from metaads.models.enums import LeadSource, LeadStatus
from plugins.core.extensions import db
from plugins.core.models import utcnow, without_nul

#: Columns a later read from Graph refreshes. Never the admin's work: status, notes, assignee,
#: person, contact/convert times stay as the admin left them.
REFRESHED = (
    "email",
    "phone",
    "full_name",
    "first_name",
    "last_name",
    "field_data",
    "custom_disclaimer_responses",
    "ad_id",
    "ad_name",
    "adset_id",
    "adset_name",
    "campaign_id",
    "campaign_name",
    "form_id",
    "is_organic",
    "meta_platform",
    "created_time",
    "fetched_at",
    "updated_at",
    "lead_form_id",
)
#: Leads per upsert statement: a page of the reconciler, and within SQLite's parameter limit.
STATEMENT_LEADS = 500


class LeadRecord(t.Protocol):
    """A lead as read from Graph (``metaads.graph.types.LeadData`` has this shape)."""

    @property
    def id(self) -> str: ...
    @property
    def created_time(self) -> dt.datetime: ...
    @property
    def field_data(self) -> list[dict[str, t.Any]]: ...
    @property
    def ad_id(self) -> str | None: ...
    @property
    def ad_name(self) -> str | None: ...
    @property
    def adset_id(self) -> str | None: ...
    @property
    def adset_name(self) -> str | None: ...
    @property
    def campaign_id(self) -> str | None: ...
    @property
    def campaign_name(self) -> str | None: ...
    @property
    def form_id(self) -> str | None: ...
    @property
    def is_organic(self) -> bool | None: ...
    @property
    def platform(self) -> str | None: ...
    @property
    def custom_disclaimer_responses(self) -> list[dict[str, t.Any]] | None: ...


@dataclasses.dataclass(frozen=True)
class Stored:
    """What a store call did: every lead's row id, and which of them are new."""

    ids: dict[str, int]  # meta_lead_id → Lead.id
    created: list[int]


def store_leads(
    records: t.Sequence[LeadRecord],
    *,
    source: LeadSource,
    platform_id: int | None,
    page_ids: t.Mapping[str, str | None] | None = None,
) -> Stored:
    """Upsert ``records`` (the caller commits). ``page_ids`` maps lead id → page id when known."""
    if not records:
        return Stored({}, [])
    unique = {record.id: record for record in records}
    forms = ensure_forms({r.form_id for r in unique.values() if r.form_id}, page_ids or {}, unique)
    now = utcnow()
    sent_tests = sent_test_lead_ids(set(forms.values()))
    rows = [
        lead_row(r, source, platform_id, forms, (page_ids or {}).get(r.id), now, is_test_lead(r, sent_tests))
        for r in unique.values()
    ]
    ids, inserted = upsert_leads(rows, now)
    new = [record for key, record in unique.items() if key in inserted]
    count_new_leads(forms, [record for record in new if not is_test_lead(record, sent_tests)])
    created = [ids[record.id] for record in new]
    record_new_leads(created)  # their first stage for the Conversions API, in the caller's transaction
    return Stored(ids=ids, created=created)


def upsert_leads(rows: list[dict[str, t.Any]], now: dt.datetime) -> tuple[dict[str, int], set[str]]:
    """Upsert ``rows``, one statement per ``STATEMENT_LEADS``; returns every lead's row id and
    the leads inserted now.

    A row the statement inserted carries this call's ``now`` as ``created_at``; a row it updated
    keeps the time of the call that first stored it (``created_at`` is never refreshed). So the
    answer is exact even when another process stores the same lead at the same moment, which a
    SELECT before the upsert could not tell."""
    table = Lead.__table__
    ids: dict[str, int] = {}
    inserted: set[str] = set()
    for start in range(0, len(rows), STATEMENT_LEADS):
        statement = insert_rows(table, rows[start : start + STATEMENT_LEADS])
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.meta_lead_id],
            set_={name: statement.excluded[name] for name in REFRESHED} | {"is_test": once_a_test(table, statement)},
            where=table.c.erased_at.is_(None),
        ).returning(table.c.meta_lead_id, table.c.id, table.c.created_at)
        for meta_id, lead_id, created_at in db.session.execute(statement):
            ids[meta_id] = lead_id
            if created_at == now:
                inserted.add(meta_id)
    # Erased leads stay erased (the conflict update skips them, so RETURNING leaves them out)
    # but keep their row id.
    erased = [row["meta_lead_id"] for row in rows if row["meta_lead_id"] not in ids]
    if erased:
        ids.update(db.session.execute(sa.select(Lead.meta_lead_id, Lead.id).where(Lead.meta_lead_id.in_(erased))).all())
    return ids, inserted


def once_a_test(table: sa.Table, statement: t.Any) -> sa.ColumnElement[bool]:
    """Once a test lead, always one: a later read may no longer tell (the form's next test lead
    replaced its id on the form)."""
    return table.c.is_test | statement.excluded.is_test


def record_received(details_by_lead: t.Mapping[int, dict[str, t.Any]]) -> None:
    """One ``received`` activity per new lead, written in one statement per page of leads."""
    now = utcnow()
    rows = [
        {"lead_id": lead_id, "action": "received", "details": details, "created_at": now}
        for lead_id, details in details_by_lead.items()
    ]
    for start in range(0, len(rows), STATEMENT_LEADS):
        db.session.execute(insert_rows(LeadActivity.__table__, rows[start : start + STATEMENT_LEADS]))


def is_test_lead(record: LeadRecord, sent_tests: t.Collection[str]) -> bool:
    return record.id in sent_tests or has_dummy_answers(record.field_data)


def lead_texts(record: LeadRecord) -> dict[str, t.Any]:
    """The row's values that may carry text, NUL-free. The rest (times, flags, our own ids and
    codes) holds no NUL, and is left out of the search (a time's repr, which it builds, is slow)."""
    contact = contact_fields(record.field_data)
    return without_nul(
        {
            "meta_lead_id": record.id,
            "email": contact.email,
            "phone": contact.phone,
            "full_name": contact.full_name,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "field_data": list(record.field_data or []),
            "custom_disclaimer_responses": record.custom_disclaimer_responses,
            "ad_id": record.ad_id,
            "ad_name": record.ad_name,
            "adset_id": record.adset_id,
            "adset_name": record.adset_name,
            "campaign_id": record.campaign_id,
            "campaign_name": record.campaign_name,
            "form_id": record.form_id,
            "meta_platform": record.platform,
        }
    )


def lead_row(
    record: LeadRecord,
    source: LeadSource,
    platform_id: int | None,
    forms: t.Mapping[str, int],
    page_id: str | None,
    now: dt.datetime,
    is_test: bool,
) -> dict[str, t.Any]:
    """The lead's row: its ``lead_texts`` and what this store call knows."""
    return lead_texts(record) | {
        "page_id": without_nul(page_id),
        "is_organic": record.is_organic,
        "is_test": is_test,
        "created_time": record.created_time,
        "status": LeadStatus.NEW.value,
        "source": source.value,
        "fetched_at": now,
        "created_at": now,
        "updated_at": now,
        "lead_form_id": forms.get(record.form_id or ""),
        "platform_id": platform_id,
    }


def ensure_forms(form_ids: set[str], page_ids: t.Mapping[str, str | None], records: t.Mapping[str, LeadRecord]) -> dict[str, int]:
    """The LeadForm row of every form id; a form we have never seen gets a placeholder row (its
    questions arrive with the next form sync) so no lead waits for it."""
    if not form_ids:
        return {}
    known = dict(
        db.session.execute(sa.select(LeadForm.meta_form_id, LeadForm.id).where(LeadForm.meta_form_id.in_(form_ids))).all()
    )
    missing = form_ids - set(known)
    if missing:
        page_of_form = {r.form_id: page_ids.get(r.id) for r in records.values() if r.form_id in missing}
        now = utcnow()
        table = LeadForm.__table__
        values = [
            {"meta_form_id": f, "name": f"Form {f}", "page_id": page_of_form.get(f) or "", "created_at": now, "updated_at": now}
            for f in sorted(missing)
        ]
        db.session.execute(insert_for(table).values(values).on_conflict_do_nothing(index_elements=[table.c.meta_form_id]))
        known.update(
            db.session.execute(sa.select(LeadForm.meta_form_id, LeadForm.id).where(LeadForm.meta_form_id.in_(missing))).all()
        )
    return known


def count_new_leads(forms: t.Mapping[str, int], new: t.Sequence[LeadRecord]) -> None:
    """Keep each form's ``leads_count`` and ``last_lead_at`` current without counting its leads."""
    per_form: dict[int, list[dt.datetime]] = {}
    for record in new:
        if record.form_id and record.form_id in forms:
            per_form.setdefault(forms[record.form_id], []).append(record.created_time)
    for form_id, times in per_form.items():
        newest = max(times)
        db.session.execute(
            sa.update(LeadForm)
            .where(LeadForm.id == form_id)
            .values(
                leads_count=LeadForm.leads_count + len(times),
                last_lead_at=sa.case(
                    (sa.or_(LeadForm.last_lead_at.is_(None), LeadForm.last_lead_at < newest), newest),
                    else_=LeadForm.last_lead_at,
                ),
            )
        )
