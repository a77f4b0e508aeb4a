"""The webhook receiver against whatever a signed body may hold (Hypothesis): arbitrary bytes,
arbitrary JSON with NUL characters, lone surrogates, huge numbers and deep nesting, and leadgen
envelopes whose ids are good, odd or missing. A signed delivery always answers 200 (Meta would
otherwise send it again for 36 hours), on PostgreSQL as on SQLite, and nothing valid is lost:
every readable leadgen change has its pending inbox row, every unreadable body its invalid row.
"""

from __future__ import annotations

import hashlib
import json
import typing as t

import hypothesis.strategies as st
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings

from metaads.capture import webhook
from metaads.models import WebhookInbox
from metaads.models.enums import InboxStatus
from plugins.core.extensions import db
from tests.metaads.conftest import APP_SECRET
from tests.plugins.socials.test_webhook import sign

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Characters PostgreSQL refuses or that trip encoders, mixed into ordinary text.
ODD = st.sampled_from(["\x00", "\ud800", "\udfff", "\ud83d", "\\", '"', "\u2028", "\ufeff", "²", "١"])
TEXT = st.text(st.one_of(st.characters(), ODD), max_size=12)
BIG = st.integers(min_value=2**53, max_value=10**80) | st.integers(min_value=-(10**30), max_value=10**30)
JSON = st.recursive(
    st.none() | st.booleans() | BIG | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
ID = st.integers(min_value=1, max_value=10**40).map(str)


@pytest.fixture
def config_overrides() -> dict[str, t.Any]:
    return {"FACEBOOK_CLIENT_SECRET": APP_SECRET}  # no Graph: these tests stop at the inbox


@pytest.fixture
def client(app: Flask, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    monkeypatch.setattr(webhook, "enqueue_pending", lambda ids: None)  # rows stay pending, as stored
    return app.test_client()


def post(client: FlaskClient, body: bytes) -> t.Any:
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, APP_SECRET)}
    return client.post("/webhooks/social/facebook", data=body, headers=headers)


def inbox(dedupe_key: str) -> WebhookInbox | None:
    db.session.expire_all()
    return db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.dedupe_key == dedupe_key)).scalar_one_or_none()


def unreadable_row_kept(body: bytes) -> bool:
    row = inbox("sha256:" + hashlib.sha256(body).hexdigest())
    return row is not None and row.status == InboxStatus.INVALID


