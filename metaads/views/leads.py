"""Leads and lead forms, as pages and JSON: the filtered list with keyset paging, a lead's page with
its workflow, bulk changes, erasure; the lead forms. CSV exports: ``metaads.views.exports``.

Browsers post forms and are redirected back with a flash message (POST-redirect-GET); the same
routes answer JSON clients with JSON (``PATCH`` for updates); the helpers that answer both are
``plugins.core.pages``. What the routes do lives in ``metaads.leads``.
"""

from __future__ import annotations

import collections
import typing as t

import sqlalchemy as sa
from flask import abort, current_app, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy.orm import selectinload

from metaads.answers import labelled_answers
from metaads.api import answers
from metaads.conversions.admin import lead_conversions
from metaads.leads.filters import LeadFilters, ListPosition, read_list_args
from metaads.leads.paging import Counts, Page, check_cursor, count_leads, keyset_page
from metaads.leads.retention import erase_lead
from metaads.leads.schemas import (
    BulkUpdateSchema,
    LeadDetailSchema,
    LeadUpdateSchema,
)
from metaads.leads.sorting import CHOICES as SORT_CHOICES
from metaads.leads.sorting import LeadSort, Ordering
from metaads.leads.timeline import describe
from metaads.leads.workflow import (
    KEEP,
    BulkOutcome,
    LeadUpdate,
    allowed_transitions,
    apply_update,
    bulk_update,
    change_status,
    commit,
    is_reopen,
)
from metaads.models import Ad, AdCampaign, AdSet, Lead, LeadForm
from metaads.models.enums import LeadStatus
from metaads.schemas import ConversionEventSchema, LeadFormSchema, LeadSchema
from metaads.views import bp
from metaads.views.test_leads import test_lead_status
from plugins.accounts.models import User
from plugins.core.apidoc import documented, one_of, page_of
from plugins.core.extensions import db
from plugins.core.http import APIError, wants_json
from plugins.core.models import utcnow
from plugins.core.pages import (
    DEFAULT_LIMIT,
    PagingSchema,
    back_on_error,
    done,
    error_text,
    offset_list,
    paging_args,
    request_body,
    respond,
)
from plugins.socials.models import SocialPage

#: Why a lead's personal data is deleted by hand: the activity log keeps the code, never free text
#: (which could hold the personal data just deleted).
ERASE_REASONS = {
    "request": "The person asked for it (right to erasure)",
    "consent_withdrawn": "The person withdrew consent",
    "test_or_spam": "A test, spam or duplicate lead",
    "entered_in_error": "Entered or received in error",
}

# Lead management's configuration defaults, public download route and periodic jobs come with the
# blueprint, so an app that mounts it gets them without another call.

#: The next step offered first on a lead's page, by status.
#: The page sizes the list offers (any ``limit`` up to the maximum still works in the URL).
PAGE_SIZES = (25, 50, 100, 200)
STEP_LABELS = {
    LeadStatus.CONTACTED: "Mark as contacted",
    LeadStatus.QUALIFIED: "Mark as qualified",
    LeadStatus.CONVERTED: "Convert to customer",
    LeadStatus.DISQUALIFIED: "Disqualify",
    LeadStatus.ARCHIVED: "Archive",
}


# --- request helpers --------------------------------------------------------------------------


def actor() -> User | None:
    return t.cast(User, current_user._get_current_object()) if current_user.is_authenticated else None


def query_args() -> dict[str, str]:
    """The query string; a repeated ``status`` (``?status=new&status=contacted``) means either."""
    args = request.args.to_dict()
    if len(request.args.getlist("status")) > 1:
        args["status"] = ",".join(request.args.getlist("status"))
    return args


def load_lead(lead_id: int, *, lock: bool = False) -> Lead:
    """The lead, row-locked for a change so two admins cannot race a transition (PostgreSQL)."""
    lead = db.session.get(Lead, lead_id, with_for_update=lock)
    return lead if lead is not None else abort(404, description="No such lead.")


def leads_list_url() -> str:
    """Where a form on the list goes back to: its ``next`` when that is the list, else the list."""
    wanted = request.form.get("next", "")
    base = url_for("metaads.leads_index")
    return wanted if wanted.startswith(base) and "//" not in wanted and "\\" not in wanted else base


def user_names() -> dict[str, str]:
    return {str(user.id): user.display_name for user in db.session.execute(sa.select(User)).scalars()}


def active_users() -> list[User]:
    return list(db.session.execute(sa.select(User).where(User.active.is_(True)).order_by(User.name, User.email)).scalars())


# --- the list ---------------------------------------------------------------------------------


