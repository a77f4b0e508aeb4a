"""The sandbox as a WSGI app: ``create_sandbox_app`` and ``serve_in_thread``."""

from __future__ import annotations

import threading
import time
import typing as t

import flask
from werkzeug.serving import make_server

from metaads.sandbox.config import build_config
from metaads.sandbox.control import control
from metaads.sandbox.graph_routes import dispatch, split_version
from metaads.sandbox.oauth import dialog
from metaads.sandbox.routing import Call, graph_json
from metaads.sandbox.state import SandboxState

AUTH_KEYS = ("access_token", "appsecret_proof", "appsecret_time")


def create_sandbox_app(config: t.Mapping[str, t.Any] | None = None) -> flask.Flask:
    """A Flask app that answers like graph.facebook.com (and www.facebook.com's OAuth dialog).

    Config keys and defaults are in ``metaads.sandbox.config.DEFAULTS``; the state object is
    ``app.extensions["sandbox"]`` (a ``SandboxState``)."""
    app = flask.Flask("metaads.sandbox")
    app.config.update(build_config(config))
    # The state reads app.config live, so a test may flip LATENCY_MS etc. on a running app.
    app.extensions["sandbox"] = SandboxState(app.config)
    app.register_blueprint(dialog)
    if app.config["CONTROL_API"]:
        app.register_blueprint(control)
    app.add_url_rule("/", "graph_root", graph_entry, methods=["GET", "POST", "DELETE"])
    app.add_url_rule("/<path:path>", "graph", graph_entry, methods=["GET", "POST", "DELETE"])
    return app


def _request_params() -> tuple[dict[str, str], dict[str, str], str | None]:
    """(params, auth params, token) from the query, form or JSON body and Authorization header."""
    request = flask.request
    params: dict[str, str] = dict(request.args.items())
    params.update(request.form.items())
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict):
        params.update({k: v if isinstance(v, str) else graph_json(v).replace("\\/", "/") for k, v in body.items()})
    auth = {key: params.pop(key) for key in AUTH_KEYS if key in params}
    token = auth.get("access_token")
    header = request.headers.get("Authorization", "")
    if token is None and header.split(" ", 1)[0].lower() in ("bearer", "oauth") and " " in header:
        token = header.split(" ", 1)[1].strip()
    return params, auth, token


def graph_entry(path: str = "") -> flask.Response:
    app = flask.current_app
    state: SandboxState = app.extensions["sandbox"]
    latency = int(app.config["LATENCY_MS"] or 0)
    if latency:
        time.sleep(latency / 1000)
    version, rest = split_version(path, app.config["DEFAULT_VERSION"])
    params, auth, token = _request_params()
    base_url = app.config["PUBLIC_URL"] or flask.request.host_url
    call = Call(state, flask.request.method, version, rest, params, base_url.rstrip("/") + "/", token, auth)
    status, body, headers = dispatch(call)
    return flask.Response(graph_json(body), status=status, headers=headers)


def serve_in_thread(app: flask.Flask, host: str = "127.0.0.1", port: int = 0) -> tuple[str, t.Callable[[], None]]:
    """Serve ``app`` from a daemon thread; returns (base URL with trailing slash, stop)."""
    server = make_server(host, port, app, threaded=True)
    # A short poll interval lets stop() return quickly (shutdown waits for one poll).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="metaads-sandbox", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://{host}:{server.port}/", stop


def describe(app: flask.Flask, base_url: str) -> list[str]:
    """What a developer needs to point a client at the sandbox."""
    state = app.extensions["sandbox"]
    lines = [
        f"Graph sandbox on {base_url} (versions {state.config['ACCEPTED_VERSIONS'][0]}.."
        f"{state.config['ACCEPTED_VERSIONS'][-1]}, control API at {base_url}_sandbox/seed)",
        f"FACEBOOK_GRAPH_URL={base_url.rstrip('/')}",
        f"FACEBOOK_DIALOG_URL={base_url.rstrip('/')}",
        f"FACEBOOK_CLIENT_ID={state.config['APP_ID']}",
        f"FACEBOOK_CLIENT_SECRET={state.config['APP_SECRET']}",
        f"user token:        {state.user_token}",
        f"system user token: {state.system_user_token}",
    ]
    lines += [f"page {page} token: {token}" for page, token in state.page_tokens.items()]
    return lines


def serve_described(app: flask.Flask, host: str, port: int) -> None:
    """Serve in the foreground after printing ``describe`` (``port`` 0 picks a free one): what
    ``python -m metaads.sandbox`` and ``flask metaads sandbox`` both show."""
    server = make_server(host, port, app, threaded=True)
    print("\n".join(describe(app, f"http://{host}:{server.port}/")), flush=True)
    server.serve_forever()
