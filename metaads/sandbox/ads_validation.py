"""The create/update rules Meta enforces on campaigns, ad sets and ads (§5.3-§5.8)."""

from __future__ import annotations

import typing as t

from metaads.sandbox.config import currency_offset, version_number
from metaads.sandbox.errors import GraphError, missing_param, param_error
from metaads.sandbox.ids import parse_time
from metaads.sandbox.routing import Call, require_enum

Obj = dict[str, t.Any]

ODAX = ["OUTCOME_APP_PROMOTION", "OUTCOME_AWARENESS", "OUTCOME_ENGAGEMENT", "OUTCOME_LEADS", "OUTCOME_SALES", "OUTCOME_TRAFFIC"]
LEGACY_OBJECTIVES = [
    "APP_INSTALLS",
    "BRAND_AWARENESS",
    "CONVERSIONS",
    "EVENT_RESPONSES",
    "LEAD_GENERATION",
    "LINK_CLICKS",
    "LOCAL_AWARENESS",
    "MESSAGES",
    "OFFER_CLAIMS",
    "PAGE_LIKES",
    "POST_ENGAGEMENT",
    "PRODUCT_CATALOG_SALES",
    "REACH",
    "STORE_VISITS",
    "VIDEO_VIEWS",
]
SPECIAL_AD_CATEGORIES = [
    "NONE",
    "CREDIT",
    "EMPLOYMENT",
    "HOUSING",
    "ISSUES_ELECTIONS_POLITICS",
    "FINANCIAL_PRODUCTS_SERVICES",
    "ONLINE_GAMBLING_AND_GAMING",
]
CREATE_STATUSES = ["ACTIVE", "PAUSED"]
UPDATE_STATUSES = ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"]
BID_STRATEGIES = ["LOWEST_COST_WITHOUT_CAP", "LOWEST_COST_WITH_BID_CAP", "COST_CAP", "LOWEST_COST_WITH_MIN_ROAS"]
NEEDS_BID_AMOUNT = {"LOWEST_COST_WITH_BID_CAP", "COST_CAP"}
BUYING_TYPES = ["AUCTION", "RESERVED"]
BILLING_EVENTS = [
    "APP_INSTALLS",
    "CLICKS",
    "IMPRESSIONS",
    "LINK_CLICKS",
    "LISTING_INTERACTION",
    "NONE",
    "OFFER_CLAIMS",
    "PAGE_LIKES",
    "POST_ENGAGEMENT",
    "PURCHASE",
    "THRUPLAY",
]
OPTIMIZATION_GOALS = (
    "ADVERTISER_SILOED_VALUE AD_RECALL_LIFT APP_INSTALLS APP_INSTALLS_AND_OFFSITE_CONVERSIONS "
    "AUTOMATIC_OBJECTIVE CONVERSATIONS DERIVED_EVENTS ENGAGED_PAGE_VIEWS ENGAGED_USERS EVENT_RESPONSES "
    "IMPRESSIONS IN_APP_VALUE LANDING_PAGE_VIEWS LEAD_GENERATION LINK_CLICKS MEANINGFUL_CALL_ATTEMPT "
    "MESSAGING_APPOINTMENT_CONVERSION MESSAGING_DEEP_CONVERSATION_AND_FOLLOW MESSAGING_PURCHASE_CONVERSION "
    "NONE OFFSITE_CONVERSIONS PAGE_LIKES POST_ENGAGEMENT PROFILE_AND_PAGE_ENGAGEMENT PROFILE_VISIT "
    "QUALITY_CALL QUALITY_LEAD REACH REMINDERS_SET SUBSCRIBERS THRUPLAY VALUE VISIT_INSTAGRAM_PROFILE"
).split()
DESTINATION_TYPES = (
    "APP APPLINKS_AUTOMATIC FACEBOOK FACEBOOK_LIVE FACEBOOK_PAGE IMAGINE INSTAGRAM_DIRECT INSTAGRAM_LIVE "
    "INSTAGRAM_PROFILE INSTAGRAM_PROFILE_AND_FACEBOOK_PAGE MESSAGING_INSTAGRAM_DIRECT_MESSENGER "
    "MESSAGING_INSTAGRAM_DIRECT_MESSENGER_WHATSAPP MESSAGING_INSTAGRAM_DIRECT_WHATSAPP "
    "MESSAGING_MESSENGER_WHATSAPP MESSENGER ON_AD ON_EVENT ON_PAGE ON_POST ON_VIDEO SHOP_AUTOMATIC "
    "WEBSITE WHATSAPP"
).split()


