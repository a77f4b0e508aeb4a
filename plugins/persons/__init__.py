"""persons: the Person records leads link to, and lookup-or-create by email or phone."""

from __future__ import annotations

from flask import Flask

from plugins.core.registry import platform_state
from plugins.persons.registry import PersonSection, persons_state
from plugins.persons.service import find_or_create_person, find_person
from plugins.persons.views import bp

__all__ = ["PersonSection", "find_or_create_person", "find_person", "init_app", "persons_state"]


def init_app(app: Flask) -> None:
    persons_state(app)
    app.register_blueprint(bp)
    platform_state(app).add_menu_item("Persons", "persons.index", order=60)
