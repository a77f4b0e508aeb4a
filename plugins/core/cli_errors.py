"""Command-line errors are one line saying what to do, and exit status 1: never a traceback.

Settings errors are ``ConfigError`` (a ``click.ClickException``) already. What is left is the
outside world a command meets: a database that is not there or not migrated, a Redis that does
not answer. ``install`` wraps every command of the app's CLI so those end the same way.
"""

from __future__ import annotations

import functools
import typing as t

import click
import redis
import sqlalchemy.exc
from flask import Flask

#: Words in a driver's message that mean "the tables are not there" (SQLite, PostgreSQL).
MISSING_TABLE = ("no such table", "does not exist")


def install(app: Flask) -> None:
    """Wrap every command registered on ``app.cli`` so far (call it after the plugins load)."""
    _wrap_group(app.cli)


def _wrap_group(group: click.Group) -> None:
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _wrap_group(command)
        elif command.callback is not None and not getattr(command.callback, "_one_line_errors", False):
            command.callback = _one_line_errors(command.callback)


def _one_line_errors(callback: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    @functools.wraps(callback)
    def run(*args: t.Any, **kwargs: t.Any) -> t.Any:
        try:
            return callback(*args, **kwargs)
        except sqlalchemy.exc.DBAPIError as exc:
            raise click.ClickException(database_problem(exc)) from None
        except redis.exceptions.ConnectionError as exc:
            raise click.ClickException(f"Redis does not answer ({exc}): start it, or fix REDIS_URL.") from None

    run._one_line_errors = True  # type: ignore[attr-defined]
    return run


def database_problem(exc: sqlalchemy.exc.DBAPIError) -> str:
    first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    if any(words in first_line for words in MISSING_TABLE):
        return (
            f"the database has no such table ({first_line}): run `flask --app wsgi db upgrade` with the same "
            "DATABASE_URL (and --debug) as this command, or point DATABASE_URL at the database you meant."
        )
    return f"the database failed ({first_line}): check that it runs and that DATABASE_URL points at it."
