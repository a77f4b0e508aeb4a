"""One upsert, committed on its own, for the hottest write path (the webhook inbox).

Through the ORM session one statement costs a pool checkout, the pre-ping, ``BEGIN``, the
statement and ``COMMIT`` (four round trips), and SQLAlchemy's execution machinery costs more CPU
than psycopg itself. On PostgreSQL each thread here keeps one psycopg connection of its own, in
autocommit mode with prepared statements, and sends the statement alone: one round trip, and
PostgreSQL has committed it when the rows come back. The SQL is SQLAlchemy's own compilation of
the statement, so there is one definition of it. Other databases take the ordinary path: the
embedded SQLite default is not where load lands.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import threading
import typing as t

import psycopg
import sqlalchemy as sa
from psycopg.types.json import JsonbDumper

from plugins.core.extensions import db

log = logging.getLogger(__name__)

_held = threading.local()


def execute(statement: sa.Insert, rows: list[dict[str, t.Any]]) -> list[tuple[t.Any, ...]]:
    """Run ``statement`` (with ``RETURNING``) for ``rows``, each row committed on its own, and
    return the rows it answered once they are committed. Database errors are raised as
    SQLAlchemy's (``sa.exc.DBAPIError``), after which some rows may be stored and others not: the
    caller answers so that all of them are sent again (a webhook's 503).

    The statement must be safe to run twice (an upsert): a connection that breaks after sending
    it cannot tell whether PostgreSQL committed it, so it is sent once more on a new connection
    before an error reaches the caller (the inbox upsert then counts a delivery Meta did not make;
    what it stores is the same). Every row has the same keys, covering every column the statement
    binds: Python-side column defaults are not applied on this path.
    """
    engine = db.engine
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            return [tuple(row) for row in conn.execute(statement, rows).all()]
    sql, constants = driver_sql(statement, frozenset(rows[0]), engine.dialect)
    if constants:
        rows = [{**constants, **row} for row in rows]
    for attempt in (1, 2):
        conn = _connection(engine)
        try:
            with conn.cursor() as cursor:
                if len(rows) == 1:
                    return cursor.execute(sql, rows[0]).fetchall()
                cursor.executemany(sql, rows, returning=True)
                return [row for _ in iter_results(cursor) for row in cursor.fetchall()]
        except psycopg.Error as exc:
            broken = conn.broken or conn.closed
            _discard()
            if attempt == 2 or not broken:
                raise sa.exc.DBAPIError.instance(sql, rows, exc, psycopg.Error) from exc
            log.warning("autocommit connection lost (%s); sending the statement again", type(exc).__name__)
    raise AssertionError("unreachable")


def iter_results(cursor: t.Any) -> t.Iterator[None]:
    """Step through the result of every row of an ``executemany(..., returning=True)``."""
    yield
    while cursor.nextset():
        yield


@functools.lru_cache(maxsize=32)
def driver_sql(statement: sa.Insert, keys: frozenset[str], dialect: sa.Dialect) -> tuple[str, dict[str, t.Any]]:
    """The statement as psycopg takes it (``%(name)s`` placeholders named after the columns), and
    the values of the parameters the statement holds itself (``deliveries + 1``)."""
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    defaulted = sorted(column.key for column in compiled.insert_prefetch)
    if defaulted:  # SQLAlchemy would compute these per execution; this path does not
        raise ValueError(f"rows must give every column that has a Python-side default; missing {defaulted}")
    constants = {name: value for name, value in compiled.params.items() if name not in keys}
    return str(compiled), constants


def _connection(engine: sa.Engine) -> t.Any:
    """This thread's psycopg connection to ``engine``'s database, opened on first use and again in
    a forked child. It is not the pool's: a child would share the pool's sockets with its parent,
    and a connection tuned like this one must not be handed to anyone else."""
    held = getattr(_held, "value", None)
    if held is not None and held[0] == os.getpid() and held[1] is engine and not held[2].closed:
        return held[2]
    _discard()  # another engine's (an app built again, as tests do), or a closed one
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    raw = engine.dialect.loaded_dbapi.connect(*cargs, **cparams, autocommit=True)
    # Prepared from the first run: this connection runs a handful of statements thousands of
    # times, and PostgreSQL then skips parsing and planning (a third of its CPU per insert here).
    # The engine's other connections keep it off (see settings.check).
    raw.prepare_threshold = 0
    raw.adapters.register_dumper(dict, JsonbDumper)  # JSON columns, as SQLAlchemy would bind them
    _held.value = (os.getpid(), engine, raw)
    return raw


@atexit.register
def _discard() -> None:
    """Close this thread's connection (in the process that opened it: psycopg leaves a parent's
    connection alone in a forked child, and so do we)."""
    held = getattr(_held, "value", None)
    _held.value = None
    if held is not None and held[0] == os.getpid():
        held[2].close()