@bp.get("/leads")
@documented(answers=answers.LeadPageSchema, query=answers.LeadListQuery)
def leads_index() -> t.Any:
    """Filters, each named after the lead's field it matches: status (one, or several comma
    separated), lead_form_id (our LeadForm id), form_id, campaign_id and ad_id (Meta's ids),
    assigned_to (a user id, or ``none``), q, created_after, created_before, include_test (test
    leads: ``false``, the default, ``true`` or ``only``).
    Sort: ``sort``, a field with ``-`` in front for descending (``-created_time``, newest first, is
    the default; ``full_name``, ``status``, ``assigned_to``, ``platform``, ``ad_name``,
    ``lead_form_id``: see ``metaads.leads.sorting``); ``order``, its former name, still works.
    Paging: limit with offset, or with a cursor (``after`` = next_cursor, ``before`` =
    previous_cursor) whose cost does not grow with depth; a cursor belongs to its sort."""
    try:
        filters, position = read_list_args(query_args())
        limit, offset = paging_args()
        ordering = Ordering.of(filters.sort)
        check_cursor(ordering, position.after, "after")
        check_cursor(ordering, position.before, "before")
    except (ValidationError, APIError) as exc:
        if wants_json():
            raise
        # A browser gets the list itself, unfiltered, with what was wrong above it.
        filters, position = read_list_args({})
        limit, offset = DEFAULT_LIMIT, 0
        ordering = Ordering.of(filters.sort)
        filter_error: str | None = error_text(exc)
    else:
        filter_error = None
    if offset and (position.after or position.before):
        raise APIError(
            400,
            "validation_error",
            "offset cannot be combined with after or before.",
            {"fields": {"offset": ["use a cursor or an offset"]}},
        )
    page = keyset_page(
        filters.conditions(),
        ordering,
        limit=limit,
        offset=offset,
        after=position.after,
        before=position.before,
        options=[selectinload(Lead.lead_form)],
    )
    counts = count_leads(
        filters.conditions(),
        filters.conditions(with_status=False),
        int(current_app.config["METAADS_COUNT_CAP"]),
        selected=filters.status,
        one_scan=filters.reads_every_row,
    )
    payload = {
        "leads": LeadSchema(many=True).dump(page.rows),
        "count": counts.total,
        "count_is_estimate": counts.total_is_estimate,
        "limit": limit,
        "offset": offset,
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
        "status_counts": counts.by_status,
        "status_counts_capped": sorted(counts.capped_statuses),
    }
    context = {} if wants_json() else list_context(filters, position, page, counts, limit, offset)
    # 400 still tells a script the filters were refused; a person sees the list and why.
    return respond("metaads/leads/index.html", payload, 400 if filter_error else 200, filter_error=filter_error, **context)


def list_context(
    filters: LeadFilters, position: ListPosition, page: Page, counts: Counts, limit: int, offset: int
) -> dict[str, t.Any]:
    number = position.page or offset // limit + 1
    first = (number - 1) * limit + 1 if position.page else offset + 1

    def list_url(**changes: t.Any) -> str:
        """This list with some arguments changed (None removes one); every other argument stays,
        except the position, which a changed list starts over."""
        args: dict[str, t.Any] = {
            key: values for key, values in request.args.lists() if key not in ("after", "before", "page", "offset")
        }
        if "sort" in changes:
            args.pop("order", None)  # the former name of sort would only be ignored
        args.update({key: [value] for key, value in changes.items()})
        return url_for("metaads.leads_index", **{key: value for key, value in args.items() if value not in ([None], [""])})

    def sort_url(field: str) -> str:
        """Sorted by ``field``: the other way round when it is already, else in its first
        direction (names A to Z; newest first); the filters stay, the list starts over."""
        current = filters.sort
        wanted = current.toggled() if current.field == field else LeadSort(field, descending=field == "created_time")
        return list_url(sort=None if wanted == LeadSort() else str(wanted))

    return {
        "lead_rows": page.rows,
        "counts": counts,
        "filters": filters,
        "first_row": first,
        "paged": bool(position.after or position.before or offset),
        "list_url": list_url,
        "next_url": list_url(after=page.next_cursor, page=number + 1) if page.next_cursor else None,
        "previous_url": list_url(before=page.previous_cursor, page=max(number - 1, 1)) if page.previous_cursor else None,
        "current_url": request.full_path.rstrip("?"),
        "users": active_users(),
        "names": user_names(),
        "forms": db.session.execute(sa.select(LeadForm.id, LeadForm.name).order_by(LeadForm.name).limit(500)).all(),
        "campaigns": db.session.execute(
            sa.select(AdCampaign.meta_campaign_id, AdCampaign.name).order_by(AdCampaign.name).limit(500)
        ).all(),
        "ads": ad_choices(filters.campaign_id),
        "statuses": list(LeadStatus),
        "page_sizes": PAGE_SIZES,
        "sort_url": sort_url,
        "sort_choices": SORT_CHOICES,
        "limit": limit,
        "now": utcnow(),
        "page_names": page_names(),
    }


