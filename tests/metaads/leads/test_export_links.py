"""Exports written by a job and handed out by a signed link: valid (no login needed), expired
(410), tampered (403), pending, deleted by the cleanup; the admin page and the admin download."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import typing as t
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from metaads.leads import downloads
from metaads.models import LeadActivity
from metaads.models.enums import LeadStatus
from plugins.core.extensions import db
from tests.metaads.leads.test_support import LEADS, flashes, form_token, leads_config, make_form, make_lead


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, t.Any]:
    return leads_config(tmp_path)


@pytest.fixture
def leads(app: Flask) -> list[int]:
    form = make_form()
    made = [make_lead(form, status=LeadStatus.NEW if n % 2 else LeadStatus.ARCHIVED) for n in range(5)]
    db.session.commit()
    return [lead.id for lead in made]


def start(client: FlaskClient, headers: dict[str, str], **body: t.Any) -> dict[str, t.Any]:
    response = client.post(f"{LEADS}/export", json={"mode": "link", **body}, headers=headers, buffered=True)
    assert response.status_code == 202, response.get_json()
    return t.cast(dict[str, t.Any], response.get_json()["export"])


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_a_signed_link_downloads_without_a_login(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], leads: list[int]
) -> None:
    export = start(client, api_headers, status="new", bom=True)
    assert export["status"] == "done" and export["rows"] == 2 and export["filters"] == {"status": "new"}
    created = dt.datetime.fromisoformat(export["created_at"])
    assert dt.datetime.fromisoformat(export["expires_at"]) - created == dt.timedelta(hours=24)
    anonymous = app.test_client()
    response = anonymous.get(path_of(export["download_url"]), buffered=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8" and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=leads-")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    assert sorted(int(row["Lead ID"]) for row in rows) == sorted(leads[1::2])
    [entry] = db.session.execute(db.select(LeadActivity).where(LeadActivity.action == "exported")).scalars()
    assert entry.details == {
        "filters": {"status": "new"},
        "rows": 2,
        "mode": "link",
        "completed": True,
        "export_id": export["id"],
    }


def test_a_changed_link_is_refused(app: Flask, client: FlaskClient, api_headers: dict[str, str], leads: list[int]) -> None:
    url = path_of(start(client, api_headers)["download_url"])
    # A character inside the signature (the last one's low bits are base64 padding, ignored).
    at = len(url) - 10
    flipped = url[:at] + ("A" if url[at] != "A" else "B") + url[at + 1 :]
    for bad in (flipped, url[:-6], url.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAA"):
        response = app.test_client().get(bad, headers={"Accept": "application/json"}, buffered=True)
        assert response.status_code == 403, bad
        assert response.get_json()["error"]["code"] == "link_invalid"
    other_secret = URLSafeTimedSerializer("another-secret", salt=downloads.SALT).dumps(url.rsplit("/", 1)[1])
    assert app.test_client().get(f"/admin/meta-ads/downloads/{other_secret}", buffered=True).status_code == 403
    page = app.test_client().get(flipped, buffered=True)
    assert page.status_code == 403 and "This download link is not valid" in page.get_data(as_text=True)


def test_an_expired_link_is_gone(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], leads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 24 * 3600 - 5)
    url = path_of(start(client, api_headers)["download_url"])
    monkeypatch.undo()
    response = app.test_client().get(url, headers={"Accept": "application/json"}, buffered=True)
    assert response.status_code == 410
    assert response.get_json()["error"] == {
        "code": "link_expired",
        "message": "This download link has expired (links last 24 hours). Export again from the leads page.",
        "details": {},
    }


def test_a_pending_export_says_to_come_back(app: Flask) -> None:
    with app.test_request_context():
        downloads.save_state(
            "p" * 22,
            {
                "id": "p" * 22,
                "status": "pending",
                "user_id": None,
                "filters": {},
                "bom": False,
                "created_at": "2026-03-14T09:00:00+00:00",
                "token": "x",
            },
        )
        token = downloads.serializer().dumps("p" * 22)
    response = app.test_client().get(f"/admin/meta-ads/downloads/{token}", headers={"Accept": "application/json"}, buffered=True)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "export_pending"


def test_the_cleanup_deletes_expired_files_and_their_links_stop(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], leads: list[int], tmp_path: Path
) -> None:
    old, fresh = start(client, api_headers), start(client, api_headers, status="archived")
    folder = tmp_path / "exports"
    assert {p.name for p in folder.iterdir()} == {
        f"{old['id']}.csv",
        f"{old['id']}.json",
        f"{fresh['id']}.csv",
        f"{fresh['id']}.json",
    }
    (folder / "stray.csv.part").write_text("half a file")
    with app.test_request_context():
        assert downloads.delete_expired_exports(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=12)) == 0
        state = downloads.read_state(old["id"])
        assert state is not None
        downloads.save_state(old["id"], {**state, "created_at": "2026-01-01T00:00:00+00:00"})
        assert downloads.delete_expired_exports() == 1
    assert {p.name for p in folder.iterdir()} == {f"{fresh['id']}.csv", f"{fresh['id']}.json", "stray.csv.part"}
    response = app.test_client().get(path_of(old["download_url"]), headers={"Accept": "application/json"}, buffered=True)
    assert response.status_code == 410 and response.get_json()["error"]["code"] == "export_deleted"
    assert app.test_client().get(path_of(fresh["download_url"]), buffered=True).status_code == 200


def test_the_cleanup_is_a_periodic_job(app: Flask) -> None:
    from plugins.core.registry import platform_state

    jobs = {job.name: job for job in platform_state(app).periodic_jobs}
    assert jobs["metaads-delete-expired-exports"].func is downloads.delete_expired_exports


def test_admins_get_the_export_page_and_file_with_their_login(app: Flask, admin_client: FlaskClient, leads: list[int]) -> None:
    page = f"{LEADS}?status=archived"
    response = admin_client.post(
        f"{LEADS}/export", data={"csrf_token": form_token(admin_client, page), "status": "archived", "mode": "link"}
    )
    assert response.status_code == 303
    export_page = response.headers["Location"]
    assert export_page.startswith(f"{LEADS}/exports/")
    assert flashes(admin_client, export_page) == [("success", "Your export is being prepared. Its download link is below.")]
    html = admin_client.get(export_page).get_data(as_text=True)
    assert "3 leads." in html and "/admin/meta-ads/downloads/" in html and "Ready" in html
    file = admin_client.get(f"{export_page}/file", buffered=True)
    assert file.status_code == 200 and len(list(csv.reader(io.StringIO(file.data.decode())))) == 4
    assert app.test_client().get(f"{export_page}/file", headers={"Accept": "application/json"}, buffered=True).status_code == 401
    assert admin_client.get(f"{LEADS}/exports/..%2F..%2Fsecret").status_code == 404
