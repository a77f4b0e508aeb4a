"""Nothing secret or personal reaches a log line on the lead path (ASVS 16.2.5)."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from metaads.sandbox import SandboxState
from tests.metaads.conftest import APP_SECRET, deliver


def test_capture_logs_no_tokens_and_no_answers(
    app: Flask, client: FlaskClient, graph: SandboxState, caplog: pytest.LogCaptureFixture
) -> None:
    # No redaction filter here: the code itself must not log them (the filter is a second line).
    with caplog.at_level(logging.DEBUG):
        from plugins.socials.connect import connect_with_token

        connect_with_token(graph.user_token)
        graph.add_fault(kind="transient", code=2, times=1)
        lead = graph.create_lead(
            graph.seed.forms["standard"],
            [{"name": "email", "values": ["secret.person@example.com"]}, {"name": "phone_number", "values": ["+44 7700 900123"]}],
        )
        deliver(client, graph, [lead["id"]])
    text = caplog.text
    secrets = [graph.user_token, *graph.page_tokens.values(), APP_SECRET, "secret.person@example.com", "+44 7700 900123"]
    for secret in secrets:
        assert secret not in text, f"{secret[:6]}… reached a log line"
    assert lead["id"] in text or "graph" in text  # the lines are there; only their secrets are not
