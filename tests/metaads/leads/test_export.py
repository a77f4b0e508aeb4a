"""POST /leads/export: the CSV's columns and content, formula neutralisation (with Hypothesis
properties), unicode, the BOM option, exactly the list's filters, and the audit record."""

from __future__ import annotations

import csv
import io
import json
import re
import typing as t
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from metaads.leads.export import FORMULA_TRIGGERS, PHONE_AT, SEED_COLUMNS, CsvExport, neutralise, restore
from metaads.leads.filters import LeadFilters
from metaads.leads.sorting import LeadSort
from metaads.models import LeadActivity
from metaads.models.enums import LeadStatus
from plugins.core.extensions import db
from tests.metaads.leads.test_support import LEADS, at, form_token, leads_config, make_form, make_lead, make_user

EXPORT = f"{LEADS}/export"


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, t.Any]:
    return leads_config(tmp_path)


def rows_of(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert not text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def export(client: FlaskClient, headers: dict[str, str], query: str = "", **body: t.Any) -> t.Any:
    # Buffered: the test client runs each request in a context of its own, and the streamed body
    # must be read inside it (a WSGI server reads it in the request's own context).
    # These tests read the full dump's columns; the readable format has tests of its own.
    if "format=" not in query:
        body.setdefault("format", "full")
    return client.post(f"{EXPORT}?{query}", json=body, headers=headers, buffered=True)


def test_columns_content_and_headers(app: Flask, client: FlaskClient, api_headers: dict[str, str], admin: t.Any) -> None:
    form = make_form("Bikes")
    lead = make_lead(
        form,
        created=at(14, 9, 26, 5),
        full_name="Zoë Müller-Lüdenscheid",
        email="zoe@example.de",
        phone="+4915112345678",
        answers={
            "full_name": ["Zoë Müller-Lüdenscheid"],
            "which_models": ["City E-Bike", "Cargo Family"],
            "postleitzahl": ["50823"],
        },
        campaign_id="120210000000000001",
        notes="Rückruf am Samstag, „bitte“ früh",
        assigned_to=str(admin.id),
        status=LeadStatus.CONTACTED,
    )
    db.session.commit()
    response = export(client, api_headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="leads-\d{8}-\d{6}\.csv"', response.headers["Content-Disposition"])
    assert response.headers["Cache-Control"] == "no-store"
    header = next(csv.reader(io.StringIO(response.data.decode())))
    seed = [name for name, _ in SEED_COLUMNS]
    assert header == [
        *seed[: PHONE_AT + 1],
        "phone_digits",
        *seed[PHONE_AT + 1 :],
        "answer:full_name",
        "answer:email",
        "answer:phone_number",
        "answer:which_models",
        "other_answers",
    ]
    [row] = rows_of(response.data)
    assert row["id"] == str(lead.id) and row["meta_lead_id"] == lead.meta_lead_id
    assert row["created_time"] == "2026-03-14T09:26:05Z" and row["status"] == "contacted"
    assert row["full_name"] == "Zoë Müller-Lüdenscheid" and row["notes"] == "Rückruf am Samstag, „bitte“ früh"
    assert row["phone"] == "'+4915112345678" and row["phone_digits"] == "4915112345678"
    assert row["campaign_id"] == "120210000000000001" and row["assigned_to"] == str(admin.id)
    assert row["lead_form_id"] == str(form.id) and row["form_id"] == form.meta_form_id and row["is_organic"] == ""
    assert row["answer:which_models"] == "City E-Bike; Cargo Family" and row["answer:email"] == ""
    assert json.loads(row["other_answers"]) == {"postleitzahl": ["50823"]}


def test_bom_only_when_asked(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    make_lead(make_form(), full_name="Σοφία")
    db.session.commit()
    with_bom = export(client, api_headers, bom=True).data
    assert with_bom.startswith(b"\xef\xbb\xbfid,") and "Σοφία" in with_bom.decode("utf-8-sig")
    assert export(client, api_headers, "bom=1").data.startswith(b"\xef\xbb\xbf")
    assert export(client, api_headers).data.startswith(b"id,")


def test_formulas_are_neutralised_in_every_column(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    form = make_form(questions=[{"key": "-comment", "label": "Comment", "type": "CUSTOM"}])
    payloads = ['=HYPERLINK("https://evil.example","click")', "+1+2", "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR", "\nLF", "'quoted"]
    for payload in payloads:
        make_lead(form, full_name=payload, notes=payload, answers={"-comment": [payload]}, campaign_name=payload)
    db.session.commit()
    data = export(client, api_headers, "order=created_time").data.decode()
    parsed = list(csv.reader(io.StringIO(data, newline="")))
    header, rows = parsed[0], parsed[1:]
    assert "answer:-comment" in header
    for cells in [header, *rows]:
        assert all(not cell or cell[0] not in FORMULA_TRIGGERS for cell in cells)
    for payload, cells in zip(payloads, rows, strict=True):
        record = dict(zip(header, cells, strict=True))
        for column in ("full_name", "notes", "campaign_name", "answer:-comment"):
            assert record[column] == "'" + payload and restore(record[column]) == payload


PROPERTY = settings(max_examples=300)


@PROPERTY
@given(st.text())
def test_neutralise_makes_any_cell_safe_and_is_undone_by_one_quote(cell: str) -> None:
    out = neutralise(cell)
    assert not out or out[0] not in FORMULA_TRIGGERS
    assert out in (cell, "'" + cell)
    assert (out[1:] if out.startswith("'") else out) == cell


@PROPERTY
@given(st.lists(st.text(), min_size=len(SEED_COLUMNS), max_size=len(SEED_COLUMNS)), st.lists(st.text(), max_size=3), st.text())
def test_a_whole_row_survives_csv_and_every_cell_is_safe(seed: list[str], answer: list[str], stray: str) -> None:
    """The real row path: seed values, a question answer (multi-value), an unknown key; written
    with the csv module, read back, every cell restored by removing one leading quote."""
    export_ = CsvExport(filters=LeadFilters(), question_keys=["q"])
    written = io.StringIO()
    csv.writer(written, lineterminator="\r\n").writerow(
        export_.cells([*seed, json.dumps([{"name": "q", "values": answer}, {"name": "x", "values": [stray]}])])
    )
    [cells] = list(csv.reader(io.StringIO(written.getvalue(), newline="")))
    assert all(not cell or cell[0] not in FORMULA_TRIGGERS for cell in cells)
    restored = [restore(cell) for cell in cells]
    assert restored[: PHONE_AT + 1] + restored[PHONE_AT + 2 : len(SEED_COLUMNS) + 1] == seed
    assert restored[-2] == "; ".join(answer)
    assert json.loads(restored[-1]) == {"x": [stray]}


def test_question_columns_are_the_union_over_the_matched_forms(
    app: Flask, client: FlaskClient, api_headers: dict[str, str]
) -> None:
    bikes = make_form("Bikes", questions=[{"key": "email"}, {"key": "which_models"}])
    news = make_form("News", questions=[{"key": "email"}, {"key": "topics"}])
    other = make_form("Other", questions=[{"key": "budget"}])
    make_lead(bikes, campaign_id="c1")
    make_lead(news, campaign_id="c1")
    make_lead(other, campaign_id="c2")
    db.session.commit()

    def answer_columns(query: str) -> list[str]:
        header = next(csv.reader(io.StringIO(export(client, api_headers, query).data.decode())))
        return [name for name in header if name.startswith("answer:")]

    assert answer_columns("campaign_id=c1") == ["answer:email", "answer:which_models", "answer:topics"]
    assert answer_columns(f"lead_form_id={news.id}") == ["answer:email", "answer:topics"]
    assert answer_columns(f"form_id={news.meta_form_id}") == ["answer:email", "answer:topics"]
    assert answer_columns("") == ["answer:email", "answer:which_models", "answer:topics", "answer:budget"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=new",
        "status=contacted,archived&order=created_time",
        "campaign_id=c1",
        "assigned_to=none",
        "q=example.org",
        "created_after=2026-03-05&created_before=2026-03-20",
        "status=contacted&q=p1",
    ],
)
def test_the_export_has_exactly_the_lists_rows(app: Flask, client: FlaskClient, api_headers: dict[str, str], query: str) -> None:
    form, user = make_form(), make_user("bob@example.com")
    for n in range(12):
        make_lead(
            form,
            created=at(1 + n * 2, 10),
            status=[LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.ARCHIVED][n % 3],
            campaign_id=f"c{n % 2 + 1}",
            email=f"p{n}@example.{'org' if n % 4 else 'com'}",
            assigned_to=str(user.id) if n % 5 == 0 else None,
        )
    db.session.commit()
    listed = [lead["id"] for lead in client.get(f"{LEADS}?limit=500&{query}", headers=api_headers).get_json()["leads"]]
    exported = [int(row["id"]) for row in rows_of(export(client, api_headers, query).data)]
    assert exported == listed
    assert len(listed) == 12 if not query else 0 < len(listed) < 12


def test_filters_may_come_in_the_body(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    form = make_form()
    wanted = make_lead(form, status=LeadStatus.ARCHIVED)
    make_lead(form)
    db.session.commit()
    assert [int(row["id"]) for row in rows_of(export(client, api_headers, status="archived").data)] == [wanted.id]


def test_an_invalid_filter_is_a_400(client: FlaskClient, api_headers: dict[str, str]) -> None:
    response = export(client, api_headers, status="won", mode="now")
    assert response.status_code == 400
    assert set(response.get_json()["error"]["details"]["fields"]) == {"status"}
    assert export(client, api_headers, mode="now").get_json()["error"]["details"]["fields"] == {
        "mode": ["Must be one of: download, link."]
    }


def test_every_export_is_logged_without_the_search_text(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], admin: t.Any
) -> None:
    form = make_form()
    for _ in range(3):
        make_lead(form, email="zoe@example.de")
    db.session.commit()
    export(client, api_headers, "q=zoe@example.de&status=new")
    [entry] = db.session.execute(db.select(LeadActivity).where(LeadActivity.action == "exported")).scalars()
    assert entry.lead_id is None and entry.actor_user_id == admin.id
    assert entry.details == {
        "filters": {"status": "new", "q": "[search text not logged]"},
        "rows": 3,
        "mode": "download",
        "completed": True,
    }


def test_export_from_the_list_page(app: Flask, admin_client: FlaskClient) -> None:
    form = make_form()
    make_lead(form, full_name="Ingrid Bjørnstad", status=LeadStatus.CONTACTED)
    make_lead(form, full_name="Someone Else")
    db.session.commit()
    page = f"{LEADS}?status=contacted"
    data = {"csrf_token": form_token(admin_client, page), "next": page, "status": "contacted", "bom": "1"}
    response = admin_client.post(EXPORT, data=data, buffered=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    assert [row["Full name"] for row in rows] == ["Ingrid Bjørnstad"]  # the page's export is the readable one
    assert admin_client.post(EXPORT, data={"status": "contacted"}, buffered=True).status_code == 400  # no CSRF token


def test_the_response_is_streamed_in_chunks_and_logged_when_done(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from metaads.leads import export as export_module
    from metaads.views.exports import stream_csv

    monkeypatch.setattr(export_module, "BATCH", 3)  # rows per database fetch
    monkeypatch.setattr(export_module, "CHUNK", 200)  # bytes per chunk sent
    form = make_form()
    for _ in range(10):
        make_lead(form)
    db.session.commit()
    with app.test_request_context(EXPORT, method="POST"):
        response = stream_csv(LeadFilters(), bom=False, actor_id=None)
        assert response.is_streamed
        chunks = list(response.response)
    assert len(chunks) > 3 and all(chunks)  # several chunks, none of them empty
    assert len(rows_of(b"".join(chunks))) == 10
    [entry] = db.session.execute(db.select(LeadActivity).where(LeadActivity.action == "exported")).scalars()
    assert entry.details["rows"] == 10 and entry.details["completed"] is True


def test_a_download_cut_short_is_logged_as_incomplete(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from metaads.leads import export as export_module
    from metaads.views.exports import stream_csv

    monkeypatch.setattr(export_module, "BATCH", 2)
    monkeypatch.setattr(export_module, "CHUNK", 1)
    form = make_form()
    for _ in range(6):
        make_lead(form)
    db.session.commit()
    with app.test_request_context(EXPORT, method="POST"):
        body = iter(stream_csv(LeadFilters(), bom=False, actor_id=None).response)
        next(body), next(body)
        body.close()  # type: ignore[attr-defined]  (what a WSGI server does when the client goes away)
    [entry] = db.session.execute(db.select(LeadActivity).where(LeadActivity.action == "exported")).scalars()
    assert entry.details["completed"] is False and 0 < entry.details["rows"] < 6


@pytest.mark.parametrize("count", [0, 1, 2, 7])
def test_every_row_comes_out_once_whatever_the_batch_size(app: Flask, monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """The rows are read past SQLAlchemy, from the driver's cursor: the first, the last and the
    batch edges must neither be lost nor repeated."""
    from metaads.leads import export as export_module

    monkeypatch.setattr(export_module, "BATCH", 3)
    form = make_form()
    made = [make_lead(form).id for _ in range(count)]
    db.session.commit()
    oldest_first = LeadFilters(sort=LeadSort("created_time", descending=False))
    exported = [int(row[0]) for batch in export_module.fetch_batches(oldest_first) for row in batch]
    assert exported == made


def test_answers_in_an_odd_shape_are_still_exported(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    odd = [{"name": "which_models", "values": "City E-Bike"}, {"name": "budget", "values": [2500]}, "not an answer"]
    make_lead(make_form(), field_data=odd)
    db.session.commit()
    [row] = rows_of(export(client, api_headers).data)
    assert row["answer:which_models"] == "City E-Bike"
    assert json.loads(row["other_answers"]) == {"budget": ["2500"]}


SOLAR_QUESTIONS = [
    {"key": "full_name", "label": "Full name", "type": "FULL_NAME"},
    {
        "key": "what_is_your_budget?",
        "label": "What is your budget?",
        "type": "CUSTOM",
        "options": [{"key": "over_50k", "value": "Over 50k €"}, {"key": "up_to_10k", "value": "Up to 10k €"}],
    },
]


def test_the_readable_export_has_words_names_and_labels(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], admin: t.Any
) -> None:
    form = make_form("Quote request – Solar", questions=SOLAR_QUESTIONS)
    make_lead(
        form,
        full_name="Zoë Müller",
        phone="+4915112345678",
        answers={"full_name": ["Zoë Müller"], "what_is_your_budget?": ["over_50k"], "gone_question": ["x"]},
        assigned_to=str(admin.id),
        status=LeadStatus.CONTACTED,
        meta_platform="ig",
    )
    db.session.commit()
    data = export(client, api_headers, format="readable").data
    header = next(csv.reader(io.StringIO(data.decode())))
    assert header[:4] == ["Lead ID", "Created (UTC)", "Status", "Full name"]
    assert {"platform_id", "metadata", "erased_at", "person_id", "lead_form_id", "source"}.isdisjoint(header)
    assert header[-2:] == ["What is your budget?", "Other answers"] and header.count("Full name") == 1  # same label, one column
    [row] = rows_of(data)
    assert row["Status"] == "Contacted" and row["Form"] == "Quote request – Solar" and row["Source"] == "Instagram"
    assert row["Assigned to"] == admin.display_name and row["Phone (digits)"] == "4915112345678"
    assert row["What is your budget?"] == "Over 50k €"
    assert row["Other answers"] == '{"gone_question":["x"]}'
    full = export(client, api_headers, format="full").data.decode()
    assert full.startswith("id,") and "platform_id" in full.splitlines()[0]
