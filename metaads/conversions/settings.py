"""The Conversions API settings: one row, read and changed through ``/admin/meta-ads/conversions``.

A change is checked whole before any of it is applied: a dataset id that is not digits, an empty
stage name, an unknown status or switching on without a dataset refuses the change (400)."""

from __future__ import annotations

import typing as t

from marshmallow import ValidationError

from metaads.models import ConversionSettings
from metaads.models.enums import LeadStatus
from plugins.core.extensions import db

SETTINGS_ID = 1
#: Our open statuses in workflow order: the stages a lead reaches one after another.
STAGE_ORDER = [LeadStatus.NEW.value, LeadStatus.CONTACTED.value, LeadStatus.QUALIFIED.value, LeadStatus.CONVERTED.value]
#: disqualified and archived send nothing unless an admin names them.
DEFAULT_STAGE_NAMES = {"new": "Lead", "contacted": "Contacted", "qualified": "Qualified", "converted": "Converted"}
STATUSES = [status.value for status in LeadStatus]
NAME_LENGTH = 255
CODE_LENGTH = 64


def current_settings() -> ConversionSettings:
    """The settings row, created with the defaults (off) the first time."""
    settings = db.session.get(ConversionSettings, SETTINGS_ID)
    if settings is None:
        settings = ConversionSettings(id=SETTINGS_ID, enabled=False, stage_names=dict(DEFAULT_STAGE_NAMES), failures=0)
        db.session.add(settings)
        db.session.flush()
    return settings


def active_settings() -> ConversionSettings | None:
    """The settings when events are to be written (on, with a dataset); else None."""
    settings = db.session.get(ConversionSettings, SETTINGS_ID)
    if settings is None or not settings.enabled or not settings.dataset_id:
        return None
    return settings


def settings_dict(settings: ConversionSettings) -> dict[str, t.Any]:
    """The JSON shape fixed by the design: ``enabled``, ``dataset_id``, ``stage_names``,
    ``test_event_code``."""
    return {
        "enabled": bool(settings.enabled),
        "dataset_id": settings.dataset_id,
        "stage_names": {status: settings.stage_names[status] for status in STATUSES if (settings.stage_names or {}).get(status)},
        "test_event_code": settings.test_event_code,
    }


def validated_change(settings: ConversionSettings, body: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The settings ``body`` asks for (merged over the current ones), or ValidationError naming
    every bad field. ``stage_names`` merges per status; a status set to null sends nothing."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(body) - {"enabled", "dataset_id", "stage_names", "test_event_code"})
    if unknown:
        errors["_schema"] = [f"Unknown fields: {', '.join(unknown)}."]
    wanted = settings_dict(settings)
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            errors["enabled"] = ["Must be true or false."]
        wanted["enabled"] = body["enabled"]
    if "dataset_id" in body:
        dataset_id = body["dataset_id"]
        if dataset_id is not None and not (isinstance(dataset_id, str | int) and not isinstance(dataset_id, bool)):
            errors["dataset_id"] = ["The dataset (pixel) id is a number, such as 1234567890123456."]
        else:
            text = None if dataset_id is None else str(dataset_id).strip()
            if text is not None and not (text.isascii() and text.isdigit() and len(text) <= CODE_LENGTH):
                errors["dataset_id"] = ["The dataset (pixel) id is digits only, such as 1234567890123456."]
            wanted["dataset_id"] = text or None
    if "stage_names" in body:
        names = body["stage_names"]
        if not isinstance(names, dict):
            errors["stage_names"] = ["An object of status → stage name."]
        else:
            merged, problems = merged_stage_names(wanted["stage_names"], names)
            if problems:
                errors["stage_names"] = problems
            wanted["stage_names"] = merged
    if "test_event_code" in body:
        code = body["test_event_code"]
        if code is not None and (not isinstance(code, str) or len(code.strip()) > CODE_LENGTH):
            errors["test_event_code"] = [f"Text of at most {CODE_LENGTH} characters, or null."]
        else:
            wanted["test_event_code"] = (code.strip() or None) if isinstance(code, str) else None
    if wanted["enabled"] is True and not wanted["dataset_id"] and "dataset_id" not in errors:
        errors["dataset_id"] = ["Set the dataset (pixel) id before switching the Conversions API on."]
    if errors:
        raise ValidationError(errors)
    return wanted


def merged_stage_names(current: dict[str, str], names: t.Mapping[str, t.Any]) -> tuple[dict[str, str], list[str]]:
    merged, problems = dict(current), []
    for status, name in names.items():
        if status not in STATUSES:
            problems.append(f"{status!r} is not a lead status ({', '.join(STATUSES)}).")
        elif name is None:
            merged.pop(status, None)
        elif not isinstance(name, str) or not name.strip():
            problems.append(f"The stage name for {status} must not be empty (null sends nothing for it).")
        elif len(name.strip()) > NAME_LENGTH:
            problems.append(f"The stage name for {status} is longer than {NAME_LENGTH} characters.")
        else:
            merged[status] = name.strip()
    return merged, problems


def apply_change(settings: ConversionSettings, wanted: t.Mapping[str, t.Any]) -> bool:
    """Write a validated change (the caller commits); True when it switched the feature on."""
    switched_on = bool(wanted["enabled"]) and not settings.enabled
    settings.enabled = bool(wanted["enabled"])
    settings.dataset_id = wanted["dataset_id"]
    settings.stage_names = dict(wanted["stage_names"])
    settings.test_event_code = wanted["test_event_code"]
    return switched_on
