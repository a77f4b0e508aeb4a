"""OAuth and page tokens are encrypted at rest: the raw column never holds the token."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import Flask

from plugins.core.crypto import TokenCipher, cipher
from plugins.core.extensions import db
from plugins.socials.models import SocialPage, SocialPlatform

USER_TOKEN = "EAAGm0PX4ZCpsBAUserTokenThatMustNeverBeStoredInTheClear"
PAGE_TOKEN = "EAAGm0PX4ZCpsBAPageTokenThatMustNeverBeStoredInTheClear"


def test_tokens_are_encrypted_in_the_database(app: Flask) -> None:
    platform = SocialPlatform(name="Business", access_token=USER_TOKEN)
    platform.pages.append(SocialPage(page_id="102858741624226", name="Shop", access_token=PAGE_TOKEN))
    db.session.add(platform)
    db.session.commit()
    raw_user = db.session.execute(sa.text("SELECT access_token FROM socials_platforms")).scalar_one()
    raw_page = db.session.execute(sa.text("SELECT access_token FROM socials_pages")).scalar_one()
    for raw, token in ((raw_user, USER_TOKEN), (raw_page, PAGE_TOKEN)):
        assert token not in raw and "EAAG" not in raw
        assert raw.startswith("gAAAAA")  # a Fernet token
        assert cipher().decrypt(raw) == token
    db.session.expire_all()
    assert db.session.get(SocialPlatform, platform.id).access_token == USER_TOKEN


def test_key_rotation() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher([old]).encrypt(USER_TOKEN)
    rotating = TokenCipher([new, old])
    assert rotating.decrypt(stored) == USER_TOKEN
    rotated = rotating.rotate(stored)
    assert TokenCipher([new]).decrypt(rotated) == USER_TOKEN
    with pytest.raises(RuntimeError, match="cannot be decrypted"):
        TokenCipher([new]).decrypt(stored)
