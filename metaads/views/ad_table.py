"""The campaigns, ad sets and ads lists (one table, three kinds) and their bulk actions, as pages
and JSON: reading the query string (filters, sort, paging, the date range), answering with the
page or design.md's list keys (plus the totals per currency), and the bulk pause / resume /
archive answer. The query itself is :mod:`metaads.insights.table`; the bulk writes
:mod:`metaads.ads.bulk`; the page's table is ``metaads/ads/_table.html``.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from metaads.ads import bulk
from metaads.ads.delivery import EFFECTIVE, FILTER_CHOICES, delivery
from metaads.ads.inputs import ODAX_OBJECTIVES
from metaads.insights import table
from metaads.insights.query import divide_half_up
from metaads.models import AdAccount, AdWrite, WriteStatus
from metaads.models.enums import DeliveryStatus
from metaads.schemas import AdCampaignSchema, AdSchema, AdSetSchema
from metaads.views.ad_forms import list_return
from metaads.views.ranges import ARGS as RANGE_ARGS
from metaads.views.ranges import DEFAULT_PRESET, RangeQuery, chosen_range
from plugins.core.extensions import db
from plugins.core.http import APIError, wants_json
from plugins.core.pages import PagingSchema, error_text, request_body, respond

Kind = table.Kind
KEY = {"campaign": "campaigns", "adset": "adsets", "ad": "ads"}
SCHEMA: dict[str, type[Schema]] = {"campaign": AdCampaignSchema, "adset": AdSetSchema, "ad": AdSchema}
INDEX = {"campaign": "metaads.campaigns_index", "adset": "metaads.adsets_index", "ad": "metaads.ads_index"}
NOUN = {"campaign": ("campaign", "campaigns"), "adset": ("ad set", "ad sets"), "ad": ("ad", "ads")}
#: Columns whose first click sorts biggest first (Ads Manager's habit for numbers).
DESCENDING_FIRST = {"budget", *table.PERFORMANCE_SORTS}
_ID = fields.Integer(strict=False, validate=validate.Range(1, 2**63 - 1, error="Must be one of our ids."))


# --- the query string ---------------------------------------------------------------------------


def _list_query_schema(kind: str) -> type[Schema]:
    sorts = table.SORTS[kind]
    own: dict[str, fields.Field] = {
        "sort": fields.String(
            validate=validate.OneOf([*sorts, *(f"-{s}" for s in sorts)], error="sort must be one of: {choices}."),
            metadata={"description": "A column, `-` first for descending: " + ", ".join(sorts) + " (default name)."},
        ),
        "q": fields.String(validate=validate.Length(max=255), metadata={"description": "Part of the name, any case."}),
        "status": fields.String(validate=validate.OneOf([s.value for s in DeliveryStatus])),
        "effective_status": fields.String(validate=validate.OneOf(list(EFFECTIVE))),
        "objective": fields.String(validate=validate.Length(max=64)),
        "ad_account_id": _ID,
        "campaign_id": _ID,
        "ad_set_id": _ID,
    }
    wanted = {"sort", *table.FILTERS[kind]}
    attrs: dict[str, t.Any] = {name: field for name, field in own.items() if name in wanted}
    attrs["Meta"] = type("Meta", (), {"unknown": EXCLUDE})
    attrs["__doc__"] = f"Filters, sort, paging and the date range of the {NOUN[kind][1]} list."
    return t.cast(type[Schema], type(f"{kind.capitalize()}ListQuery", (PagingSchema, RangeQuery), attrs))


LIST_QUERY: dict[str, type[Schema]] = {kind: _list_query_schema(kind) for kind in KEY}
#: What the lists read themselves (the range is the picker's): one instance each, reused.
ARGS_SCHEMA: dict[str, Schema] = {kind: schema(exclude=RANGE_ARGS) for kind, schema in LIST_QUERY.items()}


class TableTotalSchema(Schema):
    """The totals row of one currency over every row the filters match (never across currencies)."""

    currency = fields.String()
    count = fields.Integer(metadata={"description": "Rows in this currency that match the filters."})
    impressions = fields.Integer()
    clicks = fields.Integer()
    spend = fields.Integer(metadata={"description": "Minor units of `currency`."})
    leads = fields.Integer()
    cost_per_lead = fields.Integer(allow_none=True, metadata={"description": "Minor units, rounded half up; null without leads."})


def list_answer(kind: str) -> type[Schema]:
    """design.md's list keys, plus ``totals`` per currency."""
    return Schema.from_dict(
        {
            KEY[kind]: fields.List(fields.Nested(SCHEMA[kind])),
            "count": fields.Integer(metadata={"description": "How many match, on every page."}),
            "limit": fields.Integer(),
            "offset": fields.Integer(),
            "totals": fields.List(fields.Nested(TableTotalSchema)),
        },
        name=f"{SCHEMA[kind].__name__.removesuffix('Schema')}TablePage",
    )


