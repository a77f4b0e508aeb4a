"""What the lead routes accept (PATCH, bulk, export) and the extra JSON a lead's detail carries.
The lead's own fields are ``metaads.schemas.LeadSchema`` (the seed's names)."""

from __future__ import annotations

import typing as t

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from metaads.answers import labelled_answers
from metaads.leads.export import FORMATS
from metaads.leads.filters import UNASSIGNED, ErrorMessages
from metaads.leads.workflow import KEEP, LeadUpdate, allowed_transitions
from metaads.models.enums import LeadStatus
from metaads.schemas import LeadActivitySchema, LeadSchema

MAX_BULK = 500


class UserId(fields.Field):
    """A user id as the seed stores it (a string); JSON clients may send the number itself.
    ``none`` unassigns, like null: it is what a form's "Nobody" option can send."""

    default_error_messages: ErrorMessages = {"invalid": "Must be a user id, or null to unassign."}  # noqa: RUF012

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> str | None:
        if value == UNASSIGNED:
            return None
        text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
        if not text.isdigit() or len(text) > 18:
            raise self.make_error("invalid")
        return str(int(text))


class LeadUpdateSchema(Schema):
    """``status``, ``notes`` (replaces the text), ``note`` (appends a dated entry), ``assigned_to``."""

    status = fields.Enum(LeadStatus, by_value=True)
    notes = fields.String(allow_none=True, validate=validate.Length(max=20_000))
    note = fields.String(validate=validate.Length(min=1, max=5_000))
    assigned_to = UserId(allow_none=True)

    @validates_schema
    def something(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        if not data:
            raise ValidationError("Send at least one of: status, notes, note, assigned_to.")
        if "note" in data and not data["note"].strip():
            raise ValidationError("Write something.", "note")

    @post_load
    def make(self, data: dict[str, t.Any], **kwargs: t.Any) -> LeadUpdate:
        return LeadUpdate(
            status=data.get("status"),
            notes=data.get("notes", KEEP),
            note=data.get("note"),
            assigned_to=data.get("assigned_to", KEEP),
        )


class BulkUpdateSchema(Schema):
    ids = fields.List(
        fields.Integer(strict=False, validate=validate.Range(min=1, max=2**63 - 1)),  # ids are bigints
        required=True,
        validate=validate.Length(min=1, max=MAX_BULK, error=f"Select between 1 and {MAX_BULK} leads."),
    )
    status = fields.Enum(LeadStatus, by_value=True)
    assigned_to = UserId(allow_none=True)

    @validates_schema
    def something(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        if "status" not in data and "assigned_to" not in data:
            raise ValidationError("Choose a status or an assignee for the selected leads.")

    @post_load
    def make(self, data: dict[str, t.Any], **kwargs: t.Any) -> tuple[list[int], LeadUpdate]:
        update = LeadUpdate(status=data.get("status"), assigned_to=data.get("assigned_to", KEEP))
        return sorted(set(data["ids"])), update


class ExportOptionsSchema(Schema):
    """``bom``: start the file with a UTF-8 byte order mark (Excel needs it to read UTF-8).
    ``mode``: ``download`` streams the file now; ``link`` writes it in a job and answers with a
    signed link valid for 24 hours (for exports too large to wait for). ``format``: see
    ``metaads.leads.export``."""

    class Meta:
        unknown = EXCLUDE  # the filters travel in the same form

    bom = fields.Boolean(load_default=False, truthy={"1", "true", "on", "yes", 1}, falsy={"0", "false", "off", "no", "", 0})
    mode = fields.String(load_default="download", validate=validate.OneOf(["download", "link"]))
    #: ``readable`` (headers in words, names, one column per question label) or ``full`` (every field).
    format = fields.String(load_default="readable", validate=validate.OneOf(FORMATS))


class LeadDetailSchema(LeadSchema):
    """A lead as its page answers: its fields, its answers under the form's labels, the statuses
    it may move to, and its log."""

    answers = fields.Function(lambda lead: [answer.as_json() for answer in labelled_answers(lead)])
    allowed_transitions = fields.Function(lambda lead: [status.value for status in allowed_transitions(lead)])
    activities = fields.List(fields.Nested(LeadActivitySchema))