def marketing_error(subcode: int | None, title: str, msg: str, blame: str | None = None) -> GraphError:
    """Marketing API errors: a generic message, the detail in error_user_title/msg (§9.1)."""
    return param_error("Invalid parameter", subcode=subcode, blame=blame, user_title=title, user_msg=msg)


def optional_enum(call: Call, name: str, allowed: list[str], default: str | None = None) -> str | None:
    value = call.get(name, default)
    return None if value is None else require_enum(call, name, value, allowed)


def time_param(call: Call, name: str) -> int | None:
    value = call.get(name)
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise param_error(f"Param {name} must be a valid timestamp", blame=name) from None


def budgets(call: Call, account: Obj) -> dict[str, int]:
    """Validated daily/lifetime budgets in minor units (never both, never below the minimum)."""
    out: dict[str, int] = {}
    for name in ("daily_budget", "lifetime_budget"):
        raw = call.get(name)
        if raw is None:
            continue
        if not raw.isdigit():
            raise param_error(f"Param {name} must be an integer number of the currency's minimum unit", blame=name)
        out[name] = int(raw)
    if len(out) == 2:
        raise marketing_error(
            None, "Only one budget allowed", "Set either a daily budget or a lifetime budget, not both.", "daily_budget"
        )
    minimum = int(account["min_daily_budget"])
    for name, value in out.items():
        if value < minimum:
            major = minimum / currency_offset(account["currency"])
            raise marketing_error(
                1885272, "Your Budget Is Too Low", f"The minimum budget is {major:g} {account['currency']}.", name
            )
    return out


def campaign_params(call: Call, account: Obj) -> Obj:
    """Everything POST /act_{id}/campaigns needs, validated in Meta's order of complaints."""
    name = call.require("name")
    objective = call.require("objective")
    if objective in LEGACY_OBJECTIVES:
        raise param_error(f"Objective {objective} is invalid. Use one of: {', '.join(ODAX)}.", blame="objective")
    require_enum(call, "objective", objective, ODAX)
    categories = call.list("special_ad_categories")
    if categories is None:
        raise missing_param("special_ad_categories")
    for category in categories:
        require_enum(call, "special_ad_categories", category, SPECIAL_AD_CATEGORIES)
    money = budgets(call, account)
    sharing = call.get("is_adset_budget_sharing_enabled")
    if not money and sharing is None and version_number(call.version) >= int(call.state.config["BUDGET_SHARING_FLAG_FROM"]):
        raise marketing_error(
            int(call.state.config["BUDGET_SHARING_SUBCODE"]),
            "Must specify True or False in is_adset_budget_sharing_enabled field",
            "A campaign without campaign budget must say whether its ad sets may share budget.",
            "is_adset_budget_sharing_enabled",
        )
    return {
        "name": name,
        "objective": objective,
        "special_ad_categories": [c for c in categories if c != "NONE"],
        "status": optional_enum(call, "status", CREATE_STATUSES, "ACTIVE"),
        "buying_type": optional_enum(call, "buying_type", BUYING_TYPES, "AUCTION"),
        "bid_strategy": optional_enum(call, "bid_strategy", BID_STRATEGIES, "LOWEST_COST_WITHOUT_CAP"),
        "is_adset_budget_sharing_enabled": None if sharing is None else sharing.lower() in ("1", "true"),
        "start": time_param(call, "start_time"),
        "stop": time_param(call, "stop_time"),
        "spend_cap": int(call.get("spend_cap") or 0) or None,
        **money,
    }


