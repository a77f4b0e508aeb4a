"""The leads list as CSV: streamed now, or written in a job behind a signed link (``mode=link``),
and an export's page with its filters in words."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import abort, stream_with_context, url_for
from werkzeug.wrappers import Response

from metaads.api import answers
from metaads.leads import downloads
from metaads.leads.export import CsvExport, filename, record_export
from metaads.leads.filters import LeadFilters, read_filters
from metaads.leads.schemas import ExportOptionsSchema
from metaads.leads.sorting import VALUES as SORT_VALUES
from metaads.leads.sorting import LeadSort
from metaads.models import Ad, AdCampaign, LeadForm
from metaads.views import bp
from metaads.views.leads import actor, leads_list_url, query_args, user_names
from plugins.core.apidoc import documented
from plugins.core.extensions import db
from plugins.core.models import utcnow
from plugins.core.pages import back_on_error, done, request_body, respond


@bp.post("/leads/export")
@documented(answers={200: "text/csv", 202: answers.ExportAnswerSchema}, body=answers.ExportRequestSchema)
@back_on_error(lambda: leads_list_url())
def leads_export() -> t.Any:
    """The list's filters (query string or body) as CSV. ``bom=1`` adds a byte order mark for
    Excel; ``mode=link`` writes the file in a job and answers 202 with a signed link instead;
    ``format=full`` gives every field instead of the readable columns."""
    data = {**query_args(), **request_body()}
    filters, options = read_filters(data), ExportOptionsSchema().load(data)
    who = actor()
    if options["mode"] == "link":
        export = downloads.start_export(filters, bom=options["bom"], user_id=who.id if who else None, format=options["format"])
        message = "Your export is being prepared. Its download link is below."
        return done(message, url_for("metaads.lead_export", export_id=export.id), {"export": export.as_json()}, status=202)
    return stream_csv(filters, bom=options["bom"], actor_id=who.id if who else None, format=options["format"])


def stream_csv(filters: LeadFilters, *, bom: bool, actor_id: int | None, format: str = "readable") -> Response:
    export = CsvExport.prepare(filters, bom=bom, format=format)

    def generate() -> t.Iterator[bytes]:
        completed = False
        try:
            yield from export.chunks()
            completed = True
        finally:
            # Also when the download is cut short: the log says how many rows left.
            db.session.rollback()
            record_export(filters, export.rows, actor_id, mode="download", completed=completed)
            db.session.commit()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(utcnow())}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/leads/exports/<export_id>")
@documented(answers=answers.ExportAnswerSchema)
def lead_export(export_id: str) -> t.Any:
    """An export made with ``mode=link``: its state and its shareable link."""
    export = downloads.load(export_id) or abort(404, description="No such export (exports are deleted after 24 hours).")
    names = user_names()
    return respond(
        "metaads/leads/export.html",
        {"export": export.as_json()},
        export_obj=export,
        names=names,
        filter_values=readable_filters(export.filters or {}, names),
    )


def readable_filters(filters: t.Mapping[str, str], names: t.Mapping[str, str]) -> dict[str, str]:
    """An export's filters as a person reads them: forms, campaigns, ads and users by name (the
    id when it names nothing we know), statuses and test leads in words."""

    def name_of(column: t.Any, key_column: t.Any, value: str) -> str | None:
        found: str | None = db.session.execute(sa.select(column).where(key_column == value).limit(1)).scalar()
        return found

    readable: dict[str, str] = {}
    for key, value in filters.items():
        shown: str | None = None
        if key == "lead_form_id" and value.isdigit():
            shown = name_of(LeadForm.name, LeadForm.id, value)
        elif key == "form_id":
            shown = name_of(LeadForm.name, LeadForm.meta_form_id, value)
        elif key == "campaign_id":
            shown = name_of(AdCampaign.name, AdCampaign.meta_campaign_id, value)
        elif key == "ad_id":
            shown = name_of(Ad.name, Ad.meta_ad_id, value)
        elif key == "assigned_to":
            shown = "Nobody (unassigned)" if value == "none" else names.get(value)
        elif key == "status":
            shown = ", ".join(part.capitalize() for part in value.split(","))
        elif key == "include_test":
            shown = {"true": "Shown with the others", "only": "Only test leads"}.get(value)
        elif key in ("sort", "order") and value in SORT_VALUES:
            shown = LeadSort.parse(value).label
        readable[key] = shown or value
    return readable


@bp.get("/leads/exports/<export_id>/file")
@documented(answers="text/csv", errors={409: "`export_pending` or `export_failed`", 410: "`export_deleted`"})
def lead_export_file(export_id: str) -> Response:
    """The same file for a logged-in admin, without the signed link."""
    return downloads.send_export(downloads.ready(downloads.load(export_id)))
