"""Where Graph requests may go: the configured base URL, and nowhere else.

Every request URL is built here from the configured base and a checked relative path. A
``paging.next`` URL from a response is never requested as-is: :meth:`GraphBase.follow` checks
it (same scheme, host and port as the base, no userinfo, the version prefix) and returns only its
path and query, which the client re-joins to the configured base, so even a bug in the checks
could not send the token to another origin (reliability.md §3.10).
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import parse_qsl, unquote, urlsplit

from metaads.graph.errors import GraphUnsafeNextError

#: Query parameters of a ``next`` URL that we never forward: the client attaches its own.
AUTH_PARAMS = frozenset({"access_token", "appsecret_proof", "appsecret_time"})

_VERSION = re.compile(r"^v\d+\.\d+$")
# Graph paths are ids, edges and a few named roots: act_123/campaigns, me/accounts, oauth/access_token.
_PATH = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")
_DEFAULT_PORTS = {"http": 80, "https": 443}

Query = list[tuple[str, str]]


def validate_path(path: str) -> str:
    """``path`` relative to the version (leading ``/`` dropped), or :class:`ValueError`.

    Only plain path segments pass: no scheme, query, fragment, ``..`` or empty segment, so a
    caller-supplied id can never steer the request to another path or host.
    """
    cleaned = path.removeprefix("/")
    if cleaned == "":
        return cleaned
    if not _PATH.match(cleaned) or any(part in {".", ".."} for part in cleaned.split("/")):
        raise ValueError(f"not a Graph path: {path!r}")
    return cleaned


@dataclasses.dataclass(frozen=True)
class GraphBase:
    """The configured Graph origin and version, e.g. ``https://graph.facebook.com`` + ``v25.0``."""

    scheme: str
    host: str
    port: int
    netloc: str
    base_path: str
    version: str

    @classmethod
    def parse(cls, base_url: str, version: str) -> GraphBase:
        parts = urlsplit(base_url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"FACEBOOK_GRAPH_URL must be an http(s) URL, got {base_url!r}")
        if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
            raise ValueError("FACEBOOK_GRAPH_URL must not carry credentials, a query or a fragment")
        if not _VERSION.match(version):
            raise ValueError(f"FACEBOOK_GRAPH_VERSION must look like 'v25.0', got {version!r}")
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
        return cls(parts.scheme, parts.hostname, port, parts.netloc, parts.path.rstrip("/"), version)

    @property
    def version_prefix(self) -> str:
        """The path every Graph URL of this client starts with, e.g. ``/v25.0/``."""
        return f"{self.base_path}/{self.version}/"

    def url_for(self, path: str) -> str:
        """The absolute URL of ``path`` (relative to the version), checked."""
        return f"{self.scheme}://{self.netloc}{self.version_prefix}{validate_path(path)}"

    def log_path(self, path: str) -> str:
        """What logs show for a request: the path only, never a query string."""
        return f"{self.version_prefix}{path}"

    def follow(self, next_url: str) -> tuple[str, Query]:
        """Check a ``paging.next`` URL; return its path (relative to the version) and its query
        without auth parameters. Raises :class:`GraphUnsafeNextError` for anything that does
        not point at this very base URL."""
        if not isinstance(next_url, str) or any(ord(c) <= 32 or ord(c) == 127 or c == "\\" for c in next_url):
            raise GraphUnsafeNextError("paging.next is not a plain URL")
        try:
            parts = urlsplit(next_url)
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
        except ValueError:
            raise GraphUnsafeNextError("paging.next is not a valid URL") from None
        if parts.scheme != self.scheme:
            raise GraphUnsafeNextError(f"paging.next uses scheme {parts.scheme!r}, expected {self.scheme!r}")
        if "@" in parts.netloc or parts.username is not None or parts.password is not None:
            raise GraphUnsafeNextError("paging.next carries userinfo")
        if parts.hostname != self.host or port != self.port:
            raise GraphUnsafeNextError("paging.next points at another host or port")
        if parts.fragment or not parts.path.startswith(self.version_prefix):
            raise GraphUnsafeNextError(f"paging.next is outside {self.version_prefix}")
        try:
            path = validate_path(unquote(parts.path[len(self.version_prefix) :]))
        except ValueError:
            raise GraphUnsafeNextError("paging.next has an unexpected path") from None
        if not path:
            raise GraphUnsafeNextError("paging.next has no path")
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in AUTH_PARAMS]
        return path, query
