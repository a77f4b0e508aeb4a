"""What Pages, lead forms and leads expose (§2.1, §3.1)."""

from __future__ import annotations

import typing as t

from metaads.sandbox.errors import GraphError
from metaads.sandbox.fields import NodeType, Ref, register, stored
from metaads.sandbox.ids import iso

if t.TYPE_CHECKING:
    from metaads.sandbox.routing import Call

Obj = dict[str, t.Any]


def retention_start(call: Call) -> int:
    """Leads created before this are gone from Graph (§2.4)."""
    return int(call.state.now() - int(call.state.config["LEAD_RETENTION_DAYS"]) * 86400)


def _page_token(call: Call, page: Obj) -> str | None:
    # Only a person (or system user) with a task on the Page gets its token back.
    if call.token is None or call.token.type not in ("USER", "SYSTEM_USER"):
        return None
    return call.state.seed.page_tokens.get(page["id"])


def _forms_edge(call: Call, page: Obj) -> tuple[str, list[Obj]]:
    return "form", list(reversed(call.state.store.children_of(page["id"], "form")))


register(
    NodeType(
        "page",
        "Page",
        ("name", "id"),
        {
            "id": stored("id"),
            "name": stored("name"),
            "category": stored("category"),
            "category_list": lambda call, obj: [{"id": "2212", "name": obj["category"]}],
            "tasks": stored("tasks"),
            "access_token": _page_token,
            "link": lambda call, obj: f"https://www.facebook.com/{obj['id']}",
        },
        {"leadgen_forms": _forms_edge},
    )
)


def _count(call: Call, form: Obj, which: str) -> int:
    index = call.state.store.form_leads.get(form["id"])
    if index is None:
        return 0
    start, _ = index.bounds(retention_start(call), None)
    if which == "expired":
        return start
    if which == "all":
        return len(index)
    objects = call.state.store.objects
    return sum(1 for _, lead_id in index.keys if objects[str(lead_id)]["ad_id"] is None)


def _legal_content(call: Call, form: Obj) -> dict[str, t.Any]:
    return {"id": form["id"] + "1", "privacy_policy": dict(form["privacy_policy"])}


register(
    NodeType(
        "form",
        "LeadgenForm",
        ("id", "leadgen_export_csv_url", "locale", "name", "status"),
        {
            "id": stored("id"),
            "name": stored("name"),
            "status": stored("status"),
            "locale": stored("locale"),
            "questions": stored("questions"),
            "created_time": lambda call, obj: iso(obj["created"]),
            "page": lambda call, obj: Ref("page", call.state.store.objects[obj["page_id"]]),
            "page_id": stored("page_id"),
            "privacy_policy_url": lambda call, obj: obj["privacy_policy"]["url"],
            "legal_content": _legal_content,
            "follow_up_action_url": stored("follow_up_action_url"),
            "follow_up_action_text": lambda call, obj: obj["thank_you_page"]["button_text"],
            "thank_you_page": stored("thank_you_page"),
            "leads_count": lambda call, obj: _count(call, obj, "all"),
            "expired_leads_count": lambda call, obj: _count(call, obj, "expired"),
            "organic_leads_count": lambda call, obj: _count(call, obj, "organic"),
            "allow_organic_lead": lambda call, obj: True,
            "block_display_for_non_targeted_viewer": lambda call, obj: False,
            "is_optimized_for_quality": lambda call, obj: False,
            "tracking_parameters": lambda call, obj: [],
            "context_card": stored("context_card"),
            "creator": stored("creator"),
            "question_page_custom_headline": stored("question_page_custom_headline"),
            "leadgen_export_csv_url": lambda call, obj: (
                f"https://www.facebook.com/ads/lead_gen/export_csv/?id={obj['id']}&type=form&source_type=graph_api"
            ),
        },
    )
)


def _ad_field(attr: str, of: str) -> t.Callable[[Call, Obj], t.Any]:
    """ad/ad set/campaign id or name of a paid lead; organic leads have none (§2.1)."""

    def get(call: Call, lead: Obj) -> t.Any:
        if not lead["ad_id"]:
            return None
        ad = call.state.store.objects[lead["ad_id"]]
        target = ad if of == "ad" else call.state.store.objects[ad[f"{of}_id"]]
        return target[attr]

    return get


def _no_capability(call: Call, lead: Obj) -> t.Any:
    raise GraphError("(#3) Application does not have the capability to make this API call.", 3)


def _lead_fields() -> dict[str, t.Any]:
    fields: dict[str, t.Any] = {
        "id": stored("id"),
        "created_time": lambda call, obj: iso(obj["created"]),
        "form_id": stored("form_id"),
        "field_data": stored("field_data"),
        "custom_disclaimer_responses": stored("custom_disclaimer_responses"),
        "is_organic": lambda call, obj: obj["ad_id"] is None,
        "platform": stored("platform"),
        "post_submission_check_result": _no_capability,
    }
    for of in ("ad", "adset", "campaign"):
        fields[f"{of}_id"] = _ad_field("id", of)
        fields[f"{of}_name"] = _ad_field("name", of)
    for absent in ("partner_name", "home_listing", "vehicle", "retailer_item_id", "post"):
        fields[absent] = stored(absent)
    return fields


register(NodeType("lead", "UserLeadGenInfo", ("created_time", "id", "field_data"), _lead_fields()))
