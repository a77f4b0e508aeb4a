"""persons: the Person records leads link to, and lookup-or-create by email or phone."""

from __future__ import annotations

from flask import Flask

from plugins.core.registry import platform_state
from plugins.persons.service import find_or_create_person, find_person
from plugins.persons.views import bp

__all__ = ["find_or_create_person", "find_person", "init_app"]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    platform_state(app).add_menu_item("Persons", "persons.index", order=60)
