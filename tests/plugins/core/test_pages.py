"""The view helpers: a change answered as JSON or as a flash and a redirect; form bodies."""

from __future__ import annotations

from flask import Flask, get_flashed_messages

from plugins.core.pages import done, request_body


def test_done_answers_a_client_with_json_and_its_status(app: Flask) -> None:
    with app.test_request_context("/x", method="POST", headers={"Accept": "application/json"}):
        response = done("Saved.", "/back", {"thing": 1}, status=202)
        assert response.status_code == 202 and response.get_json() == {"thing": 1}
        assert get_flashed_messages() == []


def test_done_sends_a_browser_back_with_a_flash_and_a_303(app: Flask) -> None:
    with app.test_request_context("/x", method="POST", headers={"Accept": "text/html"}):
        response = done("Saved.", "/back", {"thing": 1}, category="info")
        assert response.status_code == 303 and response.location == "/back"
        assert get_flashed_messages(with_categories=True) == [("info", "Saved.")]


def test_request_body_keeps_every_value_only_of_the_named_lists(app: Flask) -> None:
    form = {"ids": ["1", "2"], "status": ["new", "contacted"], "note": "", "csrf_token": "x", "next": "/leads"}
    with app.test_request_context("/x", method="POST", data=form):
        assert request_body(lists=("ids",)) == {"ids": ["1", "2"], "status": "new"}
        assert request_body() == {"ids": "1", "status": "new"}
