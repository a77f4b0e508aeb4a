"""Benchmarks of lead management on a million leads in PostgreSQL: the filtered list and search
(tests/benchmarks/test_leads_list.py) and the CSV export (tests/benchmarks/test_export.py).

    .venv/bin/pytest tests/benchmarks -s -p no:cacheprovider

Each figure is printed next to a baseline measured in the same run. Environment:

- ``METAADS_BENCH_LEADS``: how many leads to load (default 1,000,000);
- ``METAADS_BENCH_DATABASE_URL``: use this database, already migrated and loaded by an earlier
  run, instead of making a new one (it is not dropped afterwards).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import statistics
import time
import typing as t
import uuid

import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL, migrate_to_head

LEADS = int(os.environ.get("METAADS_BENCH_LEADS", "1000000"))
FORMS, CAMPAIGNS, ADS, USERS = 20, 50, 200, 5
START = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=730)
STATUSES = ["new", "contacted", "qualified", "converted", "disqualified", "archived"]
STATUS_WEIGHTS = [40, 20, 10, 5, 10, 15]
FIRST = ["Zoë", "José", "Σοφία", "Ingrid", "Max", "Aiko", "Lena", "Omar", "Chloé", "Piotr", "Ana", "Jonas"]
LAST = ["Müller", "Ñúñez", "Παπαδοπούλου", "Bjørnstad", "Schwarz", "Tanaka", "Rossi", "Haddad", "Dubois", "Nowak"]
MODELS = ["City E-Bike", "Cargo Family", "Trekking Pro", "Kids 20"]
ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench password, not a secret"  # a throwaway database's admin


@dataclasses.dataclass(frozen=True)
class BenchData:
    url: str  # SQLAlchemy URL of the loaded database
    token: str  # an admin's API token
    leads: int
    busiest_form: int  # LeadForm id with the most leads
    samples: list[tuple[str, str]]  # (email, phone) of leads spread over the table
    admin_email: str = ADMIN_EMAIL
    admin_password: str = ADMIN_PASSWORD


def plain(url: str) -> str:
    """The libpq form of a SQLAlchemy URL."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def bench_data() -> t.Iterator[BenchData]:
    reuse = os.environ.get("METAADS_BENCH_DATABASE_URL")
    url = reuse or create_database()
    try:
        if not reuse:
            migrate_to_head(url)
            started = time.perf_counter()
            load(url, LEADS)
            print(f"\nloaded {LEADS:,} leads by COPY in {time.perf_counter() - started:.1f} s")
        yield describe(url)
    finally:
        if not reuse:
            drop_database(url)


def create_database() -> str:
    name = f"metaads_bench_leads_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)'))
    server.dispose()


def load(url: str, count: int) -> None:
    """Forms and users by INSERT, the leads by COPY with the secondary indexes dropped, then the
    indexes recreated from their exact definitions and the table vacuumed and analysed (so the
    planner and the visibility map are as on a settled production table)."""
    now = dt.datetime.now(dt.UTC)
    with psycopg.connect(plain(url)) as conn:
        questions = json.dumps(
            [
                {"key": k, "label": k.replace("_", " ").capitalize(), "type": "CUSTOM"}
                for k in ("full_name", "email", "phone_number", "which_models", "comments")
            ]
        )
        with conn.cursor() as cur:
            for n in range(1, FORMS + 1):
                cur.execute(
                    "INSERT INTO metaads_lead_forms (meta_form_id, name, status, questions, page_id, leads_count,"
                    " created_at, updated_at) VALUES (%s, %s, 'ACTIVE', %s, '112233445566778', 0, %s, %s)",
                    (str(800_000_000_000 + n), f"Form {n}", questions, now, now),
                )
            for n in range(1, USERS + 1):
                cur.execute(
                    "INSERT INTO accounts_users (email, name, is_admin, active, session_version, created_at, updated_at)"
                    " VALUES (%s, %s, true, true, 1, %s, %s)",
                    (f"sales{n}@example.com", f"Sales {n}", now, now),
                )
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'metaads_leads'"
                " AND indexname NOT IN ('pk_metaads_leads', 'uq_metaads_leads_meta_lead_id')"
            )
            indexes = cur.fetchall()
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            columns = ", ".join(LEAD_COLUMNS)
            with cur.copy(f"COPY metaads_leads ({columns}) FROM STDIN") as copy:
                for row in lead_rows(count, now):
                    copy.write_row(row)
            for _, definition in indexes:
                cur.execute(definition)
            cur.execute(
                "UPDATE metaads_lead_forms f SET leads_count = (SELECT count(*) FROM metaads_leads l WHERE l.lead_form_id = f.id)"
            )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE metaads_leads")


