"""The shapes of answers that are not one model's fields (those are ``metaads.schemas``): the
leads list with its cursors and counts, a bulk change, an export, a test lead, the pipeline.
The routes declare them (``plugins.core.apidoc.documented``); Schemathesis checks in CI that
every answer matches them, field for field (unknown keys are refused)."""

from __future__ import annotations

from marshmallow import Schema, fields

from metaads.leads.filters import LeadFilterSchema, LeadListSchema
from metaads.leads.schemas import ExportOptionsSchema
from metaads.schemas import (
    JobFailureSchema,
    LeadSchema,
    OutboundDeliverySchema,
    PageHealthSchema,
    SyncRunSchema,
    WebhookInboxSchema,
)
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


class PipelineSchema(Schema):
    inbox_counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    problems = fields.List(fields.Nested(WebhookInboxSchema))
    sync_runs = fields.List(fields.Nested(SyncRunSchema))
    missed_by_webhook_7d = fields.Integer()
    pages = fields.List(fields.Nested(PageHealthSchema))
    job_failures = fields.List(fields.Nested(JobFailureSchema))
    outbound_deliveries = fields.List(fields.Nested(OutboundDeliverySchema))


class RetriedSchema(Schema):
    retried = fields.Integer(metadata={"description": "How many inbox rows were queued again."})
