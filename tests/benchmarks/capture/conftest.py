"""Fixtures of the capture benchmarks: a fresh migrated PostgreSQL database, a private Redis, the
Graph sandbox in its own process, and the product connected to it, all torn down after each
benchmark."""

from __future__ import annotations

import dataclasses
import subprocess
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa

from . import harness


def pytest_configure(config: pytest.Config) -> None:
    # tox.ini's norecursedirs replaces pytest's defaults (".*" among them), so a .hypothesis folder
    # left in the repository root by another run makes Hypothesis's plugin warn while pytest walks
    # the root, and filterwarnings=error turns that into a collection error for every run.
    config.addinivalue_line("filterwarnings", "ignore:Skipping collection of '.hypothesis' directory:UserWarning")


@pytest.fixture(scope="session")
def encryption_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


@pytest.fixture
def stack(tmp_path: Path) -> t.Iterator[harness.Stack]:
    with harness.Stack(tmp_path) as processes:
        yield processes


@pytest.fixture
def database_url() -> t.Iterator[str]:
    url = harness.create_database()
    yield url
    harness.drop_database(url)


@pytest.fixture
def engine(database_url: str) -> t.Iterator[sa.Engine]:
    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT", pool_size=2)
    yield engine
    engine.dispose()


@dataclasses.dataclass
class LeadPath:
    """The product wired to a sandbox: what a benchmark needs to drive and to watch it."""

    stack: harness.Stack
    logs: Path
    database_url: str
    redis_url: str
    graph_url: str
    env: dict[str, str]  # the product's environment (RQ mode)
    seed: dict[str, t.Any]
    engine: sa.Engine

    def form(self, kind: str = "standard") -> str:
        return str(self.seed["forms"][kind])

    def create_leads(self, count: int, kind: str = "standard") -> list[dict[str, t.Any]]:
        """New leads in the sandbox (not delivered); each as Meta's Python-API view with page_id."""
        leads: list[dict[str, t.Any]] = []
        while len(leads) < count:
            step = min(2000, count - len(leads))
            leads += harness.sandbox_call(self.graph_url, "POST", "_sandbox/leads", {"form_id": self.form(kind), "count": step})[
                "leads"
            ]
        return leads

    def scalar(self, sql: str, **params: t.Any) -> t.Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()


def connect(env: dict[str, str], user_token: str) -> str:
    """``flask socials connect-token`` with jobs run inline (the first sync, the seed's backfill)."""
    eager = {k: v for k, v in env.items() if k != "REDIS_URL"} | {"FLASK_JOBS_MODE": "eager"}
    done = subprocess.run(
        [str(harness.BIN / "flask"), "--app", "wsgi", "socials", "connect-token", "--access-token", user_token],
        cwd=harness.ROOT,
        env=eager,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"connecting to the sandbox failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip()


@pytest.fixture
def lead_path_factory(
    stack: harness.Stack, tmp_path: Path, database_url: str, engine: sa.Engine, encryption_key: str
) -> t.Callable[..., LeadPath]:
    def make(latency_ms: int, **flask: str) -> LeadPath:
        redis_url = harness.start_redis(stack)
        graph_url = harness.start_sandbox(stack, latency_ms)
        env = harness.app_env(database_url, redis_url, graph_url, encryption_key, **flask)
        seed = harness.sandbox_call(graph_url, "GET", "_sandbox/seed")
        connect(env, seed["user_token"])
        path = LeadPath(stack, tmp_path, database_url, redis_url, graph_url, env, seed, engine)
        assert path.scalar("SELECT count(*) FROM socials_pages WHERE leadgen_subscribed"), "pages connected and subscribed"
        return path

    return make
