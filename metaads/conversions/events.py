"""The outbound events of the Conversions API for CRM: which stages a lead has to send, written in
the transaction that changed the lead, and the event Meta receives for each.

What this relies on — Meta's "Conversion Leads integration — payload specification"
(developers.facebook.com/documentation/ads-commerce/conversions-api/conversion-leads-integration/
payload-specification), read for issue 13:

* ``POST /{dataset_id}/events`` with ``data``, a list of events (the Conversions API takes up to
  1,000 per call); ``test_event_code`` beside ``data`` routes them to Events Manager's test tab.
* ``event_name``: free text, the CRM stage. "Send all stages as they are updated, including the
  initial lead stage"; "if a lead reaches the final Converted stage, then all previous stages
  should have been sent beforehand" — so a lead that skips stages sends the skipped ones first.
* ``event_time``: Unix seconds when the stage was reached; "can be up to 7 days before you send
  an event to Meta", and "must occur after the lead generation time or else the event may be
  discarded" (a lead's first stage uses the lead's ``created_time``, never earlier).
* ``action_source``: ``system_generated`` for every Conversion Leads event.
* ``user_data.lead_id``: "the Facebook generated ID for every lead" (the ``leadgen_id``), an
  **integer**, "do not hash". Our ids exceed 2**53, so it travels as a Python int through
  ``json.dumps`` — never through a float.
* ``custom_data.event_source``: ``crm``; ``custom_data.lead_event_source``: the name of the tool
  the leads come from (``metaads``).
* The answer carries ``events_received`` and ``fbtrace_id``.
* ``event_id`` (the Conversions API's deduplication key with ``event_name``): derived from the lead
  and the stage, so sending an event again after an answer was lost is harmless.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from metaads.conversions.settings import STAGE_ORDER, active_settings
from metaads.models import ConversionEvent, ConversionSettings, Lead, LeadActivity
from metaads.models.enums import LeadStatus
from plugins.core.extensions import db
from plugins.core.models import utcnow

ACTION_SOURCE = "system_generated"
EVENT_SOURCE = "crm"
LEAD_EVENT_SOURCE = "metaads"
#: How far back Meta takes an event; switching the feature on replays this much.
MAX_AGE = dt.timedelta(days=7)
#: Activities that record a status change (as ``metaads.leads.workflow.STATUS_ACTIONS``).
STATUS_ACTIONS = ("status_changed", "converted")
#: Rows per INSERT (within SQLite's parameter limit).
STATEMENT_ROWS = 500


def event_id(meta_lead_id: str, stage: str) -> str:
    return f"lead-{meta_lead_id}-{stage}"


def event_payload(event: ConversionEvent, meta_lead_id: str) -> dict[str, t.Any]:
    """One element of ``data``: Meta's fields for a stage of a lead (see the module docstring)."""
    return {
        "event_name": event.event_name,
        "event_time": int(event.reached_at.timestamp()),
        "event_id": event.event_id,
        "action_source": ACTION_SOURCE,
        "user_data": {"lead_id": int(meta_lead_id)},
        "custom_data": {"event_source": EVENT_SOURCE, "lead_event_source": LEAD_EVENT_SOURCE},
    }


def stages_between(before: str | None, target: str) -> list[str]:
    """The stages a move from ``before`` to ``target`` reaches, earlier first: a forward move
    reaches the stages it skips too (stages are cumulative); any other move only ``target``."""
    if before in STAGE_ORDER and target in STAGE_ORDER and STAGE_ORDER.index(target) > STAGE_ORDER.index(before):
        return STAGE_ORDER[STAGE_ORDER.index(before) + 1 : STAGE_ORDER.index(target) + 1]
    return [target]


def sends_for(lead: Lead, settings: ConversionSettings) -> bool:
    """Erased leads send nothing more; test leads only to the test tab (a test event code set)."""
    if lead.erased_at is not None:
        return False
    return not lead.is_test or bool(settings.test_event_code)


