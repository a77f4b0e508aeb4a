"""Dialect-aware ``INSERT … ON CONFLICT`` for PostgreSQL and SQLite (both support it natively)."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from plugins.core.extensions import db


def insert_for(table: sa.Table) -> t.Any:
    """The dialect's ``insert`` construct, which offers ``on_conflict_do_update/do_nothing``."""
    if db.engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    if db.engine.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"upserts are written for PostgreSQL and SQLite, not {db.engine.dialect.name}")
