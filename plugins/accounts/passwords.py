"""Password hashing with Argon2id (OWASP's first choice), re-hashed when parameters change."""

from __future__ import annotations

import typing as t

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

#: Longer inputs are refused before hashing, so nobody can make us hash a megabyte (ASVS 6.2.9
#: asks us to accept at least 64 characters; we accept up to 1024).
MAX_PASSWORD_LENGTH = 1024
MIN_PASSWORD_LENGTH = 8


def hasher() -> PasswordHasher:
    hasher_: PasswordHasher = current_app.extensions["password_hasher"]
    return hasher_


def make_hasher(params: dict[str, int] | None) -> PasswordHasher:
    options: dict[str, t.Any] = dict(params or {})
    return PasswordHasher(**options)


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    return hasher().hash(password)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password must have at most {MAX_PASSWORD_LENGTH} characters."
    return None


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return hasher().check_needs_rehash(stored_hash)
