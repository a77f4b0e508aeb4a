"""What users, businesses, ad accounts, campaigns, ad sets, ads and creatives expose."""

from __future__ import annotations

import datetime as dt
import typing as t
import zoneinfo

from metaads.sandbox.errors import param_error
from metaads.sandbox.fields import NodeType, Ref, register, stored
from metaads.sandbox.ids import iso

if t.TYPE_CHECKING:
    from metaads.sandbox.routing import Call

Obj = dict[str, t.Any]

CAMPAIGN_EFFECTIVE = ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES"]
ADSET_EFFECTIVE = [*CAMPAIGN_EFFECTIVE, "CAMPAIGN_PAUSED"]
AD_EFFECTIVE = [*ADSET_EFFECTIVE, "ADSET_PAUSED", "PENDING_REVIEW", "DISAPPROVED", "PREAPPROVED", "PENDING_BILLING_INFO"]
EFFECTIVE = {"campaign": CAMPAIGN_EFFECTIVE, "adset": ADSET_EFFECTIVE, "ad": AD_EFFECTIVE}
#: Meta's timezone_id for the zones we know it of; others are left out rather than guessed.
TIMEZONE_IDS = {"America/Los_Angeles": 1}


def money(name: str) -> t.Callable[[Call, Obj], str | None]:
    """Budgets and totals: integers in the currency's minor unit, sent as strings (§0 Money)."""
    return lambda call, obj: None if obj.get(name) is None else str(obj[name])


def when(name: str) -> t.Callable[[Call, Obj], str | None]:
    return lambda call, obj: None if obj.get(name) is None else iso(obj[name])


def ref(kind: str, key: str, prefix: str = "") -> t.Callable[[Call, Obj], Ref | None]:
    def get(call: Call, obj: Obj) -> Ref | None:
        target = call.state.store.get(prefix + str(obj.get(key))) if obj.get(key) else None
        return Ref(kind, target) if target is not None else None

    return get


def chain(call: Call, kind: str, obj: Obj) -> list[Obj]:
    """[campaign, ad set, ad] down to ``obj``."""
    objects = call.state.store.objects
    if kind == "campaign":
        return [obj]
    if kind == "adset":
        return [objects[obj["campaign_id"]], obj]
    return [objects[obj["campaign_id"]], objects[obj["adset_id"]], obj]


def effective_status(call: Call, kind: str, obj: Obj) -> str:
    """A parent's paused/archived/deleted status shows through on its children (§5.2)."""
    statuses = [o["status"] for o in chain(call, kind, obj)]
    for terminal in ("DELETED", "ARCHIVED"):
        if terminal in statuses:
            return terminal
    if obj["status"] == "PAUSED":
        return "PAUSED"
    if kind != "campaign" and statuses[0] == "PAUSED":
        return "CAMPAIGN_PAUSED"
    if kind == "ad" and statuses[1] == "PAUSED":
        return "ADSET_PAUSED"
    return str(obj.get("review_status") or "ACTIVE")


def visible(call: Call, kind: str, objects: list[Obj]) -> list[Obj]:
    """Edge listing rules (§5.1): DELETED never (unless ALLOW_DELETED_FILTER and asked for),
    ARCHIVED only when asked for by effective_status; then ``filtering``/``updated_since``."""
    wanted = _status_filter(call, kind)
    if wanted is None:
        wanted = set(EFFECTIVE[kind]) - {"DELETED", "ARCHIVED"}
    tests = _time_filters(call, kind)
    return [obj for obj in objects if effective_status(call, kind, obj) in wanted and all(test(obj) for test in tests)]


def _rules(call: Call) -> list[Obj]:
    rules = call.json("filtering", []) or []
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise param_error("Param filtering must be an array of {field, operator, value} objects", blame="filtering")
    return rules


def _field_of(rule: Obj, kind: str) -> str:
    """``campaign.updated_time`` and ``updated_time`` name the same thing on a campaign edge."""
    field = str(rule.get("field", ""))
    return field.split(".", 1)[1] if field.startswith(f"{kind}.") else field


