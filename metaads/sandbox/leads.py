"""Lead forms and leads: ``/leadgen_forms``, ``/leads`` with ``filtering``, test leads (§2, §3)."""

from __future__ import annotations

import typing as t

from metaads.sandbox.accounts import render_page
from metaads.sandbox.errors import GraphError, missing_param, param_error
from metaads.sandbox.fields import render
from metaads.sandbox.leadgen import STANDARD_KEYS, normalize_field_data, question, test_answers
from metaads.sandbox.nodes_leads import retention_start
from metaads.sandbox.paging import START, decode_cursor, empty_page, page_limit, paging_block
from metaads.sandbox.routing import Call, require_enum, route, success
from metaads.sandbox.store import LeadIndex

Obj = dict[str, t.Any]
LEADS = "leads_retrieval"
FORMS = "pages_manage_ads|leads_retrieval"
FORM_STATUSES = ["ACTIVE", "ARCHIVED", "DELETED", "DRAFT"]
#: operator → (bound it sets, offset): lo is inclusive, hi exclusive (§2.3).
OPERATORS = {
    "GREATER_THAN": ("lo", 1),
    "GREATER_THAN_OR_EQUAL": ("lo", 0),
    "LESS_THAN": ("hi", 0),
    "LESS_THAN_OR_EQUAL": ("hi", 1),
}


def _spend_leadgen(call: Call) -> None:
    node = call.node or {}
    call.spend("leadgen", str(node.get("page_id") or node["id"]))


@route("page", "leadgen_forms", "GET", auth="page", scope=FORMS)
def list_forms(call: Call) -> Obj:
    call.spend("pages", call.node_id)
    forms = [f for f in call.state.store.children_of(call.node_id, "form") if f["status"] != "DELETED"]
    return render_page(call, "form", list(reversed(forms)))


@route("page", "leadgen_forms", "POST", auth="page", scope="pages_manage_ads")
def create_form(call: Call) -> Obj:
    call.spend("pages", call.node_id)
    name = call.require("name")
    raw = call.json("questions")
    if not isinstance(raw, list) or not raw:
        raise missing_param("questions")
    policy = call.json("privacy_policy")
    if not isinstance(policy, dict) or not policy.get("url"):
        raise missing_param("privacy_policy")
    questions = [_question(call, q) for q in raw]
    form = {
        "id": call.state.ids.next("form"),
        "name": name,
        "page_id": call.node_id,
        "status": "ACTIVE",
        "locale": call.get("locale", "en_US"),
        "questions": questions,
        "created": int(call.state.now()),
        "privacy_policy": {"url": policy["url"], "link_text": policy.get("link_text", "Privacy policy")},
        "follow_up_action_url": call.get("follow_up_action_url"),
        "thank_you_page": call.json("thank_you_page") or {"title": "Thanks", "button_text": "Done"},
        "disclaimer_checkboxes": [],
    }
    call.state.store.add("form", form, [call.node_id])
    return {"id": form["id"]}


def _question(call: Call, raw: t.Any) -> Obj:
    if not isinstance(raw, dict) or not raw.get("type"):
        raise param_error("Each question needs a type", blame="questions")
    qtype = str(raw["type"]).upper()
    label = raw.get("label") or qtype.replace("_", " ").capitalize()
    if qtype not in STANDARD_KEYS and not raw.get("label") and not raw.get("key"):
        raise param_error("Custom questions need a label", blame="questions")
    options = [(str(o.get("key") or o["value"]), str(o["value"])) for o in raw.get("options") or []]
    return question(qtype, label, key=raw.get("key"), options=options or None, qid=call.state.ids.next("question"))


@route("form", None, "GET", scope=FORMS)
def read_form(call: Call) -> Obj:
    _spend_leadgen(call)
    return render(call, "form", call.node or {}, call.fields())


@route("form", None, "POST", scope="pages_manage_ads")
def update_form(call: Call) -> Obj:
    extra = set(call.params) - {"status", "fields"}
    if extra:
        raise param_error(f"Lead forms can't be edited, only their status (got {sorted(extra)[0]})", blame=sorted(extra)[0])
    (call.node or {})["status"] = require_enum(call, "status", call.require("status"), FORM_STATUSES)
    return success()


