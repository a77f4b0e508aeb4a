"""Campaign, ad set, ad and creative routes: list, read, create, update, delete (§5)."""

from __future__ import annotations

import typing as t

from metaads.sandbox import ads_validation as rules
from metaads.sandbox.accounts import ADS_READ, render_page
from metaads.sandbox.errors import missing_param, param_error, unsupported
from metaads.sandbox.fields import render
from metaads.sandbox.nodes_ads import visible
from metaads.sandbox.routing import Call, route, success

Obj = dict[str, t.Any]
AD_KINDS = ("campaign", "adset", "ad", "creative")


def _account_of(call: Call) -> Obj:
    node = call.node or {}
    account_id = node["id"] if call.kind == "adaccount" else "act_" + node["account_id"]
    account = call.state.store.objects[account_id]
    call.spend("ads_management", account["account_id"], account["account_id"])
    return account


def _listing(kind: str) -> t.Callable[[Call], Obj]:
    def handler(call: Call) -> Obj:
        _account_of(call)
        children = call.state.store.children_of(call.node_id, kind)
        rows = children if kind == "creative" else visible(call, kind, children)
        return render_page(call, kind, list(reversed(rows)))

    return handler


for _parent, _edge, _kind in [
    ("adaccount", "campaigns", "campaign"),
    ("adaccount", "adsets", "adset"),
    ("adaccount", "ads", "ad"),
    ("adaccount", "adcreatives", "creative"),
    ("campaign", "adsets", "adset"),
    ("campaign", "ads", "ad"),
    ("adset", "ads", "ad"),
]:
    route(_parent, _edge, "GET", scope=ADS_READ)(_listing(_kind))


@route("campaign", None, "GET", scope=ADS_READ)
@route("adset", None, "GET", scope=ADS_READ)
@route("ad", None, "GET", scope=ADS_READ)
@route("creative", None, "GET", scope=ADS_READ)
def read_ad_object(call: Call) -> Obj:
    _account_of(call)
    assert call.kind is not None and call.node is not None
    return render(call, call.kind, call.node, call.fields())


def _created(call: Call, kind: str, obj: Obj) -> Obj:
    """``{"id": ...}``, plus the fields asked for: create edges are read-after-write (§0)."""
    if call.get("fields"):
        return render(call, kind, obj, call.fields())
    return {"id": obj["id"]}


def _validate_only(call: Call) -> bool:
    return "validate_only" in (call.list("execution_options") or [])


@route("adaccount", "campaigns", "POST", scope="ads_management")
def create_campaign(call: Call) -> Obj:
    account = _account_of(call)
    params = rules.campaign_params(call, account)
    if _validate_only(call):
        return success()
    now = int(call.state.now())
    campaign = {
        "id": call.state.ids.next("campaign"),
        "account_id": account["account_id"],
        "created": now,
        "updated": now,
        **params,
    }
    campaign["start"] = campaign["start"] or now
    call.state.store.add("campaign", campaign, [account["id"]])
    return _created(call, "campaign", campaign)


def _live(call: Call, object_id: str | None, kind: str, account: Obj, param: str) -> Obj:
    if object_id is None:
        raise missing_param(param)
    obj = call.state.store.get(object_id, kind)
    if obj is None or obj["account_id"] != account["account_id"] or obj["status"] == "DELETED":
        raise param_error(f"Param {param} must be an id of a {kind} in this ad account", blame=param)
    return obj


@route("adaccount", "adsets", "POST", scope="ads_management")
def create_adset(call: Call) -> Obj:
    account = _account_of(call)
    campaign = _live(call, call.get("campaign_id"), "campaign", account, "campaign_id")
    params = rules.adset_params(call, account, campaign)
    if _validate_only(call):
        return success()
    now = int(call.state.now())
    adset = {
        "id": call.state.ids.next("adset"),
        "account_id": account["account_id"],
        "campaign_id": campaign["id"],
        "created": now,
        "updated": now,
        **params,
    }
    call.state.store.add("adset", adset, [account["id"], campaign["id"]])
    return _created(call, "adset", adset)


def _creative_for(call: Call, account: Obj) -> Obj:
    spec = call.json("creative")
    if not isinstance(spec, dict):
        raise missing_param("creative")
    if spec.get("creative_id"):
        return _live(call, str(spec["creative_id"]), "creative", account, "creative")
    story = spec.get("object_story_spec")
    if not isinstance(story, dict):
        raise param_error("Param creative must have creative_id or object_story_spec", blame="creative")
    rules.check_lead_form(call, story)
    if _validate_only(call):
        return {"id": None, "object_story_spec": story}  # checked, not stored: nothing is created
    return call.state.add_creative(
        account["account_id"],
        str(spec.get("name") or "Creative"),
        str(story.get("page_id", "")),
        None,
        created=int(call.state.now()),
        spec=story,
    )


