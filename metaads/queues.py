"""metaads' job queues, registered with the platform in priority order: lead capture first,
syncs next, maintenance last."""

from __future__ import annotations

from flask import Flask

from plugins.core.registry import platform_state

HIGH = "metaads-high"
DEFAULT = "metaads-default"
LOW = "metaads-low"


def register(app: Flask) -> None:
    state = platform_state(app)
    state.add_queue(HIGH, priority=10)
    state.add_queue(DEFAULT, priority=50)
    state.add_queue(LOW, priority=90)
