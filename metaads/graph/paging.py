"""One page of a Graph edge, with the cursor a caller needs to resume.

Meta's rule (meta-graph.md §7): stop only when ``paging.next`` is absent. A page may be empty and
still have ``next``; the last page still carries ``cursors.after``.
"""

from __future__ import annotations

import dataclasses
import typing as t
from collections.abc import Callable, Mapping

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
