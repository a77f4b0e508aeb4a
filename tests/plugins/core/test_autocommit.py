"""The hot-path upsert: committed when it returns, resent once over a connection that broke,
errors raised as SQLAlchemy's, a connection of its own per process."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask import Flask

from metaads.capture.webhook import full_row, upsert_statement
from metaads.models import WebhookInbox
from plugins.core import autocommit
from plugins.core.extensions import db
from plugins.core.models import utcnow


def row(key: str, **values: object) -> dict[str, object]:
    return full_row({"dedupe_key": key, "status": "pending", **values}, utcnow())


def stored() -> dict[str, int]:
    """dedupe key → deliveries, read on the test's own connection (so: only what is committed)."""
    with db.engine.connect() as conn:
        return dict(conn.execute(sa.select(WebhookInbox.dedupe_key, WebhookInbox.deliveries)).all())


def test_rows_come_back_committed_with_their_ids(app: Flask) -> None:
    first = autocommit.execute(upsert_statement(), [row("1", payload={"leadgen_id": "1", "name": "Zoë"})])
    both = autocommit.execute(upsert_statement(), [row("1"), row("2")])
    assert [status for _, status in both] == ["pending", "pending"]
    assert both[0][0] == first[0][0], "the upsert answers with the existing row's id"
    assert stored() == {"1": 2, "2": 1}
    payload = db.session.execute(sa.select(WebhookInbox.payload).where(WebhookInbox.dedupe_key == "1")).scalar_one()
    assert payload == {"leadgen_id": "1", "name": "Zoë"}, "JSON is stored as JSON, unicode intact"


@pytest.mark.postgres_only
def test_rows_must_give_every_column_with_a_python_default(app: Flask) -> None:
    incomplete = row("1")
    del incomplete["deliveries"]  # SQLAlchemy would fill it in; the PostgreSQL path does not
    with pytest.raises(ValueError, match="deliveries"):
        autocommit.execute(upsert_statement(), [incomplete])
    assert stored() == {}


@pytest.mark.postgres_only
def test_a_broken_connection_is_replaced_and_the_statement_sent_again(app: Flask) -> None:
    autocommit.execute(upsert_statement(), [row("1")])
    held = autocommit._held.value[2]
    with db.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": held.info.backend_pid})
        conn.commit()
    result = autocommit.execute(upsert_statement(), [row("2")])
    assert len(result) == 1 and stored() == {"1": 1, "2": 1}
    assert autocommit._held.value[2] is not held, "a new connection took over"


@pytest.mark.postgres_only
def test_other_errors_reach_the_caller_as_sqlalchemy_errors(app: Flask) -> None:
    too_long = row("1", page_id="9" * 65)  # page_id is VARCHAR(64)
    with pytest.raises(sa.exc.DBAPIError) as caught:
        autocommit.execute(upsert_statement(), [too_long])
    assert not caught.value.connection_invalidated
    assert autocommit.execute(upsert_statement(), [row("2")]), "the next statement runs on a fresh connection"
    assert stored() == {"2": 1}


@pytest.mark.postgres_only
def test_a_forked_child_opens_its_own_connection(app: Flask) -> None:
    autocommit.execute(upsert_statement(), [row("parent-1")])
    pid = os.fork()
    if pid == 0:  # the child: the same statement, on a connection of its own
        code = 1
        try:
            autocommit.execute(upsert_statement(), [row("child")])
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    autocommit.execute(upsert_statement(), [row("parent-2")])
    assert stored() == {"parent-1": 1, "child": 1, "parent-2": 1}, "the parent's connection survived the child"
