"""The baseline of the acknowledgement benchmark: a bare Flask POST endpoint that reads the body
and answers 200, served under the same gunicorn settings as the product (``bare_app:app``)."""

from __future__ import annotations

from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/social/facebook")
def receive() -> tuple[str, int]:
    request.get_data(cache=False)
    return "ok", 200
