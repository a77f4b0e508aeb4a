"""The migrations build exactly the models' schema, and go down and up again cleanly."""

from __future__ import annotations

import uuid

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from plugins.core import create_app
from plugins.core.extensions import db
from plugins.core.migrations import compare_type
from tests.conftest import POSTGRES_URL, base_config

# SQLite's reflection cannot read indexes on expressions (the leads list's sort indexes), so there
# they are skipped with a warning; PostgreSQL compares them. tests/metaads/leads/test_sort.py checks
# that SQLite has them and uses them.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
]


def differences(app: Flask) -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": compare_type, "render_as_batch": True})
        return list(compare_metadata(context, db.metadata))


def test_models_and_migrations_agree(app: Flask) -> None:
    assert differences(app) == []


@pytest.fixture
def empty_database(db_backend: str, tmp_path: object) -> str:
    if db_backend == "sqlite":
        return f"sqlite:///{tmp_path}/roundtrip.db"
    name = f"metaads_roundtrip_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    app = create_app(base_config(empty_database))
    with app.app_context():
        flask_migrate.upgrade()
        assert "metaads_leads" in sa.inspect(db.engine).get_table_names()
        flask_migrate.downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        flask_migrate.upgrade()
        assert differences(app) == []
        db.engine.dispose()
    if empty_database.startswith("postgresql"):
        server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{sa.make_url(empty_database).database}" WITH (FORCE)'))
        server.dispose()


def test_cli_db_upgrade_on_the_embedded_default(tmp_path: object) -> None:
    app = create_app(base_config(f"sqlite:///{tmp_path}/cli.db"))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "accounts_users" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
