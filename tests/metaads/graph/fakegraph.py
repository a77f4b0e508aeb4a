"""A scripted local Graph: a real HTTP server (werkzeug) in a thread, answering from a script.

Each test scripts the replies (``graph.on("GET", "/v25.0/me", Reply(json=...))``) and then
inspects what the server received (``graph.requests``), so the client is exercised over real
HTTP through ``requests``. Nothing here depends on ``metaads.sandbox``.
"""

from __future__ import annotations

import dataclasses
import json
import random
import threading
import typing as t
from collections.abc import Callable

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from metaads.graph import Backoff, GraphClient, InMemoryUsageStore

APP_ID = "1234"
APP_SECRET = "test_app_secret"
TOKEN = "EAAtesttoken"
#: meta-graph.md §11.1 test vector: HMAC-SHA256("test_app_secret", "EAAtesttoken").
TOKEN_PROOF = "2f6c99f265a9e1644d725e8f9c96e439fcbf40a73357d1d98ba8b98fbfe445e4"
VERSION = "v25.0"
GRAPH_REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclasses.dataclass(frozen=True)
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]
    url: str

    def arg(self, name: str) -> str | None:
        """A query or form value (first one)."""
        values = self.query.get(name) or self.form.get(name)
        return values[0] if values else None

    @property
    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ")
        return self.arg("access_token")

    @property
    def proof(self) -> str | None:
        return self.arg("appsecret_proof")


@dataclasses.dataclass
class Reply:
    """A scripted response: JSON (or raw bytes), a status, headers, an optional delay."""

    json: t.Any = None
    status: int = 200
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    body: bytes | None = None
    delay: float = 0.0


Responder = Reply | Callable[[Recorded], Reply]


def graph_error(code: int, message: str = "error", *, subcode: int | None = None, status: int = 400, **extra: t.Any) -> Reply:
    """A reply carrying Meta's error envelope."""
    error: dict[str, t.Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEfTrace"}
    if subcode is not None:
        error["error_subcode"] = subcode
    headers = extra.pop("headers", {})
    error.update(extra)
    return Reply(json={"error": error}, status=status, headers=headers)


class ScriptedGraph:
    """A WSGI app answering from a per-test script and recording every request."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Recorded] = []
        self._routes: dict[tuple[str, str], list[Responder]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._routes.clear()

    def on(self, method: str, path: str, *replies: Responder) -> None:
        """Script ``method path``: replies are used in order, the last one repeats."""
        with self._lock:
            self._routes.setdefault((method, path), []).extend(replies)

    def hits(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if (method is None or r.method == method) and (path is None or r.path == path)]

    def _next_reply(self, recorded: Recorded) -> Reply:
        with self._lock:
            queue = self._routes.get((recorded.method, recorded.path))
            if not queue:
                return graph_error(2500, f"unscripted {recorded.method} {recorded.path}", status=404)
            responder = queue.pop(0) if len(queue) > 1 else queue[0]
        return responder(recorded) if callable(responder) else responder

    def __call__(self, environ: t.Any, start_response: t.Any) -> t.Any:
        request = Request(environ)
        recorded = Recorded(
            method=request.method,
            path=request.path,
            query={k: request.args.getlist(k) for k in request.args},
            form={k: request.form.getlist(k) for k in request.form},
            headers=dict(request.headers),
            url=request.url,
        )
        with self._lock:
            self.requests.append(recorded)
        reply = self._next_reply(recorded)
        if reply.delay:
            threading.Event().wait(reply.delay)
        body = reply.body if reply.body is not None else json.dumps(reply.json).encode()
        response = Response(body, status=reply.status, headers=reply.headers, content_type="application/json")
        return response(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    # werkzeug logs request lines (query strings included); keep them out of caplog.
    def log_request(self, *args: t.Any, **kwargs: t.Any) -> None:
        pass

    def log(self, *args: t.Any, **kwargs: t.Any) -> None:
        pass


class LocalServer:
    def __init__(self, app: ScriptedGraph) -> None:
        self.app = app
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        app.url = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Ceiling(random.Random):
    """A "random" source that always returns the upper bound: backoff delays become their ceilings."""

    def uniform(self, a: float, b: float) -> float:
        return b


def make_client(url: str, sleeps: list[float], **kwargs: t.Any) -> GraphClient:
    """A client for the local server: recorded sleeps, backoff at its ceilings, its own store."""
    options: dict[str, t.Any] = {
        "sleep": sleeps.append,
        "backoff": Backoff(base=0.5, cap=30.0, rng=Ceiling()),
        "usage_store": InMemoryUsageStore(),
        "timeout": 5,
        **kwargs,
    }
    return GraphClient(url, VERSION, APP_ID, APP_SECRET, **options)
