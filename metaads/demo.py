"""``flask --app wsgi --debug metaads demo``: the embedded default with everything running —
the app, the Graph sandbox, the in-process worker and scheduler, an admin to log in with, the
sandbox business connected, and a new lead arriving by signed webhook every few seconds."""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import typing as t

import click
import flask_migrate
from flask import Flask
from werkzeug.serving import make_server

from metaads.connections import graph_service
from metaads.sandbox import create_sandbox_app, serve_in_thread
from plugins.accounts.service import create_admin
from plugins.core.scheduler import start_in_background
from plugins.socials.connect import ConnectResult, connect_with_token
from plugins.socials.registry import socials_state

log = logging.getLogger(__name__)

DEMO_EMAIL = "admin@example.com"


def run_demo(app: Flask, *, host: str, port: int, sandbox_port: int, interval: float) -> None:
    flask_migrate.upgrade()
    sandbox = create_sandbox_app({"APP_ID": "demo-app-id", "APP_SECRET": secrets.token_hex(16)})
    sandbox_url, _stop = serve_in_thread(sandbox, host="127.0.0.1", port=sandbox_port)
    point_at_sandbox(app, sandbox, sandbox_url.rstrip("/"))
    password = secrets.token_urlsafe(12)
    create_admin(DEMO_EMAIL, password, name="Demo Admin")
    state = sandbox.extensions["sandbox"]
    result = connect_demo_business(state)
    app_url = f"http://{host}:{port}"
    click.echo(
        f"\n  metaads demo on {app_url}/  (Graph sandbox on {sandbox_url})\n"
        f"  log in as {DEMO_EMAIL} with password {password}\n"
        f"  connected the sandbox business: {result.pages} pages, the last 90 days of leads are being backfilled;\n"
        f"  a new lead arrives by signed webhook every {interval:g} s. Ctrl+C stops.\n"
    )
    start_in_background(app)
    webhook_url = f"{app_url}/webhooks/social/facebook"
    # Bound (and listening) before the thread starts: the sandbox's verification GET waits in
    # the socket's backlog until serve_forever answers it.
    server = make_server(host, port, app, threaded=True)
    threading.Thread(target=subscribe_then_feed, args=(app, state, webhook_url, interval), daemon=True).start()
    server.serve_forever()


def connect_demo_business(state: t.Any) -> ConnectResult:
    """Connect as an admin who approved Facebook's login dialog: with a token for every scope the
    platform asks (its own and metaads'). The seed's user token holds metaads' scopes alone, so a
    demo connected with it showed "6 of 14 permissions missing"."""
    token = state.issue_user_token(list(socials_state().scopes), label="demo-user")
    return connect_with_token(token.value)


def subscribe_then_feed(app: Flask, state: t.Any, webhook_url: str, interval: float) -> None:
    try:
        subscribe_app(app, webhook_url)
    except Exception:  # the demo goes on; leads then come through the reconciler
        log.exception("demo could not subscribe the app to the sandbox's page webhooks")
    feed_leads(state, webhook_url, interval)


def subscribe_app(app: Flask, webhook_url: str) -> None:
    """What a developer does once in Meta's App Dashboard: send the app's Page ``leadgen``
    webhooks to ``webhook_url``. Without it the sandbox has nowhere to send the webhook of a test
    lead ("Send a test lead"), which then arrives minutes later through the reconciler."""
    with app.app_context():
        client = graph_service().client
        client.post(
            f"{app.config['FACEBOOK_CLIENT_ID']}/subscriptions",
            client.app_access_token(),
            {
                "object": "page",
                "callback_url": webhook_url,
                "fields": "leadgen",
                "verify_token": app.config["FACEBOOK_WEBHOOK_VERIFY_TOKEN"],
                "include_values": "true",
            },
        )


def point_at_sandbox(app: Flask, sandbox: Flask, url: str) -> None:
    app.config.update(
        FACEBOOK_GRAPH_URL=url,
        FACEBOOK_DIALOG_URL=url,
        FACEBOOK_CLIENT_ID=sandbox.config["APP_ID"],
        FACEBOOK_CLIENT_SECRET=sandbox.config["APP_SECRET"],
        FACEBOOK_WEBHOOK_VERIFY_TOKEN=secrets.token_hex(8),
    )
    app.extensions["metaads"].service = None  # rebuilt for the sandbox on first use


def feed_leads(state: t.Any, webhook_url: str, interval: float) -> None:
    """Like a busy page: a lead on one of the seeded forms every ``interval`` seconds."""
    forms = itertools.cycle([state.seed.forms[name] for name in ("standard", "custom", "choice")])
    stop = threading.Event()
    while not stop.wait(interval):
        try:
            lead = state.create_lead(next(forms))
            state.deliver_webhook(webhook_url, [lead["id"]])
        except Exception:  # the demo keeps going; the app's own logs say what happened
            log.exception("demo could not deliver a lead")
