"""The Graph sandbox in a process of its own (so its Python does not share the benchmark's GIL),
quiet (no line logged per request), on a loopback port.

    python sandbox_server.py --port P [--latency-ms 100] --app-id ID --app-secret SECRET

Prints ``READY http://127.0.0.1:P/`` once it accepts connections; tests drive it through its
control API (``/_sandbox/...``)."""

from __future__ import annotations

import argparse
import logging

from werkzeug.serving import make_server

from metaads.sandbox import create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--app-secret", required=True)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_sandbox_app(
        {
            "APP_ID": args.app_id,
            "APP_SECRET": args.app_secret,
            "LATENCY_MS": args.latency_ms,
            # The app delivers its own webhooks in these benchmarks; none from the sandbox.
            "AUTO_WEBHOOKS": False,
            "VERIFY_SUBSCRIPTIONS": False,
        }
    )
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    print(f"READY http://127.0.0.1:{server.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
