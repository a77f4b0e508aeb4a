"""Exports written to a file by a job, handed out through an expiring signed link.

An export's state lives beside its file, in ``<export dir>/<id>.json`` (who asked, the filters,
pending/done/failed, the row count); the CSV is written as ``<id>.csv.part`` and renamed to
``<id>.csv`` when complete, so a half-written file is never served. The job gets only the id:
the filters may hold a search text (personal data), which must not sit in Redis.

The link is ``<prefix>/downloads/<token>``: the export id signed with the app's secret
(itsdangerous, timestamped). It works without a login session: the signature is the credential,
as a link mailed to a colleague needs. A changed token → 403; a token older than
``METAADS_EXPORT_LINK_MAX_AGE`` → 410; ``delete_expired_exports`` removes the files after that
age. Logged-in admins can also fetch any live export by id from its admin page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import re
import secrets
import typing as t
from pathlib import Path

from flask import Blueprint, current_app, send_file, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from metaads.leads.export import CsvExport, filename, record_export
from metaads.leads.filters import LeadFilters, read_filters
from plugins.core import jobs
from plugins.core.extensions import db
from plugins.core.http import APIError
from plugins.core.models import utcnow

log = logging.getLogger(__name__)

public_bp = Blueprint("metaads_downloads", __name__)

EXPORT_ID = re.compile(r"[A-Za-z0-9_-]{22}")
SALT = "metaads.leads.export-link"


@dataclasses.dataclass(frozen=True)
class ExportFile:
    id: str
    status: str  # pending, done, failed
    user_id: int | None
    filters: dict[str, str]
    bom: bool
    created_at: dt.datetime
    token: str
    rows: int | None = None
    error: str | None = None
    format: str = "readable"

    @property
    def expires_at(self) -> dt.datetime:
        return self.created_at + dt.timedelta(seconds=max_age())

    @property
    def csv_path(self) -> Path:
        return export_dir() / f"{self.id}.csv"

    @property
    def download_name(self) -> str:
        return filename(self.created_at)

    def link(self) -> str:
        return url_for("metaads_downloads.download", token=self.token, _external=True)

    def as_json(self) -> dict[str, t.Any]:
        return {
            "id": self.id,
            "status": self.status,
            "rows": self.rows,
            "filters": self.filters,
            "bom": self.bom,
            "format": self.format,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "download_url": self.link(),
            "error": self.error,
        }


def export_dir() -> Path:
    configured = current_app.config.get("METAADS_EXPORT_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_age() -> int:
    return int(current_app.config.get("METAADS_EXPORT_LINK_MAX_AGE", 24 * 3600))


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def start_export(filters: LeadFilters, *, bom: bool, user_id: int | None, format: str = "readable") -> ExportFile:
    """Record the export, queue the job that writes it, and return it (done already when jobs run
    eagerly)."""
    export_id = secrets.token_urlsafe(16)
    state = {
        "id": export_id,
        "status": "pending",
        "user_id": user_id,
        "filters": filters.as_args(),
        "bom": bom,
        "format": format,
        "created_at": utcnow().isoformat(),
        "token": serializer().dumps(export_id),
    }
    save_state(export_id, state)
    jobs.enqueue(write_export, export_id, queue="metaads-low", timeout=3600)
    found = load(export_id)
    assert found is not None
    return found


def write_export(export_id: str) -> int:
    """The job: write the CSV, record the export in the activity log, mark it done."""
    state = read_state(export_id)
    if state is None:
        return 0  # expired and deleted before a worker got to it
    filters = read_filters(state["filters"])
    # An export queued before formats existed was the full dump.
    export = CsvExport.prepare(filters, bom=state["bom"], format=state.get("format", "full"))
    final = export_dir() / f"{export_id}.csv"
    part = final.with_suffix(".csv.part")
    try:
        with part.open("wb") as out:
            for chunk in export.chunks():
                out.write(chunk)
        os.replace(part, final)
    except Exception:
        part.unlink(missing_ok=True)
        save_state(export_id, {**state, "status": "failed", "error": "The export could not be written; it has been logged."})
        raise
    record_export(filters, export.rows, state["user_id"], mode="link", export_id=export_id)
    db.session.commit()
    save_state(export_id, {**state, "status": "done", "rows": export.rows})
    return export.rows


def load(export_id: str) -> ExportFile | None:
    state = read_state(export_id) if EXPORT_ID.fullmatch(export_id) else None
    if state is None:
        return None
    return ExportFile(
        id=state["id"],
        status=state["status"],
        user_id=state.get("user_id"),
        filters=state.get("filters") or {},
        bom=bool(state.get("bom")),
        created_at=dt.datetime.fromisoformat(state["created_at"]),
        token=state["token"],
        rows=state.get("rows"),
        error=state.get("error"),
        format=state.get("format", "full"),
    )


def read_state(export_id: str) -> dict[str, t.Any] | None:
    try:
        return t.cast(dict[str, t.Any], json.loads((export_dir() / f"{export_id}.json").read_text()))
    except FileNotFoundError:
        return None


def save_state(export_id: str, state: dict[str, t.Any]) -> None:
    """Written to a temporary name and renamed, so a reader never sees half a file."""
    target = export_dir() / f"{export_id}.json"
    temporary = target.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(state))
    os.replace(temporary, target)


def ready(export: ExportFile | None) -> ExportFile:
    """The export if its file can be served; otherwise the error that says why not."""
    if export is None or (export.status == "done" and not export.csv_path.exists()):
        raise APIError(
            410,
            "export_deleted",
            "This export has been deleted (exports are kept for 24 hours). Export again from the leads page.",
        )
    if export.status == "pending":
        raise APIError(409, "export_pending", "This export is still being written. Try the link again in a minute.")
    if export.status == "failed":
        raise APIError(409, "export_failed", export.error or "This export failed. Export again from the leads page.")
    return export


def send_export(export: ExportFile) -> Response:
    response = send_file(
        export.csv_path, mimetype="text/csv", as_attachment=True, download_name=export.download_name, max_age=0, conditional=False
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@public_bp.get("/downloads/<token>")
def download(token: str) -> Response:
    try:
        export_id = serializer().loads(token, max_age=max_age())
    except SignatureExpired:
        raise APIError(
            410, "link_expired", "This download link has expired (links last 24 hours). Export again from the leads page."
        ) from None
    except BadSignature:
        raise APIError(
            403,
            "link_invalid",
            "This download link is not valid: it was changed or cut short. Use the whole link, or export again.",
        ) from None
    return send_export(ready(load(str(export_id))))


def delete_expired_exports(now: dt.datetime | None = None) -> int:
    """Delete every export older than the link lifetime (its CSV, a partial file, its state), and
    stray files that lost their state. Returns how many exports were deleted."""
    now = now or utcnow()
    limit = dt.timedelta(seconds=max_age())
    folder = export_dir()
    deleted = 0
    for state_file in folder.glob("*.json"):
        export = load(state_file.stem)
        if export is not None and now - export.created_at <= limit:
            continue
        for path in (folder / f"{state_file.stem}.csv", folder / f"{state_file.stem}.csv.part", state_file):
            path.unlink(missing_ok=True)
        deleted += 1
    for stray in [*folder.glob("*.csv"), *folder.glob("*.part")]:
        has_state = (folder / f"{stray.name.split('.')[0]}.json").exists()
        if not has_state and now - dt.datetime.fromtimestamp(stray.stat().st_mtime, dt.UTC) > limit:
            stray.unlink(missing_ok=True)
    if deleted:
        log.info("deleted %d expired lead exports", deleted)
    return deleted