def record_status_change(lead: Lead, before: LeadStatus, target: LeadStatus, at: dt.datetime) -> int:
    """Called by the workflow in the transaction that moves ``lead``: one pending event per stage
    reached (and named in the settings); a stage the lead already sent is not written again."""
    settings = active_settings()
    if settings is None or not sends_for(lead, settings):
        return 0
    stages = stages_between(before.value, target.value)
    return insert_events(settings, [(lead.id, lead.meta_lead_id, stage, at) for stage in stages])


def record_new_leads(lead_ids: t.Sequence[int]) -> int:
    """Called where new leads are stored, in that transaction: the initial stage of each, at the
    lead's ``created_time`` (Meta discards events before it)."""
    settings = active_settings()
    if settings is None or not lead_ids:
        return 0
    leads = db.session.execute(sa.select(Lead).where(Lead.id.in_(lead_ids)).order_by(Lead.id)).scalars()
    rows = [(lead.id, lead.meta_lead_id, LeadStatus.NEW.value, lead.created_time) for lead in leads if sends_for(lead, settings)]
    return insert_events(settings, rows)


def replay_recent(settings: ConversionSettings, now: dt.datetime | None = None) -> int:
    """Switching on: every stage reached in the last 7 days (Meta refuses older ones), once.
    A lead's initial stage is its ``created_time``; later ones come from the activity log."""
    now = now or utcnow()
    since = now - MAX_AGE
    rows: list[tuple[int, str, str, dt.datetime]] = []
    new_leads = db.session.execute(sa.select(Lead).where(Lead.created_time >= since, Lead.erased_at.is_(None)).order_by(Lead.id))
    rows += [
        (lead.id, lead.meta_lead_id, LeadStatus.NEW.value, lead.created_time)
        for lead in new_leads.scalars()
        if sends_for(lead, settings)
    ]
    changes = db.session.execute(
        sa.select(Lead, LeadActivity.from_value, LeadActivity.to_value, LeadActivity.created_at)
        .join(LeadActivity, LeadActivity.lead_id == Lead.id)
        .where(LeadActivity.action.in_(STATUS_ACTIONS), LeadActivity.created_at >= since, Lead.erased_at.is_(None))
        .order_by(LeadActivity.id)
    ).all()
    for lead, before, target, at in changes:
        if target and sends_for(lead, settings):
            rows += [(lead.id, lead.meta_lead_id, stage, at) for stage in stages_between(before, target)]
    return insert_events(settings, rows)


def insert_events(settings: ConversionSettings, rows: t.Sequence[tuple[int, str, str, dt.datetime]]) -> int:
    """Insert ``(lead id, Meta lead id, stage, reached at)`` rows in order, skipping stages the
    settings do not name and stages a lead already has (unique on lead and stage)."""
    names = settings.stage_names or {}
    now = utcnow()
    values = [
        {
            "lead_id": lead_id,
            "stage": stage,
            "event_name": names[stage],
            "event_id": event_id(meta_lead_id, stage),
            "reached_at": reached_at,
            "status": "pending",
            "created_at": now,
        }
        for lead_id, meta_lead_id, stage, reached_at in rows
        if names.get(stage)
    ]
    inserted = 0
    for start in range(0, len(values), STATEMENT_ROWS):
        statement = _insert(ConversionEvent.__table__).values(values[start : start + STATEMENT_ROWS])
        statement = statement.on_conflict_do_nothing(index_elements=["lead_id", "stage"])
        # Session.execute is typed Result; for an INSERT it is a CursorResult, which has rowcount.
        result = t.cast("sa.CursorResult[t.Any]", db.session.execute(statement))
        inserted += int(result.rowcount or 0)
    return inserted


def _insert(table: sa.Table) -> t.Any:
    # The dialect's insert (both have ON CONFLICT). metaads.capture.upsert has the same helper
    # but sits a layer above (capture calls into this module).
    if db.engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