def time_window(call: Call) -> tuple[int, int | None]:
    """[lo, hi) from ``filtering`` on ``time_created``; never older than retention."""
    lo, hi = retention_start(call), None
    rules = call.json("filtering", [])
    if not isinstance(rules, list):
        raise param_error("Param filtering must be an array", blame="filtering")
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("field") != "time_created":
            field = rule.get("field") if isinstance(rule, dict) else rule
            raise param_error(f"Filtering field {field} is not supported on this edge", blame="filtering")
        operator = rule.get("operator")
        if operator not in OPERATORS:
            raise param_error(f"Param filtering[0][operator] must be one of {{{', '.join(OPERATORS)}}}", blame="filtering")
        try:
            value = int(str(rule.get("value")))
        except ValueError:
            raise param_error("Param filtering[0][value] must be a Unix timestamp", blame="filtering") from None
        bound, offset = OPERATORS[operator]
        if bound == "lo":
            lo = max(lo, value + offset)
        else:
            hi = value + offset if hi is None else min(hi, value + offset)
    return lo, hi


def _cursor_key(cursor: str) -> tuple[int, int] | None:
    raw = decode_cursor(cursor)
    if raw == START:
        return None
    try:
        ts, lead_id = raw.split(":")
        return int(ts), int(lead_id)
    except ValueError:
        raise GraphError("(#100) Invalid cursor", 100) from None


def lead_page(call: Call, index: LeadIndex, path: str) -> Obj:
    """Newest first, two bisects per page however many leads the form has."""
    injected = empty_page(call, path, call.params)
    if injected is not None:
        return injected
    limit = page_limit(call, call.params)
    start, stop = index.bounds(*time_window(call))
    window_start, window_stop = start, stop
    if call.get("after") and (key := _cursor_key(str(call.get("after")))) is not None:
        stop = min(stop, index.position(key))
    if call.get("before") and (key := _cursor_key(str(call.get("before")))) is not None:
        start = max(start, index.position(key) + 1)
        stop = min(stop, start + limit)
    first = max(start, stop - limit)
    keys = index.keys[first:stop][::-1]
    objects = call.state.store.objects
    rows = [objects[str(lead_id)] for _, lead_id in keys]
    label = [f"{ts}:{lead_id}" for ts, lead_id in keys]
    specs = call.fields()  # parsed once for the page, not once per lead
    page: Obj = {"data": [render(call, "lead", row, specs) for row in rows]}
    page["paging"] = paging_block(
        call,
        path,
        call.params,
        label[0] if label else None,
        label[-1] if label else None,
        first > window_start,
        stop < window_stop,
    )
    if call.get("summary") in ("true", "1"):
        page["summary"] = {"total_count": window_stop - window_start}
    return page


@route("form", "leads", "GET", scope=LEADS)
def form_leads(call: Call) -> Obj:
    _spend_leadgen(call)
    return lead_page(call, call.state.store.form_leads[call.node_id], call.path)


@route("ad", "leads", "GET", scope=LEADS)
def ad_leads(call: Call) -> Obj:
    node = call.node or {}
    call.spend("ads_management", node["account_id"], node["account_id"])
    return lead_page(call, call.state.store.ad_leads[call.node_id], call.path)


@route("lead", None, "GET", scope=LEADS)
def read_lead(call: Call) -> Obj:
    _spend_leadgen(call)
    return render(call, "lead", call.node or {}, call.fields())


@route("lead", None, "DELETE", scope=LEADS)
def delete_lead(call: Call) -> Obj:
    _spend_leadgen(call)
    call.state.delete_lead(call.node_id)
    return success()


def _live_test_lead(call: Call, form_id: str) -> Obj | None:
    lead = call.state.store.objects.get(call.state.test_leads.get(form_id, ""))
    return lead if lead is not None and not lead["deleted"] else None


@route("form", "test_leads", "POST", scope=FORMS)
def create_test_lead(call: Call) -> Obj:
    _spend_leadgen(call)
    form = call.node or {}
    if _live_test_lead(call, form["id"]) is not None:
        # One live test lead per form (§2.4); message wording is a guess.
        raise param_error("A test lead already exists for this form. Delete it before creating a new one.")
    raw = call.json("field_data")
    field_data = normalize_field_data(raw) if raw else test_answers(form["questions"])
    disclaimers = [
        {"checkbox_key": str(d.get("checkbox_key")), "is_checked": "1" if d.get("is_checked") else "0"}
        for d in call.json("custom_disclaimer_responses", []) or []
    ]
    lead = call.state.new_lead(form, field_data, int(call.state.now()), None, "fb", disclaimers or None, is_test=True)
    call.state.store.add_lead(lead)
    call.state.test_leads[form["id"]] = lead["id"]
    call.state.notify_in_background([lead["id"]])
    return {"id": lead["id"]}


@route("form", "test_leads", "GET", scope=FORMS)
def list_test_leads(call: Call) -> Obj:
    _spend_leadgen(call)
    lead = _live_test_lead(call, call.node_id)
    return render_page(call, "lead", [lead] if lead else [])
