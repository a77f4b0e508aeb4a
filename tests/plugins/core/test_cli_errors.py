"""``flask --app wsgi ...`` as a new user types it: errors are one line and exit 1, and the
sandbox command says what a developer needs (tokens included)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: What a shell of someone trying the demo would not have set.
SETTINGS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY")


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS and not k.startswith("FLASK_")}
    return {**env, **extra}


def flask(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    for word in words:
        assert word in lines[0]


def test_a_command_without_debug_or_secret_key_says_what_to_set(tmp_path: Path) -> None:
    done = flask("accounts", "issue-token", "admin@example.com", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert_one_line_error(done, "SECRET_KEY", "--debug")


def test_a_missing_token_encryption_key_is_one_line(tmp_path: Path) -> None:
    done = flask("accounts", "list-tokens", "a@example.com", DATABASE_URL=f"sqlite:///{tmp_path}/x.db", SECRET_KEY="s")
    assert_one_line_error(done, "TOKEN_ENCRYPTION_KEY")


def test_an_unmigrated_database_says_run_db_upgrade(tmp_path: Path) -> None:
    done = flask("--debug", "accounts", "issue-token", "admin@example.com", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert_one_line_error(done, "db upgrade")


def test_a_burst_worker_without_redis_is_one_line(tmp_path: Path) -> None:
    done = flask(
        "--debug", "metaads", "worker", "--burst", DATABASE_URL=f"sqlite:///{tmp_path}/x.db", REDIS_URL="redis://127.0.0.1:1/0"
    )
    assert_one_line_error(done, "REDIS_URL")


@pytest.mark.parametrize(
    "command",
    [
        ["flask", "--app", "wsgi", "--debug", "metaads", "sandbox", "--port", "0"],
        ["python", "-m", "metaads.sandbox", "--port", "0"],
    ],
)
def test_both_sandbox_commands_print_the_tokens(command: list[str]) -> None:
    argv = [sys.executable, *command[1:]] if command[0] == "python" else [sys.executable, "-m", *command]
    with subprocess.Popen(
        argv, cwd=ROOT, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        try:
            lines = read_until(proc, "system user token:", 30)
        finally:
            proc.terminate()
    text = "\n".join(lines)
    for expected in ("Graph sandbox on http://127.0.0.1:", "control API at", "FACEBOOK_CLIENT_ID=", "user token:"):
        assert expected in text, text


def read_until(proc: subprocess.Popen[str], marker: str, seconds: float) -> list[str]:
    assert proc.stdout is not None
    deadline, lines = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if marker in line:
            return lines
    raise AssertionError(f"no {marker!r} in {lines}")