LIST_ANSWER: dict[str, type[Schema]] = {kind: list_answer(kind) for kind in KEY}


def _list_args(kind: str) -> tuple[dict[str, t.Any], str | None]:
    """The list's own arguments (the range is the picker's), loaded; a bad one → 400 for JSON,
    the defaults and the reason for a page."""
    schema = ARGS_SCHEMA[kind]
    given = {name: request.args[name] for name in schema.fields if request.args.get(name, "") != ""}
    try:
        return t.cast(dict[str, t.Any], schema.load(given)), None
    except ValidationError as exc:
        problems = t.cast(dict[str, list[str]], exc.messages)
        message = " ".join(f"{name}: {p[0]}" for name, p in problems.items())
        if wants_json():
            raise APIError(400, "validation_error", message, {"fields": problems}) from None
        return t.cast(dict[str, t.Any], schema.load({})), message


# --- the list -----------------------------------------------------------------------------------


def ad_list(kind: Kind, template: str, **context: t.Any) -> t.Any:
    """The list of ``kind`` as its page, or as JSON: design.md's keys with every row's
    performance over the range (JSON without a range: every stored day), and ``totals``."""
    chosen = chosen_range(default=None if wants_json() else DEFAULT_PRESET)
    args, args_error = _list_args(kind)
    accounts = list(db.session.execute(sa.select(AdAccount).order_by(AdAccount.name, AdAccount.id)).scalars())
    ranges = chosen.days_by_account(accounts)
    sort = args.get("sort", "name")
    filters = {name: args[name] for name in table.FILTERS[kind] if args.get(name) not in (None, "")}
    query = table.ListQuery(
        filters=filters,
        ranges=ranges,
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
        limit=args["limit"],
        offset=args["offset"],
    )
    found = table.load(kind, query)
    payload: dict[str, t.Any] = {"count": found.count, "limit": query.limit, "offset": query.offset}
    if wants_json():  # the page reads the rows themselves
        payload = {KEY[kind]: _dumped(kind, found.rows), **payload, "totals": [_total(total) for total in found.totals]}
    shown = set(ranges.values())
    return respond(
        template,
        payload,
        kind=kind,
        found=found,
        chosen=chosen,
        shown_days=next(iter(shown)) if len(shown) == 1 else None,
        accounts=accounts,
        filters=filters,
        sort=query.sort,
        descending=query.descending,
        sort_urls=_sort_urls(kind, query),
        args_error=args_error,
        delivery=delivery,
        delivery_choices=FILTER_CHOICES,
        objectives=ODAX_OBJECTIVES,
        bulk_results=_bulk_results(kind),
        list_url=_with_bulk(request.full_path.rstrip("?"), []),
        noun=NOUN[kind],
        **context,
    )