def _status_filter(call: Call, kind: str) -> set[str] | None:
    wanted = call.list("effective_status")
    for rule in _rules(call):
        if _field_of(rule, kind) == "effective_status":
            operator = rule.get("operator", "IN")
            if operator not in ("IN", "EQUAL"):
                raise _unsupported_filter(rule)
            values = rule.get("value")
            wanted = list(values) if isinstance(values, list) else [str(values)]
    if wanted is None:
        return None
    for value in wanted:
        if value not in EFFECTIVE[kind]:
            raise param_error(
                f"Param effective_status[0] must be one of {{{', '.join(EFFECTIVE[kind])}}}", blame="effective_status"
            )
    if "DELETED" in wanted and not call.state.config.get("ALLOW_DELETED_FILTER"):
        raise param_error("Filtering on DELETED objects is not supported on this edge", blame="effective_status")
    return set(wanted)


#: Operators Meta takes on time fields, as predicates on (object's time, asked-for time).
TIME_OPERATORS: dict[str, t.Callable[[int, int], bool]] = {
    "GREATER_THAN": lambda have, want: have > want,
    "GREATER_THAN_OR_EQUAL": lambda have, want: have >= want,
    "LESS_THAN": lambda have, want: have < want,
    "LESS_THAN_OR_EQUAL": lambda have, want: have <= want,
    "EQUAL": lambda have, want: have == want,
}
#: Filterable time fields → the stored key.
TIME_FIELDS = {"updated_time": "updated", "created_time": "created"}


def _time_filters(call: Call, kind: str) -> list[t.Callable[[Obj], bool]]:
    """``filtering=[{"field":"<kind>.updated_time","operator":"GREATER_THAN","value":<unix>}]``
    and the older ``updated_since=<unix>`` (ad sets and ads, §5.1); values are Unix seconds."""
    tests: list[t.Callable[[Obj], bool]] = []
    since = call.get("updated_since")
    if since is not None:
        if not since.isdigit():
            raise param_error("Param updated_since must be a Unix timestamp", blame="updated_since")
        tests.append(_updated_after(int(since)))
    for rule in _rules(call):
        field = _field_of(rule, kind)
        if field == "effective_status":
            continue
        predicate = TIME_OPERATORS.get(str(rule.get("operator")))
        if field not in TIME_FIELDS or predicate is None:
            raise _unsupported_filter(rule)
        try:
            want = int(float(rule.get("value")))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise param_error(f"Filtering value for {rule.get('field')} must be a Unix timestamp", blame="filtering") from None
        key = TIME_FIELDS[field]
        tests.append(_time_test(key, predicate, want))
    return tests


# Factories rather than lambdas in the loop: each test gets its own values (no late binding).
def _updated_after(since: int) -> t.Callable[[Obj], bool]:
    return lambda obj: obj["updated"] > since


def _time_test(key: str, predicate: t.Callable[[int, int], bool], want: int) -> t.Callable[[Obj], bool]:
    return lambda obj: predicate(int(obj[key]), want)


def _unsupported_filter(rule: Obj) -> t.Any:
    return param_error(
        f"Filtering field '{rule.get('field')}' with operation '{rule.get('operator')}' is not supported",
        blame="filtering",
    )


def _edge(kind: str) -> t.Callable[[Call, Obj], tuple[str, list[Obj]]]:
    def lister(call: Call, parent: Obj) -> tuple[str, list[Obj]]:
        return kind, visible(call, kind, call.state.store.children_of(parent["id"], kind))

    return lister


def _timezone_offset(call: Call, obj: Obj) -> float:
    now = dt.datetime.fromtimestamp(call.state.now(), zoneinfo.ZoneInfo(obj["timezone_name"]))
    offset = now.utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0


def _creative_image(call: Call, obj: Obj) -> str | None:
    """Where Meta hosts the creative's image: a copy of the ``picture`` it was made from, or the
    uploaded image of its ``image_hash``, on Meta's CDN; ``None`` for a creative without one."""
    link = (obj.get("object_story_spec") or {}).get("link_data") or {}
    if link.get("image_hash"):
        return f"https://scontent.sandbox.fbcdn.net/v/t45.1600-4/{link['image_hash']}_n.jpg"
    if link.get("picture") or obj.get("image_url"):
        return f"https://scontent.sandbox.fbcdn.net/v/t45.1600-4/{obj['id']}_n.jpg"
    return None


def _business_name(call: Call, obj: Obj) -> str | None:
    business = call.state.store.get(obj.get("business_id", ""))
    return business["name"] if business else None


register(NodeType("user", "User", ("name", "id"), {"id": stored("id"), "name": stored("name")}))
register(NodeType("business", "Business", ("name", "id"), {"id": stored("id"), "name": stored("name")}))

