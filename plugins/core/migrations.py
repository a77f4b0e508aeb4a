"""How Alembic writes our custom column types into migration files: as the plain types they store,
so a migration never imports application code that may change after it was written."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from plugins.core.crypto import EncryptedText
from plugins.core.models import UTCDateTime


def render_item(type_: str, obj: t.Any, autogen_context: t.Any) -> str | t.Literal[False]:
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EncryptedText):
        return "sa.Text()"
    return False


def compare_type(context: t.Any, inspected: t.Any, metadata: t.Any, inspected_type: t.Any, metadata_type: t.Any) -> bool | None:
    # Our decorators store their impl types; compare those, not the decorators themselves.
    if isinstance(metadata_type, sa.TypeDecorator):
        return context.impl.compare_type(inspected, sa.Column(metadata.name, metadata_type.impl))
    return None
