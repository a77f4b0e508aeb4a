"""The explicit loader of plugins and extensions, and the registries they fill: job queues,
periodic jobs, the admin menu, the home page, banners.

A plugin (``PLATFORM_PLUGINS``) is a module of the platform that defines ``init_app(app)``. An
extension (``PLATFORM_EXTENSIONS``, chosen by the deployment: ``wsgi.py``) is a package that plugs
into the platform from outside; it is named ``module:object`` and the object is called with the app,
the way Flask extensions are (``Extension(app)``). Both register into ``app.extensions["platform"]``,
never into module globals, so two apps never share state; the platform never names an extension.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import typing as t

from flask import Flask, current_app
from werkzeug.utils import import_string

#: The platform's own queue: jobs and periodic jobs that name no queue go there.
DEFAULT_QUEUE = "default"
#: Workers take jobs from queues of a lower priority number first.
DEFAULT_PRIORITY = 50


@dataclasses.dataclass(frozen=True)
class MenuItem:
    label: str
    endpoint: str
    order: int = 100


@dataclasses.dataclass(frozen=True)
class JobQueue:
    name: str
    priority: int = DEFAULT_PRIORITY


@dataclasses.dataclass(frozen=True)
class PeriodicJob:
    """A job function without arguments, run every ``interval`` by the scheduler."""

    name: str
    func: t.Callable[[], t.Any]
    interval: dt.timedelta
    queue: str = DEFAULT_QUEUE
    timeout: int = 600


@dataclasses.dataclass
class PlatformState:
    plugins: list[str] = dataclasses.field(default_factory=list)
    extensions: list[str] = dataclasses.field(default_factory=list)
    #: Job queues, in the order workers take jobs from them.
    queues: list[JobQueue] = dataclasses.field(default_factory=lambda: [JobQueue(DEFAULT_QUEUE)])
    admin_menu: list[MenuItem] = dataclasses.field(default_factory=list)
    periodic_jobs: list[PeriodicJob] = dataclasses.field(default_factory=list)
    #: The endpoint "home" leads to (after login, the site's root, the brand link).
    home: str | None = None
    #: Callables returning a banner dict (``level``, ``message``, ``action_url``, ``action_label``)
    #: or None; the layout shows every banner on every admin page.
    banners: list[t.Callable[[], dict[str, str] | None]] = dataclasses.field(default_factory=list)

    def add_queue(self, name: str, priority: int = DEFAULT_PRIORITY) -> None:
        """Have workers take jobs from ``name`` too; a lower ``priority`` is worked first."""
        if any(existing.name == name for existing in self.queues):
            raise RuntimeError(f"a queue named {name!r} is already registered")
        self.queues.append(JobQueue(name, priority))
        self.queues.sort(key=lambda queue: queue.priority)

    def queue_names(self) -> list[str]:
        return [queue.name for queue in self.queues]

    def add_menu_item(self, label: str, endpoint: str, order: int = 100) -> None:
        self.admin_menu.append(MenuItem(label, endpoint, order))
        self.admin_menu.sort(key=lambda item: item.order)

    def add_periodic_job(self, job: PeriodicJob) -> None:
        if any(existing.name == job.name for existing in self.periodic_jobs):
            raise RuntimeError(f"a periodic job named {job.name!r} is already registered")
        self.periodic_jobs.append(job)

    def current_menu_item(self, path: str, url_of: t.Callable[[str], str]) -> str | None:
        """The endpoint of the menu entry ``path`` belongs to: the entry whose URL is the longest
        one ``path`` equals or lies under. An entry whose URL holds other entries (a home page at
        ``/admin/x/`` above ``/admin/x/leads``) is current on its own page only, not on every page
        under it."""
        here = path.rstrip("/")
        sections = {item.endpoint: url_of(item.endpoint).rstrip("/") for item in self.admin_menu}

        def holds_others(section: str) -> bool:
            return any(other != section and other.startswith(section + "/") for other in sections.values())

        found = [
            endpoint
            for endpoint, section in sections.items()
            if here == section or (here.startswith(section + "/") and not holds_others(section))
        ]
        return max(found, key=lambda endpoint: len(sections[endpoint]), default=None)

    def set_home(self, endpoint: str) -> None:
        if self.home is not None:
            raise RuntimeError(f"the home page is already {self.home!r}")
        self.home = endpoint

    def home_endpoint(self) -> str:
        """The registered home page, else the first entry of the admin menu."""
        if self.home is not None:
            return self.home
        if not self.admin_menu:
            raise RuntimeError("no home page: register one with set_home() or add a menu item")
        return self.admin_menu[0].endpoint


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


def load_extensions(app: Flask, names: t.Iterable[str]) -> None:
    """Call each ``module:object`` with the app, in order (after the plugins they extend)."""
    state = platform_state(app)
    for name in names:
        init = import_string(name)
        if not callable(init):
            raise RuntimeError(f"extension {name!r} is not callable with the app")
        init(app)
        state.extensions.append(name)
