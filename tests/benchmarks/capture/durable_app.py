"""A second baseline of the acknowledgement benchmark: the least a durable webhook can do, as
reliability.md §4.3 measured it by hand. A bare Flask POST endpoint that checks the signature,
parses the body and commits one ``INSERT … ON CONFLICT DO NOTHING`` per delivery (psycopg, one
autocommit connection per process, prepared), then answers 200 (``durable_app:app``).

It keeps nothing but the lead id and the body; the product does all a webhook must besides
(every change of a batch, malformed bodies kept, ids checked, page freshness, the job handoff).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

import psycopg
from flask import Flask, request
from psycopg.types.json import Jsonb

app = Flask(__name__)
SECRET = os.environ["FACEBOOK_CLIENT_SECRET"].encode()
INSERT = "INSERT INTO bench_durable_inbox (dedupe_key, payload) VALUES (%s, %s) ON CONFLICT (dedupe_key) DO NOTHING"
_conn: list[psycopg.Connection[tuple[object, ...]]] = []


def connection() -> psycopg.Connection[tuple[object, ...]]:
    if not _conn:  # opened in each gunicorn worker, after the fork
        _conn.append(psycopg.connect(os.environ["BENCH_DURABLE_DSN"], autocommit=True, prepare_threshold=0))
    return _conn[0]


@app.post("/webhooks/social/facebook")
def receive() -> tuple[str, int]:
    body = request.get_data(cache=False)
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature-256", "").encode(), expected.encode()):
        return "bad signature", 403
    value = json.loads(body, parse_int=str)["entry"][0]["changes"][0]["value"]
    connection().execute(INSERT, (value["leadgen_id"], Jsonb(value)))
    return "ok", 200