register(
    NodeType(
        "adaccount",
        "AdAccount",
        ("account_id", "id"),
        {
            "id": stored("id"),
            "account_id": stored("account_id"),
            "name": stored("name"),
            "currency": stored("currency"),
            "timezone_name": stored("timezone_name"),
            "timezone_id": lambda call, obj: TIMEZONE_IDS.get(obj["timezone_name"]),
            "timezone_offset_hours_utc": _timezone_offset,
            "business_name": _business_name,
            "business": ref("business", "business_id"),
            "account_status": stored("account_status"),
            "disable_reason": stored("disable_reason"),
            "amount_spent": money("amount_spent"),
            "spend_cap": money("spend_cap"),
            "balance": money("balance"),
            "min_daily_budget": stored("min_daily_budget"),
            "created_time": when("created"),
            "age": lambda call, obj: round((call.state.now() - obj["created"]) / 86400, 2),
            "is_prepay_account": stored("is_prepay_account"),
            "capabilities": lambda call, obj: [],
            "user_tasks": lambda call, obj: ["MANAGE", "ADVERTISE", "ANALYZE"],
        },
        {"campaigns": _edge("campaign"), "adsets": _edge("adset"), "ads": _edge("ad")},
    )
)

_COMMON = {
    "id": stored("id"),
    "account_id": stored("account_id"),
    "name": stored("name"),
    "status": stored("status"),
    "configured_status": stored("status"),
    "daily_budget": money("daily_budget"),
    "lifetime_budget": money("lifetime_budget"),
    "budget_remaining": lambda call, obj: str(obj.get("daily_budget") or obj.get("lifetime_budget") or 0),
    "bid_strategy": stored("bid_strategy"),
    "created_time": when("created"),
    "updated_time": when("updated"),
    "start_time": when("start"),
}

register(
    NodeType(
        "campaign",
        "Campaign",
        ("id",),
        {
            **_COMMON,
            "effective_status": lambda call, obj: effective_status(call, "campaign", obj),
            "objective": stored("objective"),
            "buying_type": stored("buying_type"),
            "special_ad_categories": stored("special_ad_categories"),
            "special_ad_category": lambda call, obj: (obj["special_ad_categories"] or ["NONE"])[0],
            "spend_cap": money("spend_cap"),
            "stop_time": when("stop"),
            "is_adset_budget_sharing_enabled": stored("is_adset_budget_sharing_enabled"),
            "issues_info": lambda call, obj: [],
        },
        {"adsets": _edge("adset"), "ads": _edge("ad")},
    )
)

register(
    NodeType(
        "adset",
        "AdSet",
        ("id",),
        {
            **_COMMON,
            "effective_status": lambda call, obj: effective_status(call, "adset", obj),
            "campaign_id": stored("campaign_id"),
            "campaign": ref("campaign", "campaign_id"),
            "billing_event": stored("billing_event"),
            "optimization_goal": stored("optimization_goal"),
            "bid_amount": stored("bid_amount"),
            "targeting": stored("targeting"),
            "promoted_object": stored("promoted_object"),
            "destination_type": stored("destination_type"),
            "end_time": when("end"),
        },
        {"ads": _edge("ad")},
    )
)

register(
    NodeType(
        "ad",
        "Ad",
        ("id",),
        {
            "id": stored("id"),
            "account_id": stored("account_id"),
            "name": stored("name"),
            "status": stored("status"),
            "configured_status": stored("status"),
            "effective_status": lambda call, obj: effective_status(call, "ad", obj),
            "campaign_id": stored("campaign_id"),
            "adset_id": stored("adset_id"),
            "campaign": ref("campaign", "campaign_id"),
            "adset": ref("adset", "adset_id"),
            "creative": ref("creative", "creative_id"),
            "preview_shareable_link": lambda call, obj: f"https://fb.me/adpreview{obj['id']}",
            "created_time": when("created"),
            "updated_time": when("updated"),
        },
    )
)

register(
    NodeType(
        "creative",
        "AdCreative",
        ("id",),
        {
            "id": stored("id"),
            "account_id": stored("account_id"),
            "name": stored("name"),
            "status": stored("status"),
            "object_story_spec": stored("object_story_spec"),
            "object_story_id": stored("object_story_id"),
            "image_url": _creative_image,
            "thumbnail_url": lambda call, obj: f"https://scontent.sandbox.fbcdn.net/v/t45/{obj['id']}_p64x64.jpg",
            "call_to_action_type": lambda call, obj: (
                (obj.get("object_story_spec") or {}).get("link_data", {}).get("call_to_action", {}).get("type")
            ),
        },
    )
)
