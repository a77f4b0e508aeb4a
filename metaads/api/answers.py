"""The shapes of answers that are not one model's fields (those are ``metaads.schemas``): the
leads list with its cursors and counts, a bulk change, an export, a test lead, the pipeline,
insights, the Conversions API settings; and the query strings and bodies the routes load.
The routes declare them (``plugins.core.apidoc.documented``); Schemathesis checks in CI that
every answer matches them, field for field (unknown keys are refused)."""

from __future__ import annotations

import datetime as dt
import typing as t

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from metaads.conversions.settings import CODE_LENGTH, NAME_LENGTH, STATUSES
from metaads.insights import dates
from metaads.leads.export import FORMATS
from metaads.leads.filters import LeadFilterSchema, LeadListSchema
from metaads.leads.schemas import ExportOptionsSchema, LeadDetailSchema
from metaads.schemas import (
    ConversionBatchSchema,
    ConversionEventSchema,
    JobFailureSchema,
    LeadSchema,
    OutboundDeliverySchema,
    PageHealthSchema,
    SyncRunSchema,
    WebhookInboxSchema,
)
from plugins.core.apidoc import one_of
from plugins.core.pages import PagingSchema


class LeadListQuery(LeadListSchema, PagingSchema):  # type: ignore[misc]  # both Metas: unknown = EXCLUDE
    """The leads list's query string: its filters, a cursor or an offset, and a limit."""


class ExportRequestSchema(LeadFilterSchema, ExportOptionsSchema):  # type: ignore[misc]  # both Metas: unknown = EXCLUDE
    """An export: the list's filters (in the body or the query string) and how to deliver the file."""


class LeadPageSchema(Schema):
    leads = fields.List(fields.Nested(LeadSchema))
    count = fields.Integer(metadata={"description": "How many match (an estimate past METAADS_COUNT_CAP)."})
    count_is_estimate = fields.Boolean()
    limit = fields.Integer()
    offset = fields.Integer()
    next_cursor = fields.String(allow_none=True, metadata={"description": "Pass as after= for the next page."})
    previous_cursor = fields.String(allow_none=True, metadata={"description": "Pass as before= for the previous page."})
    status_counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    status_counts_capped = fields.List(fields.String())


class BulkAnswerSchema(Schema):
    leads = fields.List(fields.Nested(LeadSchema))
    count = fields.Integer()
    status_changes = fields.Integer()


class ExportSchema(Schema):
    """An export written in a job (``mode=link``); ``download_url`` works without a login for 24 hours."""

    id = fields.String()
    status = fields.String(metadata={"enum": ["pending", "done", "failed"]})
    rows = fields.Integer(allow_none=True)
    filters = fields.Dict(keys=fields.String(), values=fields.String())
    bom = fields.Boolean()
    format = fields.String(metadata={"enum": list(FORMATS)})
    created_at = fields.String(metadata={"format": "date-time"})
    expires_at = fields.String(metadata={"format": "date-time"})
    download_url = fields.String()
    error = fields.String(allow_none=True)


class ExportAnswerSchema(Schema):
    export = fields.Nested(ExportSchema)


class LastTestLeadSchema(Schema):
    """The form's last test lead: created through Meta, then its webhook, then the stored lead."""

    id = fields.String(metadata={"description": "Meta's lead id."})
    created_at = fields.String(metadata={"format": "date-time"})
    by = fields.Integer(allow_none=True, metadata={"description": "The user who sent it."})
    received_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    fetched_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    lead_id = fields.Integer(allow_none=True)


class LastTestLeadAnswerSchema(Schema):
    test_lead = fields.Nested(LastTestLeadSchema, allow_none=True)


class SyncStartedSchema(Schema):
    sync_run = fields.Nested(SyncRunSchema)


class LeadWithConversionsSchema(Schema):
    lead = fields.Nested(LeadDetailSchema)
    conversion_events = fields.List(
        fields.Nested(ConversionEventSchema), metadata={"description": "The stages sent to Meta's Conversions API."}
    )


class ConversionsPipelineSchema(Schema):
    """The Conversions API on the Pipeline page: events by status, the latest failures and calls."""

    enabled = fields.Boolean()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    last_error = fields.String(allow_none=True)
    retry_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    failed = fields.List(fields.Nested(ConversionEventSchema))
    batches = fields.List(fields.Nested(ConversionBatchSchema))


class PipelineSchema(Schema):
    inbox_counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    problems = fields.List(fields.Nested(WebhookInboxSchema))
    sync_runs = fields.List(fields.Nested(SyncRunSchema))
    missed_by_webhook_7d = fields.Integer()
    pages = fields.List(fields.Nested(PageHealthSchema))
    job_failures = fields.List(fields.Nested(JobFailureSchema))
    outbound_deliveries = fields.List(fields.Nested(OutboundDeliverySchema))
    conversions = fields.Nested(ConversionsPipelineSchema)


class RetriedSchema(Schema):
    retried = fields.Integer(metadata={"description": "How many inbox rows were queued again."})


