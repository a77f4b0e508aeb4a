"""``python -m metaads.sandbox [--port N]``: serve the Graph emulator in the foreground."""

from __future__ import annotations

import argparse
import typing as t

import flask

from metaads.sandbox.app import create_sandbox_app, describe, serve_described

__all__ = ["describe", "main"]


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
    (serve or serve_described)(app, args.host, args.port)


if __name__ == "__main__":
    main()
