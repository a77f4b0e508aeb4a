"""Fixtures: the app on real PostgreSQL (a fresh database per run, emptied after every test) and
on the SQLite embedded default; real Redis on a database index of its own.

Every test that uses ``app`` runs once per backend in ``--db`` (default: both). Tests marked
``postgres_only`` run on PostgreSQL alone (they exercise what SQLite does not have).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import typing as t
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from plugins.core import create_app
from plugins.core.extensions import db

POSTGRES_URL = os.environ.get("METAADS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("METAADS_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
#: Cheap hashing in tests only: the production parameters cost ~50 ms a login by design.
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}

#: What wsgi.py loads (importing wsgi would build its app from the environment).
EXTENSIONS = ["metaads:MetaAds"]

#: The checkout: wsgi.py, migrations/, the README.
ROOT = Path(__file__).resolve().parents[1]
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default="postgresql,sqlite", help="backends to run app tests on (comma separated)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL features; runs on PostgreSQL only")
    config.addinivalue_line("markers", "browser: drives headless Chromium")
    config.addinivalue_line("markers", "jobs_mode(mode): run the app fixture with this JOBS_MODE")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" not in metafunc.fixturenames:
        return
    backends = [b.strip() for b in metafunc.config.getoption("--db").split(",") if b.strip()]
    if metafunc.definition.get_closest_marker("postgres_only"):
        backends = [b for b in backends if b == "postgresql"]
    metafunc.parametrize("db_backend", backends, scope="session")


def base_config(database_url: str, **overrides: t.Any) -> dict[str, t.Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "JOBS_MODE": "eager",
        "ACCOUNTS_ARGON2": FAST_ARGON2,
        "FACEBOOK_CLIENT_ID": "sandbox-app-id",
        "FACEBOOK_CLIENT_SECRET": "sandbox-app-secret",
        "FACEBOOK_WEBHOOK_VERIFY_TOKEN": "verify-me",
        "PLATFORM_EXTENSIONS": EXTENSIONS,
        **overrides,
    }


def migrate_to_head(database_url: str) -> None:
    import flask_migrate

    app = create_app(base_config(database_url))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> t.Iterator[str]:
    name = f"metaads_test_{uuid.uuid4().hex[:12]}"
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migrate_to_head(url)
    yield url
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / "metaads.db")
    migrate_to_head(url)
    return url


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, db_backend: str) -> str:
    fixture = "postgres_database" if db_backend == "postgresql" else "sqlite_database"
    return t.cast(str, request.getfixturevalue(fixture))


@pytest.fixture
def config_overrides() -> dict[str, t.Any]:
    """Override in a test module to change the app's configuration."""
    return {}


@contextlib.contextmanager
def running_app(database_url: str, **overrides: t.Any) -> t.Iterator[Flask]:
    """An app with its context pushed; afterwards every table is emptied."""
    app = create_app(base_config(database_url, **overrides))
    app.test_client_class = IsolatedClient
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            empty_all_tables()
            db.engine.dispose()


@pytest.fixture
def app(database_url: str, config_overrides: dict[str, t.Any]) -> t.Iterator[Flask]:
    with running_app(database_url, **config_overrides) as app:
        yield app


def empty_all_tables() -> None:
    tables = [table for table in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


class IsolatedClient(FlaskClient):
    """Runs each request in a context of its own, as a server does.

    The ``app`` fixture keeps an app context open so tests can use the database; without this,
    requests would reuse it and share ``g`` (the logged-in user, the CSRF token) and the
    database session across requests, hiding bugs a real server would show.
    """

    def open(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def admin(app: Flask) -> t.Any:
    from plugins.accounts.service import create_admin

    user, _ = create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, name="Ada Admin")
    return user


@pytest.fixture
def admin_client(client: FlaskClient, admin: t.Any) -> FlaskClient:
    """A browser-like client logged in as the admin (session cookie, CSRF on)."""
    login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    return client


@pytest.fixture
def api_token(admin: t.Any) -> str:
    from plugins.accounts.service import issue_token

    return issue_token(admin, "tests")


@pytest.fixture
def api_headers(api_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token}", "Accept": "application/json"}


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page's form carries, read as a browser would."""
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str) -> t.Any:
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def redis_url() -> t.Iterator[str]:
    import redis

    conn = redis.Redis.from_url(REDIS_URL)
    conn.flushdb()
    yield REDIS_URL
    conn.flushdb()
    conn.close()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