def ad_choices(campaign_id: str | None) -> list[tuple[str, str]]:
    """The ad filter's options, (Meta's id, name) from the synced ads: the chosen campaign's ads
    when one is chosen. Ads Manager's "Ad 1" is in many ad sets: a name that repeats carries its
    ad set's name."""
    query = sa.select(Ad.meta_ad_id, Ad.name, AdSet.name).join(AdSet, Ad.ad_set_id == AdSet.id)
    if campaign_id:
        query = query.join(AdCampaign, AdSet.campaign_id == AdCampaign.id).where(AdCampaign.meta_campaign_id == campaign_id)
    rows = db.session.execute(query.order_by(Ad.name, AdSet.name, Ad.id).limit(500)).all()
    repeated = {name for name, times in collections.Counter(name for _, name, _ in rows).items() if times > 1}
    return [(meta_id, f"{name} · {ad_set}" if name in repeated else name) for meta_id, name, ad_set in rows]


def page_names() -> dict[str, str]:
    """Facebook Page names by page id, for the list's and a lead's "Page"."""
    return {page_id: name for page_id, name in db.session.execute(sa.select(SocialPage.page_id, SocialPage.name))}


# --- one lead ---------------------------------------------------------------------------------


@bp.get("/leads/<int:lead_id>")
@documented(answers=answers.LeadWithConversionsSchema)
def lead_detail(lead_id: int) -> t.Any:
    lead = load_lead(lead_id)
    context = {} if wants_json() else detail_context(lead)
    sent = lead_conversions(lead.id)  # the stages sent to Meta's Conversions API, and when
    payload = {"lead": LeadDetailSchema().dump(lead), "conversion_events": ConversionEventSchema(many=True).dump(sent)}
    return respond("metaads/leads/detail.html", payload, lead_obj=lead, conversion_rows=sent, **context)


def detail_context(lead: Lead) -> dict[str, t.Any]:
    names = user_names()
    actors = {activity.id: names.get(str(activity.actor_user_id)) for activity in lead.activities}
    # A closed or converted lead's first step reopens it, to where it was before.
    steps = [
        (status, f"Reopen as {status.value}" if is_reopen(lead.status, status) else STEP_LABELS.get(status, status.value))
        for status in allowed_transitions(lead)
    ]
    return {
        "answers": labelled_answers(lead),
        "steps": steps,
        "users": active_users(),
        "names": names,
        "timeline": [(activity, describe(activity, names), actors[activity.id]) for activity in reversed(lead.activities)],
        "page_name": page_names().get(lead.page_id or ""),
    }


@bp.route("/leads/<int:lead_id>", methods=["PATCH", "POST"])
@documented(answers=one_of("lead", LeadDetailSchema), body=LeadUpdateSchema, errors={409: "`conflict`: a refused status"})
@back_on_error(lambda lead_id: url_for("metaads.lead_detail", lead_id=lead_id))
def lead_update(lead_id: int) -> t.Any:
    """JSON: ``PATCH`` with any of status, notes (replaces), note (appends), assigned_to (a user
    id, null to unassign). Browsers post the same fields (``assigned_to=none`` unassigns)."""
    update = LeadUpdateSchema().load(request_body())
    lead = load_lead(lead_id, lock=True)
    changes = apply_update(lead, update, actor())
    commit(changes)
    return done(
        update_message(update, lead), url_for("metaads.lead_detail", lead_id=lead.id), {"lead": LeadDetailSchema().dump(lead)}
    )


def update_message(update: LeadUpdate, lead: Lead) -> str:
    parts = []
    if update.assigned_to is not KEEP:
        who = user_names().get(str(update.assigned_to)) if update.assigned_to else None
        parts.append(f"Assigned to {who}." if who else "Unassigned.")
    if update.notes is not KEEP:
        parts.append("Notes saved.")
    if update.note:
        parts.append("Note added.")
    if update.status:
        parts.append(f"Status: {lead.status.value}.")
    return " ".join(parts)


@bp.post("/leads/<int:lead_id>/convert")
@documented(answers=one_of("lead", LeadDetailSchema), errors={409: "`conflict`: the lead may not be converted."})
@back_on_error(lambda lead_id: url_for("metaads.lead_detail", lead_id=lead_id))
def lead_convert(lead_id: int) -> t.Any:
    """Any open status → converted: sets converted_at and links (or creates) the lead's Person."""
    lead = load_lead(lead_id, lock=True)
    who = actor()
    change = change_status(lead, LeadStatus.CONVERTED, who.id if who else None)
    commit([change] if change else [])
    message = "Converted." + (" Linked to a Person." if lead.person_id else "")
    return done(message, url_for("metaads.lead_detail", lead_id=lead.id), {"lead": LeadDetailSchema().dump(lead)})


