"""The lead status workflow, notes and assignment; every change leaves a LeadActivity.

The pipeline is new → contacted → qualified → converted. Moving forward may skip steps (a lead who
buys on the first call goes from new to converted); moving back is a *reopen*, the only way back.
An open lead (new, contacted, qualified) can be disqualified; any lead can be archived, and a
closed one (disqualified, archived) moved to the other closed status.

Reopening returns a lead to where it was before (read from the activity log; ``new`` when the log
does not say): a closed lead to the status it had when it was closed, so a qualified lead archived
by mistake comes back qualified, not new; a converted lead to the open status it was converted from.

Activities never hold personal data (no note text, no answers): they outlive an erasure.
"""

from __future__ import annotations

import dataclasses
import typing as t

import sqlalchemy as sa
from flask import current_app
from marshmallow import ValidationError

from metaads.conversions.events import record_status_change
from metaads.models import Lead, LeadActivity
from metaads.models.enums import LeadStatus
from metaads.persons import link_person
from metaads.signals import lead_status_changed
from plugins.accounts.models import User
from plugins.core.extensions import db
from plugins.core.http import APIError
from plugins.core.models import utcnow

#: The pipeline in order: a move to a later status is forward, to an earlier one a reopen.
PIPELINE: tuple[LeadStatus, ...] = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.CONVERTED)
#: Still being worked on: these may move forward, or be disqualified.
OPEN = PIPELINE[:-1]
CLOSED = (LeadStatus.DISQUALIFIED, LeadStatus.ARCHIVED)
#: Activities that record a status change (``converted`` is the change into converted).
STATUS_ACTIONS = ("status_changed", "converted")


@dataclasses.dataclass(frozen=True)
class StatusChange:
    lead_id: int
    from_status: str
    to_status: str
    user_id: int | None


#: Marks an ``assigned_to`` or ``notes`` the request did not mention (None means "clear it").
KEEP: t.Final = object()


@dataclasses.dataclass(frozen=True)
class LeadUpdate:
    """What a PATCH asks for; a field left as ``KEEP`` is not touched."""

    status: LeadStatus | None = None
    notes: str | object | None = KEEP
    note: str | None = None
    assigned_to: str | object | None = KEEP


def allowed_transitions(lead: Lead) -> list[LeadStatus]:
    """Where ``lead`` may go: forward moves first (a closed or converted lead's reopen instead),
    then the closing ones."""
    status = lead.status
    if status in OPEN:
        return [*PIPELINE[PIPELINE.index(status) + 1 :], *CLOSED]
    if status == LeadStatus.CONVERTED:
        return [reopen_target(lead), LeadStatus.ARCHIVED]
    return [reopen_target(lead), *(closed for closed in CLOSED if closed != status)]


def is_reopen(current: LeadStatus, target: LeadStatus) -> bool:
    """A move back: out of a closed status, or to an earlier step of the pipeline."""
    if target in CLOSED:
        return False
    return current in CLOSED or PIPELINE.index(target) < PIPELINE.index(current)


def reopen_target(lead: Lead) -> LeadStatus:
    """Where the lead was before: for a closed lead, the status it had when it was last closed;
    for a converted one, the open status it was last converted from; ``new`` if the log has none."""
    if lead.status == LeadStatus.CONVERTED:
        left, came_from = [LeadStatus.CONVERTED], OPEN
    else:
        left, came_from = list(CLOSED), PIPELINE
    previous = db.session.execute(
        sa.select(LeadActivity.from_value)
        .where(
            LeadActivity.lead_id == lead.id,
            LeadActivity.action.in_(STATUS_ACTIONS),
            LeadActivity.from_value.in_([s.value for s in came_from]),
            LeadActivity.to_value.in_([s.value for s in left]),
        )
        .order_by(LeadActivity.id.desc())
        .limit(1)
    ).scalar()
    return LeadStatus(previous) if previous else LeadStatus.NEW


def transition_refused(lead: Lead, target: LeadStatus, allowed: t.Sequence[LeadStatus]) -> APIError:
    names = [status.value for status in allowed]
    return APIError(
        409,
        "transition_not_allowed",
        f"A {lead.status.value} lead cannot become {target.value}. Allowed next: {', '.join(names)}.",
        {"status": lead.status.value, "requested": target.value, "allowed": names},
    )


def log(
    lead: Lead,
    action: str,
    actor_id: int | None,
    from_value: str | None = None,
    to_value: str | None = None,
    details: dict[str, t.Any] | None = None,
) -> None:
    db.session.add(
        LeadActivity(
            lead_id=lead.id, action=action, actor_user_id=actor_id, from_value=from_value, to_value=to_value, details=details
        )
    )