def _dumped(kind: str, rows: list[table.Row]) -> list[dict[str, t.Any]]:
    dumped = t.cast(list[dict[str, t.Any]], SCHEMA[kind](many=True).dump([row.obj for row in rows]))
    for obj, row in zip(dumped, rows, strict=True):
        obj.update(row.performance.fields())
    return dumped


def _total(total: table.CurrencyTotal) -> dict[str, t.Any]:
    perf = total.performance
    return {
        "currency": total.currency,
        "count": total.count,
        **perf.fields(),
        "cost_per_lead": divide_half_up(perf.spend, perf.leads),
    }


def _sort_urls(kind: str, query: table.ListQuery) -> dict[str, str]:
    """Each column's header link: the other direction when it is the sort, else its first one;
    every other argument kept, back to the first page."""
    kept = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("sort", "offset", "bulk")}
    urls = {}
    for column in table.SORTS[kind]:
        if column == query.sort:
            descending = not query.descending
        else:
            descending = column in DESCENDING_FIRST
        values: dict[str, t.Any] = {**kept, "sort": f"-{column}" if descending else column}
        urls[column] = url_for(request.endpoint or INDEX[kind], **values)
    return urls


# --- bulk -----------------------------------------------------------------------------------


class AdsBulkSchema(Schema):
    """``{"action": "pause" | "resume" | "archive", "ids": [our ids]}``."""

    action = fields.String(required=True, validate=validate.OneOf(list(bulk.ACTIONS), error="action must be one of: {choices}."))
    ids = fields.List(
        _ID,
        required=True,
        validate=validate.Length(min=1, max=bulk.MAX_BULK, error=f"Select between 1 and {bulk.MAX_BULK}."),
    )


class AdsBulkResultSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    status = fields.String(
        attribute="outcome",
        metadata={
            "enum": ["done", "failed", "unknown", "not_sent"],
            "description": "unknown: the answer was lost and Meta does not show the change yet",
        },
    )
    message = fields.String(metadata={"description": "What was done, or Meta's own words (error_user_msg)."})
    code = fields.String(allow_none=True, metadata={"description": "Our error code: meta_refused, needs_reauth, answer_lost…"})
    write_id = fields.Integer(allow_none=True, metadata={"description": "The audit row of this change."})
    meta = fields.Dict(allow_none=True)


class AdsBulkAnswerSchema(Schema):
    """One result per id, in the order sent; ``retry_ids`` are the ones not done."""

    results = fields.List(fields.Nested(AdsBulkResultSchema))
    done = fields.Integer()
    failed = fields.Integer()
    lost = fields.Integer(data_key="unknown", metadata={"description": "How many are unknown (answer lost, not shown yet)."})
    not_sent = fields.Integer()
    retry_ids = fields.List(fields.Integer())


BULK_ERRORS = {
    404: "`not_found`: ids that are not ours (details.missing); nothing was sent",
    409: "`needs_reauth` (the token is dead; details.results holds each result), `not_connected`",
}


def bulk_write(kind: Kind) -> t.Any:
    """Pause, resume or archive the selected objects; a result per object."""
    back = _back_to_list(kind)
    try:
        body = request_body(lists=("ids",))
        data = AdsBulkSchema().load(body)
        rows = _objects(kind, list(dict.fromkeys(data["ids"])))
    except (ValidationError, APIError) as exc:
        if wants_json():
            if isinstance(exc, ValidationError):
                problems = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
                raise APIError(400, "validation_error", error_text(exc), {"fields": problems}) from None
            raise
        flash(error_text(exc), "error")
        return redirect(back, 303)
    outcome = bulk.run(rows, data["action"])
    answer = t.cast(dict[str, t.Any], AdsBulkAnswerSchema().dump(_summary(outcome)))
    message = _bulk_message(kind, data["action"], outcome)
    if wants_json():
        if outcome.needs_reauth:
            raise APIError(409, "needs_reauth", message, answer)
        return answer
    flash(message, "error" if outcome.needs_reauth else "warning" if outcome.retry_ids else "success")
    writes = [r.write_id for r in outcome.results if r.write_id is not None]
    return redirect(_with_bulk(back, writes), 303)