def readable_ids(payload: t.Any) -> set[str]:
    """The leadgen ids of every change a receiver must store as a pending lead (the spec,
    written apart from the code under test): numbers and digit strings of ASCII digits."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        return set()
    ids = set()
    for entry in payload["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            if isinstance(change, dict) and change.get("field") == "leadgen" and isinstance(change.get("value"), dict):
                raw = change["value"].get("leadgen_id")
                text = str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
                if text.isascii() and text.isdigit() and len(text) <= 64:
                    ids.add(text)
    return ids


@given(body=st.binary(max_size=300))
@example(body=b"\x00\xff")
@example(body=b'{"object":"page","entry":[{"id":"1\\u0000"}], "x": "\\ud800"}')
@example(body=b"[" * 5000 + b"]" * 5000)
@FUZZ
def test_signed_arbitrary_bytes_answer_200(client: FlaskClient, body: bytes) -> None:
    response = post(client, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    try:
        payload = json.loads(body, parse_int=str, parse_float=str)
    except (ValueError, RecursionError):
        payload = None
    if not (isinstance(payload, dict) and isinstance(payload.get("entry"), list)):
        assert unreadable_row_kept(body)


@given(payload=JSON)
@FUZZ
def test_signed_arbitrary_json_answers_200(client: FlaskClient, payload: t.Any) -> None:
    body = json.dumps(payload).encode()  # ASCII: NULs and surrogates travel as \u escapes, as from Meta
    assert post(client, body).status_code == 200
    if not (isinstance(payload, dict) and isinstance(payload.get("entry"), list)):
        assert unreadable_row_kept(body)


def change_value() -> st.SearchStrategy[t.Any]:
    """A leadgen value: good ids (as strings or as bare big numbers), odd ones, odd extras."""
    good = st.fixed_dictionaries(
        {"leadgen_id": ID | ID.map(int), "page_id": ID | TEXT | BIG, "form_id": ID | ID.map(int)},
        optional={
            "created_time": BIG | TEXT | st.floats(allow_nan=False),
            "ad_id": ID | TEXT,
            "note": TEXT,
            "deep": JSON,
        },
    )
    odd = st.fixed_dictionaries({}, optional={"leadgen_id": TEXT | st.booleans() | JSON, "page_id": TEXT, "more": JSON})
    return good | odd | JSON


ENVELOPE = st.fixed_dictionaries(
    {
        "object": st.just("page") | TEXT,
        "entry": st.lists(
            st.fixed_dictionaries(
                {
                    "id": ID | TEXT | BIG | JSON,
                    "time": BIG | TEXT,
                    "changes": st.lists(
                        st.fixed_dictionaries({"field": st.just("leadgen") | TEXT, "value": change_value()}),
                        min_size=1,
                        max_size=3,
                    ),
                }
            ),
            min_size=1,
            max_size=3,
        ),
    }
)


def envelope(entry_id: t.Any, *values: t.Any, object_type: str = "page") -> dict[str, t.Any]:
    changes = [{"field": "leadgen", "value": value} for value in values]
    return {"object": object_type, "entry": [{"id": entry_id, "time": 1, "changes": changes}]}


NUL_PAGE = envelope("1\x00", {"leadgen_id": "4401", "form_id": "7"})
NUL_INVALID = envelope("2", {"leadgen_id": "x\x00", "note": "\ud800"}, object_type="page\x00")
DEEP: t.Any = "\x00"
for _ in range(900):
    DEEP = [DEEP]
DEEP_BESIDE_A_LEAD = envelope(DEEP, {"leadgen_id": "4402", "x": DEEP}, DEEP)
HUGE = envelope("9" * 200, {"leadgen_id": "4403", "created_time": 10**400})


@given(payload=ENVELOPE)
@example(payload=NUL_PAGE)
@example(payload=NUL_INVALID)
@example(payload=HUGE)
@FUZZ
def test_every_readable_lead_is_kept_whatever_surrounds_it(client: FlaskClient, payload: dict[str, t.Any]) -> None:
    body = json.dumps(payload).encode()
    assert post(client, body).status_code == 200
    for leadgen_id in readable_ids(payload):
        row = inbox(leadgen_id)
        assert row is not None, f"lead {leadgen_id} was lost"
        assert row.status != InboxStatus.INVALID and row.leadgen_id == leadgen_id
        assert row.page_id is None or (row.page_id.isascii() and row.page_id.isdigit())


def test_a_nul_in_a_signed_body_is_kept_as_an_invalid_row_not_503(client: FlaskClient) -> None:
    """The case issue 10 saw: PostgreSQL refused the NUL and Meta got 503, to resend for 36 hours."""
    assert post(client, json.dumps(NUL_INVALID).encode()).status_code == 200
    assert post(client, json.dumps(NUL_PAGE).encode()).status_code == 200
    db.session.expire_all()
    invalid = db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.status == InboxStatus.INVALID)).scalar_one()
    assert invalid.payload == {"value": {"leadgen_id": "x\\u0000", "note": "\\ud800"}, "entry_id": "2"}
    lead = inbox("4401")
    assert lead is not None and lead.status == InboxStatus.PENDING and lead.page_id is None and lead.form_id == "7"


def test_too_deep_a_value_is_kept_as_a_note(client: FlaskClient) -> None:
    assert post(client, json.dumps(DEEP_BESIDE_A_LEAD).encode()).status_code == 200
    db.session.expire_all()
    invalid = db.session.execute(sa.select(WebhookInbox).where(WebhookInbox.status == InboxStatus.INVALID)).scalar_one()
    kept = invalid.payload["value"]
    for _ in range(webhook.MAX_KEPT_DEPTH - 1):
        kept = kept[0]
    assert kept == webhook.TOO_DEEP
    assert inbox("4402") is not None
