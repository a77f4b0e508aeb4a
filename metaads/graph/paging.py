"""One page of a Graph edge, with the cursor a caller needs to resume.

Meta's rule (meta-graph.md §7): stop only when ``paging.next`` is absent. A page may be empty and
still have ``next``; the last page still carries ``cursors.after``.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import typing as t
from collections.abc import Callable, Iterator, Mapping

from metaads.graph.errors import GraphResponseError, scrub

T = t.TypeVar("T")
U = t.TypeVar("U")


@dataclasses.dataclass(frozen=True)
class Page(t.Generic[T]):
    """One page of results.

    :param items: the page's ``data``.
    :param after: ``paging.cursors.after``: pass it back as ``after=`` to resume after this page.
    :param before: ``paging.cursors.before``.
    :param next_url: ``paging.next`` with tokens redacted (for logs and debugging; resume with
        ``after``), or ``None`` on the last page.
    """

    items: list[T]
    after: str | None = None
    before: str | None = None
    next_url: str | None = None

    @property
    def has_next(self) -> bool:
        return self.next_url is not None

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        """The same page with every item converted."""
        return Page([convert(item) for item in self.items], self.after, self.before, self.next_url)

    @classmethod
    def from_body(cls, body: Mapping[str, t.Any]) -> Page[dict[str, t.Any]]:
        """Read an edge response ``{"data": [...], "paging": {...}}``."""
        data = body.get("data")
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise GraphResponseError("an edge response without a data list")
        cursors = _paging(body).get("cursors")
        cursors = cursors if isinstance(cursors, Mapping) else {}
        next_url = raw_next(body)
        return Page(
            items=data,
            after=_opt_str(cursors.get("after")),
            before=_opt_str(cursors.get("before")),
            next_url=scrub(next_url) if next_url is not None else None,
        )


def raw_next(body: Mapping[str, t.Any]) -> str | None:
    """``paging.next`` exactly as Meta sent it (what the SSRF checks must look at)."""
    return _opt_str(_paging(body).get("next"))


def _paging(body: Mapping[str, t.Any]) -> Mapping[str, t.Any]:
    paging = body.get("paging")
    return paging if isinstance(paging, Mapping) else {}


def _opt_str(value: t.Any) -> str | None:
    return value if isinstance(value, str) and value else None


def read_ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """``items``, while a thread of its own already reads up to ``depth`` of the next ones: the
    next Graph page is fetched and loaded while the caller stores this one.

    An error the reader meets is raised here after the items that came before it, so a caller
    has handled (and saved) every page before the one that failed. When the caller stops early
    (an error of its own, ``break``), the reader stops after the read under way and ``items`` is
    closed in the reader's thread. At most ``depth + 2`` items exist at once (one with the
    caller, ``depth`` waiting, one being read), so memory stays flat however long the edge."""
    handoff: queue.Queue[tuple[str, t.Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(kind: str, value: t.Any) -> bool:
        while not stop.is_set():
            try:
                handoff.put((kind, value), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in items:
                if not offer("item", item):
                    return
            offer("end", None)
        except BaseException as exc:  # handed to the caller, raised in its thread
            offer("error", exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="graph-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        reader.join()
