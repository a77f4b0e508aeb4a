"""The embedded default runs web requests, the in-process worker and the scheduler in threads of
one process: SQLite needs WAL (readers never wait for the writer) and a busy timeout (a writer
waits for another instead of failing with "database is locked")."""

from __future__ import annotations

import sqlite3
import typing as t

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@sa.event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: t.Any, _record: t.Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
