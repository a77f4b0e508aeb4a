"""JSON shapes of persons, and what their list accepts."""

from __future__ import annotations

from marshmallow import Schema, fields

from plugins.core.pages import PagingSchema


class PersonSchema(Schema):
    id = fields.Integer()
    full_name = fields.String(allow_none=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "E.164."})
    source = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class PersonQuerySchema(PagingSchema):
    q = fields.String(metadata={"description": "Part of the name, email or phone."})