def has_budget(obj: Obj) -> bool:
    return bool(obj.get("daily_budget") or obj.get("lifetime_budget"))


def adset_params(call: Call, account: Obj, campaign: Obj) -> Obj:
    name = call.require("name")
    money = budgets(call, account)
    if money and has_budget(campaign):
        raise marketing_error(
            1885621,
            "Campaign budget already set",
            "This campaign uses a campaign budget, so its ad sets can't have budgets.",
            next(iter(money)),
        )
    if not money and not has_budget(campaign):
        raise marketing_error(
            None, "Budget required", "Set a daily_budget or lifetime_budget on the ad set or on its campaign.", "daily_budget"
        )
    end = time_param(call, "end_time")
    if "lifetime_budget" in money and end is None:
        raise marketing_error(None, "End time required", "An ad set with a lifetime budget needs an end_time.", "end_time")
    billing = call.require("billing_event")
    require_enum(call, "billing_event", billing, BILLING_EVENTS)
    targeting = call.json("targeting")
    if not isinstance(targeting, dict):
        raise missing_param("targeting")
    if not targeting.get("geo_locations"):
        raise param_error("Targeting spec must include geo_locations", blame="targeting")
    _check_advantage_audience(call, targeting)
    strategy = optional_enum(call, "bid_strategy", BID_STRATEGIES) or campaign.get("bid_strategy")
    if strategy in NEEDS_BID_AMOUNT and call.get("bid_amount") is None:
        raise missing_param("bid_amount")
    destination = optional_enum(call, "destination_type", DESTINATION_TYPES)
    promoted = _promoted_object(call, campaign, destination)
    goal = optional_enum(call, "optimization_goal", OPTIMIZATION_GOALS)
    _check_lead_goal(campaign, destination, goal)
    return {
        "name": name,
        "billing_event": billing,
        "targeting": targeting,
        "bid_strategy": strategy,
        "optimization_goal": goal,
        "bid_amount": int(call.get("bid_amount") or 0) or None,
        "destination_type": destination,
        "promoted_object": promoted,
        "status": optional_enum(call, "status", CREATE_STATUSES, "ACTIVE"),
        "start": time_param(call, "start_time") or int(call.state.now()),
        "end": end,
        **money,
    }


def _check_advantage_audience(call: Call, targeting: Obj) -> None:
    """From v23 a new ad set must say ``targeting_automation.advantage_audience`` 0 or 1
    (ads-insights.md §5, D-AUD; the subcode and wording are from third-party reports)."""
    if version_number(call.version) < int(call.state.config["ADVANTAGE_AUDIENCE_FROM"]):
        return
    automation = targeting.get("targeting_automation")
    flag = automation.get("advantage_audience") if isinstance(automation, dict) else None
    if flag not in (0, 1, "0", "1", True, False):
        raise marketing_error(
            int(call.state.config["ADVANTAGE_AUDIENCE_SUBCODE"]),
            "Advantage Audience Flag Required",
            "To save your audience, you'll need to either enable or disable the Advantage audience feature. "
            "Please set the advantage_audience flag to either 1 or 0 within the targeting_automation field "
            "in the targeting spec.",
            "targeting",
        )


#: Optimisation goals an instant-form lead ad set may use (ads-insights.md §5 lead chain).
LEAD_GOALS = {"LEAD_GENERATION", "QUALITY_LEAD"}


def is_lead_adset(campaign: Obj, destination: str | None) -> bool:
    return campaign["objective"] == "OUTCOME_LEADS" and destination in (None, "ON_AD")


