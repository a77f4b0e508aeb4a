"""The activity log as people read it: who did what, in words."""

from __future__ import annotations

import typing as t

from metaads.models import LeadActivity

ARRIVALS = {
    "webhook": "Received from Meta's webhook",
    "reconciler": "Found by the reconciler",
    "backfill": "Loaded by the backfill of past leads",
    "manual": "Added by hand",
}

#: The reasons an admin gives on the erase page, as the log reads them.
ERASE_WHY = {
    "request": "on request",
    "consent_withdrawn": "consent withdrawn",
    "test_or_spam": "test, spam or duplicate",
    "entered_in_error": "received in error",
}


def describe(activity: LeadActivity, names: t.Mapping[str, str]) -> str:
    """``names`` maps user ids (as strings) to display names, for assignments."""
    details = activity.details or {}
    before, after = activity.from_value, activity.to_value
    match activity.action:
        case "received":
            return received(details)
        case "status_changed" | "converted":
            verb = (
                "Reopened" if details.get("reopened") else ("Converted" if activity.action == "converted" else "Status changed")
            )
            return f"{verb}: {before} → {after}" if before else f"{verb}: {after}"
        case "note_added":
            return "Notes replaced" if details.get("replaced") else "Note added"
        case "assigned":
            if after is None:
                return f"Unassigned (was {names.get(before or '', before)})"
            return f"Assigned to {names.get(after, after)}"
        case "person_linked":
            return f"Linked to {'a new' if details.get('created') else 'an existing'} Person (#{after})"
        case "erased":
            why = (
                f"retention period of {details['retention_days']} days"
                if details.get("retention_days")
                else ERASE_WHY.get(str(details.get("reason")), "on request")
            )
            return f"Personal data deleted ({why})"
        case _:
            return activity.action.replace("_", " ").capitalize()


def received(details: t.Mapping[str, t.Any]) -> str:
    text = ARRIVALS.get(str(details.get("source")), "Received")
    if details.get("webhook_missed"):
        text += " (its webhook never arrived)"
    deliveries = details.get("deliveries")
    if isinstance(deliveries, int) and deliveries > 1:
        text += f" (Meta sent it {deliveries} times; stored once)"
    return text