def change_status(lead: Lead, target: LeadStatus, actor_id: int | None) -> StatusChange | None:
    """Move ``lead`` to ``target`` (409 listing the allowed statuses if it may not); None when it is
    already there. Sets ``contacted_at`` / ``qualified_at`` / ``converted_at`` the first time (a
    lead that skips ``contacted`` was contacted all the same); converting links the lead to a Person."""
    if target == lead.status:
        return None
    allowed = allowed_transitions(lead)
    if target not in allowed:
        raise transition_refused(lead, target, allowed)
    before, now = lead.status, utcnow()
    reopened = is_reopen(before, target)
    lead.status = target
    if target in PIPELINE[1:] and lead.contacted_at is None:
        lead.contacted_at = now
    if target in PIPELINE[2:] and lead.qualified_at is None:
        lead.qualified_at = now
    if target == LeadStatus.CONVERTED and lead.converted_at is None:
        lead.converted_at = now
    action = "converted" if target == LeadStatus.CONVERTED else "status_changed"
    log(lead, action, actor_id, before.value, target.value, {"reopened": True} if reopened else None)
    record_status_change(lead, before, target, now)  # the Conversions API event, in this transaction
    if target == LeadStatus.CONVERTED:
        link_person(lead, actor_id)
    return StatusChange(lead.id, before.value, target.value, actor_id)


def assign(lead: Lead, user_id: str | None, actor_id: int | None) -> None:
    """``user_id`` is a user's id as a string (the seed's type), or None to unassign."""
    if user_id == lead.assigned_to:
        return
    if user_id is not None and db.session.get(User, int(user_id)) is None:
        raise ValidationError({"assigned_to": [f"No user has the id {user_id}."]})
    log(lead, "assigned", actor_id, lead.assigned_to, user_id)
    lead.assigned_to = user_id


def replace_notes(lead: Lead, text: str | None, actor_id: int | None) -> None:
    refuse_if_erased(lead)
    text = text or None
    if text == lead.notes:
        return
    lead.notes = text
    log(lead, "note_added", actor_id, details={"replaced": True, "length": len(text or "")})


def add_note(lead: Lead, text: str, actor: User | None) -> None:
    """Append ``text`` under a line saying when and by whom; earlier notes stay as they were."""
    refuse_if_erased(lead)
    author = actor.display_name if actor else "system"
    entry = f"{utcnow():%Y-%m-%d %H:%M} UTC · {author}\n{text.strip()}"
    lead.notes = f"{lead.notes}\n\n{entry}" if lead.notes else entry
    log(lead, "note_added", actor.id if actor else None, details={"length": len(text.strip())})


def refuse_if_erased(lead: Lead) -> None:
    if lead.erased_at is not None:
        raise APIError(409, "lead_erased", "This lead's personal data was erased; notes can no longer be added.")


def apply_update(lead: Lead, update: LeadUpdate, actor: User | None) -> list[StatusChange]:
    """Assignee and notes first, the status last (so a conversion sees the final state)."""
    actor_id = actor.id if actor else None
    if update.assigned_to is not KEEP:
        assign(lead, t.cast("str | None", update.assigned_to), actor_id)
    if update.notes is not KEEP:
        replace_notes(lead, t.cast("str | None", update.notes), actor_id)
    if update.note:
        add_note(lead, update.note, actor)
    change = change_status(lead, update.status, actor_id) if update.status else None
    return [change] if change else []


@dataclasses.dataclass(frozen=True)
class BulkOutcome:
    """What a bulk change did: the leads it applied to, the status changes among them, and one
    result per selected lead (``changed``, ``unchanged`` or ``refused`` with the moves allowed)."""

    leads: list[Lead]
    changes: list[StatusChange]
    results: list[dict[str, t.Any]]


def bulk_update(ids: t.Sequence[int], update: LeadUpdate, actor: User | None) -> BulkOutcome:
    """Lead by lead: unknown ids → 404 (nothing changes); a lead that may not take the status is
    left as it was and said so in its result, the others change (each change logged on its
    lead). If every lead is refused, 409 listing each refusal, as a single lead's change would."""
    leads = list(db.session.execute(sa.select(Lead).where(Lead.id.in_(ids)).order_by(Lead.id).with_for_update()).scalars())
    missing = sorted(set(ids) - {lead.id for lead in leads})
    if missing:
        raise APIError(404, "not_found", f"No leads with the ids {', '.join(map(str, missing))}.", {"missing": missing})
    refused = {r["id"]: r for lead in leads if update.status and (r := refusal(lead, update.status))}
    if refused and len(refused) == len(leads):
        assert update.status is not None  # only a status change can be refused
        raise APIError(
            409,
            "transition_not_allowed",
            f"{len(refused)} of the {len(leads)} leads cannot become {update.status.value}; nothing was changed.",
            {"requested": update.status.value, "refused": list(refused.values())},
        )
    applied, changes, results = [], [], []
    for lead in leads:
        if lead.id in refused:
            results.append({**refused[lead.id], "result": "refused"})
            continue
        before = (lead.status, lead.assigned_to)
        changes += apply_update(lead, update, actor)
        applied.append(lead)
        outcome = "changed" if (lead.status, lead.assigned_to) != before else "unchanged"
        results.append({"id": lead.id, "status": lead.status.value, "result": outcome})
    return BulkOutcome(leads=applied, changes=changes, results=results)


def refusal(lead: Lead, target: LeadStatus) -> dict[str, t.Any] | None:
    if target == lead.status:
        return None
    allowed = allowed_transitions(lead)
    if target in allowed:
        return None
    return {"id": lead.id, "status": lead.status.value, "allowed": [s.value for s in allowed]}


def commit(changes: t.Sequence[StatusChange]) -> None:
    """Commit, then announce the status changes (receivers only ever see committed state)."""
    db.session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for change in changes:
        lead_status_changed.send(
            app, lead_id=change.lead_id, from_status=change.from_status, to_status=change.to_status, user_id=change.user_id
        )