def _summary(outcome: bulk.BulkOutcome) -> dict[str, t.Any]:
    return {
        "results": outcome.results,
        "done": outcome.count("done"),
        "failed": outcome.count("failed"),
        "lost": outcome.count("unknown"),
        "not_sent": outcome.count("not_sent"),
        "retry_ids": outcome.retry_ids,
    }


def _objects(kind: str, ids: list[int]) -> list[t.Any]:
    """The objects, in the order asked; ids that are not ours → 404, nothing sent."""
    model = table.MODEL[kind]
    found = {row.id: row for row in db.session.execute(sa.select(model).where(model.id.in_(ids))).scalars()}
    missing = [object_id for object_id in ids if object_id not in found]
    if missing:
        noun = NOUN[kind][1] if len(missing) > 1 else NOUN[kind][0]
        raise APIError(404, "not_found", f"No such {noun}: {', '.join(map(str, missing[:10]))}.", {"missing": missing})
    return [found[object_id] for object_id in ids]


def _bulk_message(kind: str, action: str, outcome: bulk.BulkOutcome) -> str:
    one, many = NOUN[kind]
    total = len(outcome.results)
    done = outcome.count("done")
    word = bulk.DONE_WORDS[action].lower()
    text = f"{bulk.DONE_WORDS[action]} {done} of {total} {one if total == 1 else many}."
    if outcome.needs_reauth:
        return f"Facebook refused this connection's token: reconnect Facebook, then retry. {text}"
    if done == total:
        return text
    return f"{text} {total - done} not {word}: see each one's reason below, and retry them from there."


def _back_to_list(kind: str) -> str:
    """Where the list's form goes back to: the list it came from, else this kind's list."""
    return list_return() or url_for(INDEX[kind])


def _with_bulk(url: str, write_ids: list[int]) -> str:
    """``url`` showing the results of these writes (none: without any results)."""
    path, _, query = url.partition("?")
    kept = [part for part in query.split("&") if part and not part.startswith("bulk=")]
    if write_ids:
        kept.append("bulk=" + ",".join(map(str, write_ids)))
    return path + ("?" + "&".join(kept) if kept else "")


def _bulk_results(kind: str) -> list[dict[str, t.Any]] | None:
    """The results of the bulk action the page was sent back with (``?bulk=<write ids>``)."""
    raw = request.args.get("bulk", "")
    ids = [int(part) for part in raw.split(",") if part.isdigit() and len(part) < 19][: bulk.MAX_BULK]
    if not ids or wants_json():
        return None
    audit = db.session.execute(sa.select(AdWrite).where(AdWrite.id.in_(ids), AdWrite.object_type == kind)).scalars()
    writes = sorted(audit, key=lambda w: ids.index(w.id))
    model = table.MODEL[kind]
    object_ids = [w.object_id for w in writes if w.object_id is not None]
    names = dict(db.session.execute(sa.select(model.id, model.name).where(model.id.in_(object_ids))).all())
    outcome = {WriteStatus.DONE: "done", WriteStatus.UNKNOWN: "unknown"}
    return [
        {
            "id": w.object_id,
            "name": names.get(w.object_id, f"#{w.object_id}") if w.object_id else "—",
            "action": w.action,
            "status": outcome.get(w.status, "not_sent" if (w.message or "").startswith("Not sent") else "failed"),
            "message": w.message or bulk.DONE_WORDS.get(w.action, "Done"),
        }
        for w in writes
    ]


def parent(model: type[t.Any], raw: str | None) -> t.Any:
    """The parent a list is filtered by, for its heading (None without one, or an unknown one)."""
    if not raw or not raw.isdigit() or len(raw) > 18:
        return None
    return db.session.get(model, int(raw))