LEAD_COLUMNS = (
    "meta_lead_id",
    "email",
    "phone",
    "full_name",
    "first_name",
    "last_name",
    "field_data",
    "ad_id",
    "ad_name",
    "adset_id",
    "campaign_id",
    "campaign_name",
    "form_id",
    "page_id",
    "is_organic",
    "meta_platform",
    "created_time",
    "status",
    "assigned_to",
    "source",
    "lead_form_id",
    "created_at",
    "updated_at",
)


def lead_rows(count: int, now: dt.datetime) -> t.Iterator[tuple[t.Any, ...]]:
    """Leads in arrival order over two years; one form in four gets half the traffic (so a
    filtered list is deep enough to page far); emails and phones unique."""
    rng = random.Random(20260314)
    step = SPAN / count
    form_weights = [10 if n <= 2 else 1 for n in range(1, FORMS + 1)]
    forms = rng.choices(range(1, FORMS + 1), weights=form_weights, k=count)
    statuses = rng.choices(STATUSES, weights=STATUS_WEIGHTS, k=count)
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email, phone = f"lead{i}@example{i % 97}.com", f"+49151{i:08d}"
        campaign, ad = i % CAMPAIGNS + 1, i % ADS + 1
        answers = [
            {"name": "full_name", "values": [f"{first} {last}"]},
            {"name": "email", "values": [email]},
            {"name": "phone_number", "values": [phone]},
            {"name": "which_models", "values": rng.sample(MODELS, k=1 + i % 2)},
            {"name": "comments", "values": ["Bitte am Wochenende anrufen." if i % 3 else ""]},
        ]
        yield (
            str(500_000_000_000_000 + i),
            email,
            phone,
            f"{first} {last}",
            first,
            last,
            json.dumps(answers, ensure_ascii=False),
            str(120_212_000_000_000_000 + ad),
            f"Ad {ad}",
            str(120_211_000_000_000_000 + ad % 40),
            str(120_210_000_000_000_000 + campaign),
            f"Campaign {campaign}",
            str(800_000_000_000 + forms[i]),
            "112233445566778",
            False,
            "fb" if i % 4 else "ig",
            START + step * i,
            statuses[i],
            str(rng.randint(1, USERS)) if i % 10 < 3 else None,
            "webhook",
            forms[i],
            now,
            now,
        )


def describe(url: str) -> BenchData:
    from plugins.accounts.models import User
    from plugins.accounts.service import create_admin, issue_token
    from plugins.core import create_app
    from plugins.core.extensions import db
    from tests.conftest import base_config

    app = create_app(base_config(url))
    with app.app_context():
        user = db.session.execute(sa.select(User).filter_by(email=ADMIN_EMAIL)).scalar_one_or_none()
        if user is None:
            user, _ = create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, name="Bench Admin")
        token = issue_token(user, "benchmarks")
        leads = db.session.execute(sa.text("SELECT count(*) FROM metaads_leads")).scalar_one()
        busiest = db.session.execute(sa.text("SELECT id FROM metaads_lead_forms ORDER BY leads_count DESC LIMIT 1")).scalar_one()
        samples = db.session.execute(
            sa.text("SELECT email, phone FROM metaads_leads WHERE id % :step = 0 ORDER BY id LIMIT 60"),
            {"step": max(leads // 60, 1)},
        ).all()
        db.session.remove()  # give the connection back before the pool is closed
        db.engine.dispose()
    return BenchData(url=url, token=token, leads=leads, busiest_form=busiest, samples=[tuple(s) for s in samples])


# --- measuring ------------------------------------------------------------------------------------


class Measure:
    """Timing helpers the benchmark modules share (a fixture, so they need no import path)."""

    @staticmethod
    def p95(samples_ms: t.Sequence[float]) -> float:
        return statistics.quantiles(samples_ms, n=20, method="inclusive")[-1]

    @staticmethod
    def timed_ms(call: t.Callable[[], t.Any], times: int) -> list[float]:
        samples = []
        for _ in range(times):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    @staticmethod
    def table(title: str, rows: t.Sequence[tuple[str, str, str]]) -> None:
        width = max(len(row[0]) for row in rows)
        print(f"\n{title}")
        for label, value, baseline in rows:
            print(f"  {label:<{width}}  {value:>18}   {baseline}")


@pytest.fixture(scope="session")
def measure() -> Measure:
    return Measure()
