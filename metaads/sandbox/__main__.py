"""``python -m metaads.sandbox [--port N]``: serve the Graph emulator in the foreground."""

from __future__ import annotations

import argparse
import typing as t

import flask
from werkzeug.serving import make_server

from metaads.sandbox.app import create_sandbox_app


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


def main(argv: list[str] | None = None, serve: t.Callable[[flask.Flask, str, int], None] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m metaads.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--no-appsecret-proof", action="store_true", help="accept calls without appsecret_proof")
    args = parser.parse_args(argv)
    app = create_sandbox_app(
        {"LATENCY_MS": args.latency_ms, "SEED": not args.no_seed, "REQUIRE_APPSECRET_PROOF": not args.no_appsecret_proof}
    )
    (serve or _serve)(app, args.host, args.port)


def _serve(app: flask.Flask, host: str, port: int) -> None:
    server = make_server(host, port, app, threaded=True)
    print("\n".join(describe(app, f"http://{host}:{server.port}/")), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