def _check_lead_goal(campaign: Obj, destination: str | None, goal: str | None) -> None:
    if is_lead_adset(campaign, destination) and goal not in LEAD_GOALS:
        raise marketing_error(
            None,
            "Optimization goal not available",
            "An instant-form lead ad set (destination_type=ON_AD) needs optimization_goal LEAD_GENERATION or QUALITY_LEAD.",
            "optimization_goal",
        )


def check_lead_form(call: Call, story: Obj) -> None:
    """A creative's ``call_to_action.value.lead_gen_form_id`` must be an active form of the
    creative's Page (§5.6)."""
    link = _object(story.get("link_data"))
    cta = _object(link.get("call_to_action"))
    value = _object(cta.get("value"))
    form_id = value.get("lead_gen_form_id")
    if form_id is None:
        return
    form = call.state.store.get(str(form_id), "form")
    if form is None or str(form["page_id"]) != str(story.get("page_id")):
        raise marketing_error(
            None,
            "Invalid Lead Form",
            "The lead form in call_to_action.value.lead_gen_form_id doesn't exist or doesn't belong to the creative's Page.",
            "object_story_spec",
        )
    if form["status"] != "ACTIVE":
        raise marketing_error(
            None, "Lead Form Not Active", "Archived or draft lead forms can't be used in new ads.", "object_story_spec"
        )


def _object(value: t.Any) -> Obj:
    """A JSON object of the request, or an empty one in place of anything else."""
    return value if isinstance(value, dict) else {}


def check_ad_creative(adset: Obj, campaign: Obj, creative: Obj, form_id: str | None) -> None:
    """An ad in a lead ad set needs a lead-form creative of the ad set's promoted Page."""
    if not is_lead_adset(campaign, adset.get("destination_type")):
        return
    if form_id is None:
        raise marketing_error(
            None,
            "Lead Form Required",
            "Ads in an instant-form ad set need a creative whose call_to_action.value has a lead_gen_form_id.",
            "creative",
        )
    page = (adset.get("promoted_object") or {}).get("page_id")
    story_page = (creative.get("object_story_spec") or {}).get("page_id")
    if page and story_page and str(page) != str(story_page):
        raise marketing_error(
            1885029,
            "Page Doesn't Match",
            "The creative's Page must be the Page in the ad set's promoted_object.",
            "creative",
        )


def _promoted_object(call: Call, campaign: Obj, destination: str | None) -> Obj | None:
    promoted = call.json("promoted_object")
    if promoted is None and campaign["objective"] == "OUTCOME_LEADS" and destination in (None, "ON_AD"):
        raise marketing_error(
            1815430, "Please select a promoted object", 'Lead ads need promoted_object={"page_id": ...}.', "promoted_object"
        )
    if promoted is not None:
        page_id = str(promoted.get("page_id", "")) if isinstance(promoted, dict) else ""
        if call.state.store.get(page_id, "page") is None:
            raise param_error("Param promoted_object must name a Page you can advertise for", blame="promoted_object")
        promoted = {**promoted, "page_id": page_id}
    return promoted


def check_update(call: Call, kind: str, obj: Obj) -> None:
    """Refuse what Meta refuses on POST /{id} (archived objects, immutable fields)."""
    changing = set(call.params) - {"fields", "execution_options"}
    if obj["status"] == "ARCHIVED":
        status = call.get("status")
        if changing - {"name", "status"} or (status is not None and status not in ("ARCHIVED", "DELETED")):
            raise marketing_error(
                1885088, "Archived Ad Can't Be Edited", "Archived objects can only be renamed or deleted.", None
            )
    if kind == "adset" and "promoted_object" in changing:
        raise param_error(
            "promoted_object can't be changed after the ad set is created; create a new ad set", blame="promoted_object"
        )
    if kind == "campaign" and "objective" in changing and call.get("objective") != obj["objective"]:
        raise param_error("The objective of an existing campaign can't be changed", blame="objective")
    if call.get("status") is not None:
        require_enum(call, "status", str(call.get("status")), UPDATE_STATUSES)
