"""Jobs run in their own app context, in every mode; failures leave a record."""

from __future__ import annotations

import time
import typing as t

import pytest
import redis
from flask import Flask
from rq.registry import FailedJobRegistry

from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.failures import JobFailure
from plugins.core.registry import DEFAULT_QUEUE
from plugins.persons.models import Person
from tests.conftest import running_app
from tests.plugins.core.jobs_for_tests import create_person, explode


def emails() -> list[str]:
    db.session.expire_all()
    return sorted(p.email or "" for p in db.session.execute(db.select(Person)).scalars())


def test_eager_mode_runs_at_once_and_raises(app: Flask) -> None:
    jobs.enqueue(create_person, "a@example.com")
    jobs.enqueue(create_person, "b@example.com")
    assert emails() == ["a@example.com", "b@example.com"]
    with pytest.raises(ValueError):
        jobs.enqueue(explode, 7)
    failure = db.session.execute(db.select(JobFailure)).scalar_one()
    explode_path = "tests.plugins.core.jobs_for_tests.explode"
    assert (failure.func_name, failure.args, failure.error_type) == (explode_path, [7], "ValueError")


@pytest.fixture
def config_overrides(request: pytest.FixtureRequest) -> dict[str, t.Any]:
    marker = request.node.get_closest_marker("jobs_mode")
    return {"JOBS_MODE": marker.args[0]} if marker else {}


@pytest.mark.jobs_mode("thread")
def test_thread_mode_runs_in_the_background_and_records_failures(app: Flask) -> None:
    jobs.enqueue(create_person, "t@example.com")
    jobs.enqueue(explode, 9)
    assert jobs.runner()._worker_thread().join(timeout=10)
    assert emails() == ["t@example.com"]
    assert db.session.execute(db.select(JobFailure.func_name)).scalar_one().endswith("explode")


@pytest.mark.jobs_mode("thread")
def test_thread_mode_delays(app: Flask) -> None:
    import datetime as dt

    jobs.enqueue(create_person, "later@example.com", delay=dt.timedelta(milliseconds=300))
    assert emails() == []
    deadline = time.monotonic() + 5
    while not emails() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emails() == ["later@example.com"]


@pytest.fixture
def rq_app(database_url: str, redis_url: str) -> t.Iterator[Flask]:
    with running_app(database_url, JOBS_MODE="rq", REDIS_URL=redis_url) as app:
        yield app


def test_rq_worker_runs_each_job_in_its_own_context(rq_app: Flask) -> None:
    jobs.enqueue(create_person, "r1@example.com")
    jobs.enqueue(create_person, "r2@example.com", queue="metaads-high")
    jobs.enqueue(explode, 3)
    worker = jobs.runner().make_worker()
    worker.work(burst=True)
    assert emails() == ["r1@example.com", "r2@example.com"]
    failed = FailedJobRegistry(DEFAULT_QUEUE, connection=jobs.runner().redis)
    assert len(failed.get_job_ids()) == 1
    failure = db.session.execute(db.select(JobFailure)).scalar_one()
    assert failure.args == [3] and failure.job_id == failed.get_job_ids()[0]


def test_rq_job_ids_deduplicate(rq_app: Flask) -> None:
    first = jobs.enqueue(create_person, "d@example.com", job_id="person-d")
    second = jobs.enqueue(create_person, "d@example.com", job_id="person-d")
    assert first == second == "person-d"
    assert jobs.runner().queue(DEFAULT_QUEUE).count == 1


def test_enqueue_fails_fast_when_redis_is_down(database_url: str) -> None:
    with running_app(database_url, JOBS_MODE="rq", REDIS_URL="redis://127.0.0.1:1/0"):
        started = time.monotonic()
        with pytest.raises(redis.exceptions.ConnectionError):
            jobs.enqueue(create_person, "x@example.com")
        assert time.monotonic() - started < 3


def test_worker_command_refuses_without_redis(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["metaads", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def test_worker_command_runs_a_burst(rq_app: Flask) -> None:
    jobs.enqueue(create_person, "cli@example.com")
    result = rq_app.test_cli_runner().invoke(args=["metaads", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert emails() == ["cli@example.com"]
