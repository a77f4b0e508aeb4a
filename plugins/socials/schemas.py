"""JSON shapes of the connections page: a connected account with its pages."""

from __future__ import annotations

from marshmallow import Schema, fields

from plugins.socials.registry import socials_state


class ConnectedPageSchema(Schema):
    id = fields.Integer()
    page_id = fields.String(metadata={"description": "Meta's Page id."})
    name = fields.String()
    leadgen_subscribed = fields.Boolean()
    last_webhook_at = fields.AwareDateTime(allow_none=True)


class ConnectionSchema(Schema):
    """A connected Facebook account; ``status`` is ``needs_reauth`` while its token is dead."""

    id = fields.Integer()
    provider = fields.String()
    name = fields.String(allow_none=True)
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    token_type = fields.String(allow_none=True)
    token_expires_at = fields.AwareDateTime(allow_none=True)
    granted_scopes = fields.List(fields.String(), allow_none=True)
    missing_scopes = fields.Function(
        lambda platform: [s for s in socials_state().scopes if s not in (platform.granted_scopes or [])],
        metadata={"type": "array", "items": {"type": "string"}, "description": "Scopes to accept on a reconnect."},
    )
    last_webhook_at = fields.AwareDateTime(
        attribute="latest_webhook_at", allow_none=True, metadata={"description": "The latest of its pages' last webhooks."}
    )
    last_synced_at = fields.AwareDateTime(allow_none=True)
    pages = fields.List(fields.Nested(ConnectedPageSchema))


class ConnectionListSchema(Schema):
    connections = fields.List(fields.Nested(ConnectionSchema))
    count = fields.Integer()


class SubscribedSchema(Schema):
    page_id = fields.String()
    leadgen_subscribed = fields.Boolean()
