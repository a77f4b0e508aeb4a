"""What the admin pages do with the Conversions API: change the settings (switching on replays
the last 7 days), show a lead's stages, and the Pipeline page's counts and batches."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from metaads.conversions.delivery import kick
from metaads.conversions.events import replay_recent
from metaads.conversions.settings import apply_change, current_settings, validated_change
from metaads.models import ConversionBatch, ConversionEvent, ConversionSettings
from metaads.schemas import ConversionBatchSchema, ConversionEventSchema
from plugins.core.extensions import db
from plugins.core.models import utcnow

EVENT_STATUSES = ("pending", "sent", "failed", "expired", "skipped")


def change_settings(body: t.Mapping[str, t.Any]) -> ConversionSettings:
    """Validate the whole change (ValidationError: nothing applied), apply it, and when it
    switched the feature on, write the stages reached in the last 7 days; then commit."""
    settings = current_settings()
    wanted = validated_change(settings, body)
    if apply_change(settings, wanted):
        settings.enabled_at = utcnow()
        settings.failures, settings.retry_at, settings.last_error = 0, None, None
        replay_recent(settings)
    db.session.commit()
    if settings.enabled:
        kick()
    return settings


def lead_conversions(lead_id: int) -> list[ConversionEvent]:
    """A lead's stages as the lead page shows them: which went to Meta, and when."""
    query = sa.select(ConversionEvent).where(ConversionEvent.lead_id == lead_id).order_by(ConversionEvent.id)
    return list(db.session.execute(query).scalars())


def pipeline_summary(limit: int = 20) -> dict[str, t.Any]:
    """Events by status, the latest failures with Meta's message, the latest calls with
    ``events_received``, and why the sender waits (if it does)."""
    counts = dict(db.session.execute(sa.select(ConversionEvent.status, sa.func.count()).group_by(ConversionEvent.status)).all())
    failed = db.session.execute(
        sa.select(ConversionEvent)
        .where(ConversionEvent.status.in_(("failed", "expired")))
        .order_by(ConversionEvent.id.desc())
        .limit(limit)
    ).scalars()
    batches = db.session.execute(sa.select(ConversionBatch).order_by(ConversionBatch.id.desc()).limit(limit)).scalars()
    settings = db.session.get(ConversionSettings, 1)
    return {
        "enabled": bool(settings and settings.enabled),
        "counts": {status: int(counts.get(status, 0)) for status in EVENT_STATUSES},
        "last_error": settings.last_error if settings else None,
        "retry_at": settings.retry_at if settings else None,
        "failed": list(failed),
        "batches": list(batches),
    }


def pipeline_payload(summary: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """``pipeline_summary`` as JSON."""
    return {
        **summary,
        "retry_at": summary["retry_at"].isoformat() if summary["retry_at"] else None,
        "failed": ConversionEventSchema(many=True).dump(summary["failed"]),
        "batches": ConversionBatchSchema(many=True).dump(summary["batches"]),
    }