# --- insights ---------------------------------------------------------------------------------


class DateRangeQuery(Schema):
    """``since`` / ``until``: account days, both inclusive; either may be left open."""

    class Meta:
        unknown = EXCLUDE  # the other arguments of the query string are the route's own

    since = fields.Date(
        metadata={"description": "YYYY-MM-DD, in the account's time zone."},
        error_messages={"invalid": "since must be a date YYYY-MM-DD."},
    )
    until = fields.Date(
        metadata={"description": "YYYY-MM-DD, in the account's time zone, inclusive."},
        error_messages={"invalid": "until must be a date YYYY-MM-DD."},
    )

    @validates_schema
    def ordered(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError("since must not be after until.", "since")


def _known_preset(name: str) -> None:
    # dates.preset is the one list of Meta's names; any day tells whether it knows one.
    try:
        dates.preset(name, dt.date(2000, 1, 1))
    except ValueError:
        raise ValidationError(f"Unknown date_preset {name!r}.") from None


class InsightsQuery(DateRangeQuery):
    """An insights request: ``since`` and ``until`` together, or ``date_preset`` (default
    ``last_30d``), and ``time_increment``."""

    date_preset = fields.String(
        validate=_known_preset,
        metadata={"description": "Meta's names: today, yesterday, last_7d, last_30d, this_month, last_month, maximum…"},
    )
    time_increment = fields.String(
        load_default="1",
        validate=validate.OneOf(("1", "all_days"), error="time_increment must be 1 or all_days."),
        metadata={"description": "1: a row per day with delivery; all_days: one row for the range."},
    )

    @validates_schema
    def one_range(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        given = [name for name in ("since", "until") if data.get(name)]
        if data.get("date_preset") and given:
            raise ValidationError("Give since/until or date_preset, not both.", "date_preset")
        if len(given) == 1:
            raise ValidationError("since and until go together.", "until" if given == ["since"] else "since")


class InsightMetricsSchema(Schema):
    """Totals of stored daily rows; money in the account currency's minor units."""

    impressions = fields.Integer(required=True)
    clicks = fields.Integer(required=True)
    spend = fields.Integer(required=True, metadata={"description": "Minor units."})
    leads = fields.Integer(required=True, metadata={"description": "Meta's lead action."})
    ctr = fields.Float(required=True, allow_none=True, metadata={"description": "Clicks per 100 impressions."})
    cpc = fields.Integer(required=True, allow_none=True, metadata={"description": "Minor units, rounded half up."})
    cpm = fields.Integer(required=True, allow_none=True, metadata={"description": "Minor units, rounded half up."})
    cost_per_lead = fields.Integer(required=True, allow_none=True, metadata={"description": "Minor units, rounded half up."})


class InsightRowSchema(InsightMetricsSchema):
    date_start = fields.Date(required=True)
    date_stop = fields.Date(required=True)


class InsightsAnswerSchema(Schema):
    insights = fields.List(fields.Nested(InsightRowSchema), required=True)
    totals = fields.Nested(InsightMetricsSchema, required=True)
    currency = fields.String(required=True)
    since = fields.Date(required=True)
    until = fields.Date(required=True)


# --- the Conversions API ----------------------------------------------------------------------


class ConversionSettingsSchema(Schema):
    enabled = fields.Boolean(required=True)
    dataset_id = fields.String(required=True, allow_none=True, metadata={"description": "The dataset (pixel) id."})
    stage_names = fields.Dict(
        keys=fields.String(validate=validate.OneOf(STATUSES)),
        values=fields.String(),
        required=True,
        metadata={"description": "The event name sent for each lead status; a status not named sends nothing."},
    )
    test_event_code = fields.String(required=True, allow_none=True)


ConversionsAnswerSchema = one_of("conversions", ConversionSettingsSchema)


class ConversionsChangeSchema(Schema):
    """Any of the settings (``metaads.conversions.settings.validated_change`` judges them):
    ``stage_names`` merges by status, null stops a stage."""

    enabled = fields.Boolean(metadata={"description": "true needs a dataset_id."})
    dataset_id = fields.String(
        allow_none=True, validate=validate.Regexp(rf"^[0-9]{{1,{CODE_LENGTH}}}$"), metadata={"description": "Digits."}
    )
    stage_names = fields.Dict(
        keys=fields.String(validate=validate.OneOf(STATUSES)),
        values=fields.String(allow_none=True, validate=validate.Length(1, NAME_LENGTH)),
    )
    test_event_code = fields.String(allow_none=True, validate=validate.Length(max=CODE_LENGTH))


class TestEventSchema(Schema):
    events_received = fields.Integer(required=True)
    fbtrace_id = fields.String(required=True, allow_none=True)
    lead_id = fields.Integer(required=True, metadata={"description": "The lead the event was sent for (our id)."})


class TestEventAnswerSchema(Schema):
    test_event = fields.Nested(TestEventSchema, required=True)
