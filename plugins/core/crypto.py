"""Tokens at rest: Fernet (AES-128-CBC + HMAC-SHA256) with MultiFernet key rotation.

``TOKEN_ENCRYPTION_KEY`` holds one or more comma-separated Fernet keys; the first encrypts, all
decrypt, so a new key can be put first and old tokens re-encrypted with ``rotate`` before the old
key is dropped. Only in debug or testing is a key derived from ``SECRET_KEY`` when none is set.
"""

from __future__ import annotations

import base64
import hashlib

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

from plugins.core.settings import ConfigError


class TokenCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigError("TOKEN_ENCRYPTION_KEY holds no key")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except ValueError:
            raise ConfigError("TOKEN_ENCRYPTION_KEY must hold Fernet keys (32 url-safe base64-encoded bytes each)") from None

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ConfigError(
                "a stored token cannot be decrypted with TOKEN_ENCRYPTION_KEY: use the key it was stored with "
                "(in debug the key derives from SECRET_KEY, so use the same SECRET_KEY, or none, as the demo did)"
            ) from exc

    def rotate(self, ciphertext: str) -> str:
        return self._fernet.rotate(ciphertext.encode()).decode()


def init_app(app: Flask) -> None:
    configured = app.config.get("TOKEN_ENCRYPTION_KEY")
    if configured:
        keys = [key.strip() for key in str(configured).split(",") if key.strip()]
    elif app.debug or app.testing:
        derived = hashlib.sha256(b"token-encryption:" + str(app.config["SECRET_KEY"]).encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    else:
        raise ConfigError(
            "TOKEN_ENCRYPTION_KEY is not set. Generate one with: "
            'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
    app.extensions["token_cipher"] = TokenCipher(keys)


def cipher() -> TokenCipher:
    cipher_: TokenCipher = current_app.extensions["token_cipher"]
    return cipher_


class EncryptedText(sa.TypeDecorator[str]):
    """A text column whose stored value is Fernet ciphertext; Python code only sees plaintext."""

    impl = sa.Text()
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else cipher().encrypt(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else cipher().decrypt(value)
