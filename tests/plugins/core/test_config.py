from __future__ import annotations

import pytest

from metaads import MetaAds
from plugins.core import create_app
from plugins.core.settings import DEV_SECRET_KEY, from_environ, normalise_database_url
from plugins.socials.registry import socials_state
from tests.conftest import EXTENSIONS


def production(**extra: object) -> dict[str, object]:
    return {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TOKEN_ENCRYPTION_KEY": "", **extra}


def test_dev_secret_key_is_refused_outside_debug_and_testing() -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY is the development value"):
        create_app(production(SECRET_KEY=DEV_SECRET_KEY))


def test_dev_secret_key_is_accepted_in_debug() -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "DEBUG": True})
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["JOBS_MODE"] == "thread"


def test_production_needs_a_token_encryption_key() -> None:
    with pytest.raises(RuntimeError, match="TOKEN_ENCRYPTION_KEY is not set"):
        create_app(production(SECRET_KEY="a real secret"))


def test_production_defaults_are_secure() -> None:
    from cryptography.fernet import Fernet

    app = create_app(production(SECRET_KEY="a real secret", TOKEN_ENCRYPTION_KEY=Fernet.generate_key().decode()))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_explicit_settings_beat_mode_defaults() -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True, "SESSION_COOKIE_SECURE": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_environment_names_of_the_design() -> None:
    config = from_environ(
        {
            "DATABASE_URL": "postgres://u@h/db",
            "REDIS_URL": "redis://h:6379/0",
            "FACEBOOK_GRAPH_VERSION": "v27.0",
            "FACEBOOK_CLIENT_ID": "",
        }
    )
    assert config == {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db",
        "REDIS_URL": "redis://h:6379/0",
        "FACEBOOK_GRAPH_VERSION": "v27.0",
    }


def test_redis_url_selects_rq() -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True, "REDIS_URL": "redis://127.0.0.1:6379/14"})
    assert app.config["JOBS_MODE"] == "rq"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_normalisation(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_graph_version_default_is_live() -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    major = int(app.config["FACEBOOK_GRAPH_VERSION"].lstrip("v").split(".")[0])
    assert major >= 25  # v24.0 of the Marketing API expired on 2026-11-10


def test_metaads_cannot_be_initialised_twice() -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True, "PLATFORM_EXTENSIONS": EXTENSIONS})
    with pytest.raises(RuntimeError, match="already registered"):
        MetaAds(app)


def test_metaads_registers_its_scopes_with_socials() -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True, "PLATFORM_EXTENSIONS": EXTENSIONS})
    scopes = socials_state(app).scopes
    for scope in (
        "ads_read",
        "ads_management",
        "leads_retrieval",
        "pages_manage_ads",
        "business_management",
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_metadata",
    ):
        assert scopes.count(scope) == 1
