"""The explicit plugin loader and the registries plugins fill (admin menu, periodic jobs).

A plugin is a module named in ``PLATFORM_PLUGINS`` that defines ``init_app(app)``. Plugins register
into ``app.extensions["platform"]``, never into module globals, so two apps never share state.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import typing as t

from flask import Flask, current_app


@dataclasses.dataclass(frozen=True)
class MenuItem:
    label: str
    endpoint: str
    order: int = 100


@dataclasses.dataclass(frozen=True)
class PeriodicJob:
    """A job function without arguments, run every ``interval`` by the scheduler."""

    name: str
    func: t.Callable[[], t.Any]
    interval: dt.timedelta
    queue: str = "metaads-low"
    timeout: int = 600


@dataclasses.dataclass
class PlatformState:
    plugins: list[str] = dataclasses.field(default_factory=list)
    admin_menu: list[MenuItem] = dataclasses.field(default_factory=list)
    periodic_jobs: list[PeriodicJob] = dataclasses.field(default_factory=list)
    #: Callables returning a banner dict (``level``, ``message``, ``action_url``, ``action_label``)
    #: or None; the layout shows every banner on every admin page.
    banners: list[t.Callable[[], dict[str, str] | None]] = dataclasses.field(default_factory=list)

    def add_menu_item(self, label: str, endpoint: str, order: int = 100) -> None:
        self.admin_menu.append(MenuItem(label, endpoint, order))
        self.admin_menu.sort(key=lambda item: item.order)

    def add_periodic_job(self, job: PeriodicJob) -> None:
        if any(existing.name == job.name for existing in self.periodic_jobs):
            raise RuntimeError(f"a periodic job named {job.name!r} is already registered")
        self.periodic_jobs.append(job)


def platform_state(app: Flask | None = None) -> PlatformState:
    state: PlatformState = (app or current_app).extensions["platform"]
    return state


def load_plugins(app: Flask, names: t.Iterable[str]) -> None:
    state = platform_state(app)
    for name in names:
        module = importlib.import_module(name)
        init = getattr(module, "init_app", None)
        if init is None:
            raise RuntimeError(f"plugin {name!r} has no init_app(app) function")
        init(app)
        state.plugins.append(name)