def form_of(creative: Obj) -> str | None:
    """The instant form a creative's call to action opens, if any (§5.6)."""
    cta = (creative.get("object_story_spec") or {}).get("link_data", {}).get("call_to_action", {})
    value = cta.get("value") or {}
    return str(value["lead_gen_form_id"]) if value.get("lead_gen_form_id") else None


@route("adaccount", "ads", "POST", scope="ads_management")
def create_ad(call: Call) -> Obj:
    account = _account_of(call)
    name = call.require("name")
    adset = _live(call, call.get("adset_id"), "adset", account, "adset_id")
    creative = _creative_for(call, account)
    status = rules.optional_enum(call, "status", rules.CREATE_STATUSES, "ACTIVE")
    campaign = call.state.store.objects[adset["campaign_id"]]
    rules.check_ad_creative(adset, campaign, creative, form_of(creative))
    if _validate_only(call):
        return success()
    now = int(call.state.now())
    ad = {
        "id": call.state.ids.next("ad"),
        "account_id": account["account_id"],
        "campaign_id": adset["campaign_id"],
        "adset_id": adset["id"],
        "name": name,
        "status": status,
        "creative_id": creative["id"],
        "form_id": form_of(creative),
        "created": now,
        "updated": now,
        "delivery_end": None,
    }
    call.state.store.add("ad", ad, [account["id"], adset["campaign_id"], adset["id"]])
    return _created(call, "ad", ad)


@route("adaccount", "adcreatives", "POST", scope="ads_management")
def create_creative(call: Call) -> Obj:
    account = _account_of(call)
    story, story_id = call.json("object_story_spec"), call.get("object_story_id")
    if story is None and story_id is None:
        raise missing_param("object_story_spec")
    if story is not None and not isinstance(story, dict):
        raise param_error("Param object_story_spec must be an object", blame="object_story_spec")
    if story:
        rules.check_lead_form(call, story)
    if _validate_only(call):
        return success()
    page_id = str((story or {}).get("page_id") or (story_id or "_").split("_")[0])
    creative = call.state.add_creative(
        account["account_id"], call.get("name") or "Creative", page_id, None, created=int(call.state.now()), spec=story
    )
    if story_id:
        creative["object_story_id"] = story_id
    return _created(call, "creative", creative)


@route("campaign", None, "POST", scope="ads_management")
@route("adset", None, "POST", scope="ads_management")
@route("ad", None, "POST", scope="ads_management")
def update_ad_object(call: Call) -> Obj:
    account = _account_of(call)
    kind, obj = str(call.kind), call.node or {}
    if obj["status"] == "DELETED":
        raise unsupported("post", obj["id"])
    rules.check_update(call, kind, obj)
    changes: Obj = {}
    if kind in ("campaign", "adset"):
        changes.update(_budget_change(call, kind, obj, account))
    for name in ("name", "status", "bid_strategy"):
        if call.get(name) is not None:
            changes[name] = call.get(name)
    if kind == "adset":
        for name in ("targeting",):
            if call.get(name) is not None:
                changes[name] = call.json(name)
        if call.get("end_time") is not None:
            changes["end"] = rules.time_param(call, "end_time")
        if call.get("bid_amount") is not None:
            changes["bid_amount"] = int(str(call.get("bid_amount")))
    if not _validate_only(call):
        obj.update(changes, updated=int(call.state.now()))
    return success()


def _budget_change(call: Call, kind: str, obj: Obj, account: Obj) -> Obj:
    money = rules.budgets(call, account)
    if not money:
        return {}
    store = call.state.store
    if kind == "adset" and rules.has_budget(store.objects[obj["campaign_id"]]):
        raise rules.marketing_error(
            1885621,
            "Campaign budget already set",
            "This campaign uses a campaign budget, so its ad sets can't have budgets.",
            next(iter(money)),
        )
    if kind == "campaign" and any(rules.has_budget(a) for a in store.children_of(obj["id"], "adset")):
        raise rules.marketing_error(
            1885621,
            "Ad set budgets already set",
            "Remove the ad set budgets before setting a campaign budget.",
            next(iter(money)),
        )
    other = "lifetime_budget" if "daily_budget" in money else "daily_budget"
    return {**money, other: None}


@route("campaign", None, "DELETE", scope="ads_management")
@route("adset", None, "DELETE", scope="ads_management")
@route("ad", None, "DELETE", scope="ads_management")
def delete_ad_object(call: Call) -> Obj:
    _account_of(call)
    obj = call.node or {}
    obj.update(status="DELETED", updated=int(call.state.now()))  # DELETE ≡ status=DELETED (§5.2)
    return success()