@bp.route("/leads/<int:lead_id>/erase", methods=["GET", "POST"])
@documented(method="GET", answers=one_of("lead", LeadSchema))
@documented(method="POST", answers=one_of("lead", LeadDetailSchema), errors={409: "`already_erased`"})
@back_on_error(lambda lead_id: url_for("metaads.lead_detail", lead_id=lead_id))
def lead_erase(lead_id: int) -> t.Any:
    """GET: the confirmation page. POST: delete the lead's personal data now (keeps an audit entry
    with why: ``reason``, one of ERASE_REASONS; JSON clients that send none mean ``request``)."""
    lead = load_lead(lead_id, lock=request.method == "POST")
    if request.method == "GET":
        return respond("metaads/leads/erase.html", {"lead": LeadSchema().dump(lead)}, lead_obj=lead, reasons=ERASE_REASONS)
    body = request_body()
    reason = body.get("reason") or ("request" if wants_json() else None)
    if reason not in ERASE_REASONS:
        raise APIError(
            400,
            "validation_error",
            "Say why this lead's personal data is deleted.",
            {"fields": {"reason": [f"one of: {', '.join(ERASE_REASONS)}"]}},
        )
    who = actor()
    erase_lead(lead, actor_id=who.id if who else None, reason=reason)
    db.session.commit()
    message = "Personal data deleted. The lead's source and status are kept."
    return done(message, url_for("metaads.lead_detail", lead_id=lead.id), {"lead": LeadDetailSchema().dump(lead)})


# --- many leads -------------------------------------------------------------------------------


@bp.post("/leads/bulk")
@documented(answers=answers.BulkAnswerSchema, body=BulkUpdateSchema, errors={404: "unknown ids", 409: "`conflict`: each refusal"})
@back_on_error(lambda: leads_list_url())
def leads_bulk() -> t.Any:
    """``ids`` (up to 500) and ``status`` and/or ``assigned_to``. Lead by lead: ``results`` says
    of each whether it changed, was already so, or was refused (with its status and the moves it
    allows); 404 for unknown ids, 409 (with each refusal) if no lead may take the status."""
    body = request_body(lists=("ids",))
    if not body.get("ids") and not wants_json():
        raise APIError(400, "validation_error", "Select some leads first: tick the box in front of each lead to change.")
    ids, update = BulkUpdateSchema().load(body)
    outcome = bulk_update(ids, update, actor())
    commit(outcome.changes)
    payload = {
        "leads": LeadSchema(many=True).dump(outcome.leads),
        "count": len(outcome.leads),
        "status_changes": len(outcome.changes),
        "results": outcome.results,
    }
    return done(bulk_message(outcome), leads_list_url(), payload, category="warning" if refused_rows(outcome) else "success")


def refused_rows(outcome: BulkOutcome) -> list[dict[str, t.Any]]:
    return [row for row in outcome.results if row["result"] == "refused"]


def bulk_message(outcome: BulkOutcome, shown: int = 5) -> str:
    """ "2 leads updated." and, for each lead left as it was, its name and why (the first few)."""
    noun = "lead" if len(outcome.leads) == 1 else "leads"
    message = f"{len(outcome.leads)} {noun} updated."
    refused = refused_rows(outcome)
    if not refused:
        return message
    names = dict(db.session.execute(sa.select(Lead.id, Lead.full_name).where(Lead.id.in_([r["id"] for r in refused]))).all())
    reasons = []
    for row in refused[:shown]:
        who = names.get(row["id"]) or f"Lead {row['id']}"
        reasons.append(f"{who} is {row['status']} (it can become {' or '.join(row['allowed']) or 'nothing else'})")
    more = f"; and {len(refused) - shown} more" if len(refused) > shown else ""
    return f"{message} {len(refused)} left as they were: {'; '.join(reasons)}{more}."


# --- lead forms -------------------------------------------------------------------------------


@bp.get("/lead-forms")
@documented(answers=page_of("lead_forms", LeadFormSchema), query=PagingSchema)
def lead_forms_index() -> t.Any:
    order = (LeadForm.name, LeadForm.id)
    payload, forms = offset_list("lead_forms", sa.select(LeadForm), order, LeadFormSchema(many=True).dump)
    return respond("metaads/lead_forms/index.html", payload, form_rows=forms, page_names=page_names())


@bp.get("/lead-forms/<int:form_id>")
@documented(answers=one_of("lead_form", LeadFormSchema))
def lead_form_detail(form_id: int) -> t.Any:
    form = db.session.get(LeadForm, form_id) or abort(404, description="No such lead form.")
    return respond(
        "metaads/lead_forms/detail.html",
        {"lead_form": LeadFormSchema().dump(form)},
        form_obj=form,
        test_lead=test_lead_status(form),
        page_names=page_names(),
    )
