"""Fixtures: a sandbox served on a free local port, a requests-based Graph client, and a
webhook receiver that records raw bodies."""

from __future__ import annotations

import dataclasses
import threading
import typing as t

import flask
import pytest
import requests

from metaads.sandbox import SandboxState, appsecret_proof, create_sandbox_app, serve_in_thread

VERSION = "v26.0"


@dataclasses.dataclass
class Graph:
    """Calls the served sandbox like a client would: token and appsecret_proof on every call."""

    base_url: str
    state: SandboxState
    app: flask.Flask
    token: str
    version: str = VERSION

    def url(self, path: str) -> str:
        return f"{self.base_url}{self.version}/{path.lstrip('/')}"

    def auth(self, token: str | None = None) -> dict[str, str]:
        token = token or self.token
        return {"access_token": token, "appsecret_proof": appsecret_proof(self.state.config["APP_SECRET"], token)}

    def call(self, method: str, path: str, token: str | None = None, **params: t.Any) -> requests.Response:
        params = {**self.auth(token), **{k: str(v) for k, v in params.items()}}
        if method == "POST":
            return requests.post(self.url(path), data=params, timeout=10)
        return requests.request(method, self.url(path), params=params, timeout=10)

    def get(self, path: str, token: str | None = None, **params: t.Any) -> requests.Response:
        return self.call("GET", path, token, **params)

    def post(self, path: str, token: str | None = None, **params: t.Any) -> requests.Response:
        return self.call("POST", path, token, **params)

    def delete(self, path: str, token: str | None = None, **params: t.Any) -> requests.Response:
        return self.call("DELETE", path, token, **params)


def error_of(response: requests.Response) -> dict[str, t.Any]:
    body = response.json()
    assert "error" in body, body
    return t.cast("dict[str, t.Any]", body["error"])


@pytest.fixture
def sandbox_config() -> dict[str, t.Any]:
    """Override in a test module to start the sandbox with other settings."""
    return {}


@pytest.fixture
def sandbox_app(sandbox_config: dict[str, t.Any]) -> flask.Flask:
    return create_sandbox_app(sandbox_config)


@pytest.fixture
def state(sandbox_app: flask.Flask) -> SandboxState:
    return t.cast(SandboxState, sandbox_app.extensions["sandbox"])


@pytest.fixture
def sandbox(sandbox_app: flask.Flask, state: SandboxState) -> t.Iterator[Graph]:
    base_url, stop = serve_in_thread(sandbox_app)
    yield Graph(base_url, state, sandbox_app, state.user_token)
    stop()


@dataclasses.dataclass
class Receiver:
    """A webhook endpoint: records (raw body, headers) and answers with ``status``."""

    url: str = ""
    status: int = 200
    received: list[tuple[bytes, dict[str, str]]] = dataclasses.field(default_factory=list)
    arrived: threading.Event = dataclasses.field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> t.Iterator[Receiver]:
    app = flask.Flask("webhook-receiver")
    rec = Receiver()

    @app.route("/hook", methods=["GET", "POST"])
    def hook() -> t.Any:
        if flask.request.method == "GET":  # hub.challenge verification (§1.1)
            if flask.request.args.get("hub.verify_token") != "s3cret":
                return "bad token", 403
            return flask.request.args["hub.challenge"], 200, {"Content-Type": "text/plain"}
        rec.received.append((flask.request.get_data(), dict(flask.request.headers)))
        rec.arrived.set()
        return "", rec.status

    base_url, stop = serve_in_thread(app)
    rec.url = base_url + "hook"
    yield rec
    stop()


@pytest.fixture
def config_overrides() -> dict[str, t.Any]:
    """The lead path's fixtures one folder up point the app at a served sandbox; these tests
    bring their own Graph, so the app keeps the base configuration."""
    return {}
