"""Dialect-aware SQL of the lead path for PostgreSQL and SQLite: ``INSERT … ON CONFLICT`` (both
support it natively), ``INSERT … SELECT`` of a whole page of rows as one statement, and a page
of values to look rows up by."""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite

from plugins.core.extensions import db

Row = Mapping[str, t.Any]


def insert_for(table: sa.Table) -> t.Any:
    """The dialect's ``insert`` construct, which offers ``on_conflict_do_update/do_nothing``."""
    if db.engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    if db.engine.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"upserts are written for PostgreSQL and SQLite, not {db.engine.dialect.name}")


def insert_rows(table: sa.Table, rows: Sequence[Row]) -> t.Any:
    """``INSERT INTO table (…) SELECT … FROM <rows>``: every row in one statement, parsed and
    planned once, which a RETURNING clause can answer for all rows at once. An executemany
    costs PostgreSQL a parse and plan per row (statements are never prepared: see
    ``plugins.core.settings``). Every row has the keys of the first; add ON CONFLICT clauses
    to the result like to ``insert_for``'s."""
    shared = shared_values(rows)
    varying = [table.c[name] for name in rows[0] if name not in shared]
    selected = dict(zip((column.name for column in varying), page_columns(table, varying, rows), strict=True))
    # A value every row shares is one parameter, not one per row (times, sources, ids of a page).
    selected |= {name: sa.bindparam(None, value, type_=table.c[name].type) for name, value in shared.items()}
    names = list(rows[0])
    # SQLite reads "FROM x ON CONFLICT" as a join's ON without a WHERE between them.
    select = sa.select(*(selected[name] for name in names)).where(sa.true())
    return insert_for(table).from_select(names, select)


def shared_values(rows: Sequence[Row]) -> dict[str, t.Any]:
    """The columns whose value is the same in every row. None for a lone row (or rows all
    alike): a page with no column of its own would have no rows left to select."""
    first = rows[0]
    shared = {name: value for name, value in first.items() if all(row[name] == value for row in rows[1:])}
    return shared if len(shared) < len(first) else {}


def page_columns(table: sa.Table, columns: Sequence[sa.Column[t.Any]], rows: Sequence[Row]) -> list[t.Any]:
    """The rows' values of ``columns``, to select from. PostgreSQL gets the rows as one JSON
    parameter read into the table's row type (its casts give each column its type); SQLite as a
    VALUES list, one parameter per value (SQLite takes 32,766: about 1,000 rows of a wide table)."""
    if db.engine.dialect.name != "postgresql":
        values = sa.values(*(sa.column(column.name, column.type) for column in columns), name="page")
        listed = values.data([tuple(row[column.name] for column in columns) for row in rows]).cte()
        return [listed.c[column.name] for column in columns]
    row_type = db.engine.dialect.identifier_preparer.format_table(table)
    names = [column.name for column in columns]
    payload = json.dumps([{name: row[name] for name in names} for row in rows], default=json_value)
    records = sa.func.jsonb_populate_recordset(
        sa.literal_column(f"NULL::{row_type}"), sa.cast(sa.bindparam("rows", payload, type_=sa.Text()), postgresql.JSONB)
    )
    page = records.table_valued(*names).alias("page")
    return [json_null(page.c[column.name], column) for column in columns]


def among(column: orm.QueryableAttribute[t.Any], values: t.Collection[t.Any]) -> sa.ColumnElement[bool]:
    """``column IN values`` for a page of values. PostgreSQL gets them as one array parameter
    (``= ANY``): an IN list of 500 parameters is a statement that psycopg converts and PostgreSQL
    parses and plans anew each time."""
    if db.engine.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(list(values))


def json_null(value: t.Any, column: sa.Column[t.Any]) -> t.Any:
    """A JSON column's None is JSON ``null`` when SQLAlchemy writes it (``none_as_null`` is
    off), but SQL NULL when PostgreSQL reads it out of a JSON record: write it as SQLAlchemy would."""
    if isinstance(column.type, sa.JSON) and not column.type.none_as_null:
        return sa.func.coalesce(value, sa.literal_column("'null'")).label(column.name)
    return value


def json_value(value: t.Any) -> str:
    """What ``json.dumps`` cannot write itself: times, which must be aware (as ``UTCDateTime``
    requires); PostgreSQL reads the offset."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column; pass an aware datetime")
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")
