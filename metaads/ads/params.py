"""The parameters Meta needs for each write, under its current rules (meta-graph.md §5,
ads-insights.md §5), from input the schemas in :mod:`metaads.schemas` have already checked.

What needs our rows to judge (the campaign's budget and objective, our lead form and its Page)
is judged here, still before any call to Meta: a :class:`ValidationError` is a 400 on that field.
"""

from __future__ import annotations

import typing as t

from marshmallow import ValidationError

from metaads.models import AdCampaign, AdSet, LeadForm
from plugins.core.extensions import db

#: Optimisation goals of an instant-form lead ad set.
LEAD_GOALS = ("LEAD_GENERATION", "QUALITY_LEAD")
NEEDS_BID_AMOUNT = ("LOWEST_COST_WITH_BID_CAP", "COST_CAP")
#: Where a lead ad's link points: the form opens instead (ads-insights.md §5, Meta's lead guide).
LEAD_AD_LINK = "https://fb.me/"


def present(values: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The values that are set: Meta gets no empty parameters."""
    return {key: value for key, value in values.items() if value is not None}


def campaign_create(data: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """``special_ad_categories`` always goes (``[]`` when none); the service adds
    ``is_adset_budget_sharing_enabled`` when the campaign has no budget."""
    params = present({key: value for key, value in data.items() if key != "ad_account_id"})
    params["special_ad_categories"] = [c for c in data.get("special_ad_categories") or [] if c != "NONE"]
    return params


def campaign_update(data: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return _changes(data)


def is_lead_ad_set(campaign: AdCampaign, destination_type: str | None) -> bool:
    """An instant-form lead ad set: a leads campaign whose ad set opens the form on the ad."""
    return campaign.objective == "OUTCOME_LEADS" and destination_type in (None, "ON_AD")


def ad_set_create(data: t.Mapping[str, t.Any], campaign: AdCampaign) -> dict[str, t.Any]:
    params = present({key: value for key, value in data.items() if key != "campaign_id"})
    params["campaign_id"] = campaign.meta_campaign_id
    _check_budget(params, campaign)
    if params.get("bid_strategy") in NEEDS_BID_AMOUNT and params.get("bid_amount") is None:
        raise ValidationError({"bid_amount": [f"The {params['bid_strategy']} bid strategy needs a bid amount."]})
    if is_lead_ad_set(campaign, params.get("destination_type")):
        _lead_rules(params)
    elif not params.get("optimization_goal"):
        raise ValidationError({"optimization_goal": ["An optimisation goal is required."]})
    params["targeting"] = targeting(params["targeting"], new=True)
    return params


def ad_set_update(data: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    params = _changes(data)
    if "targeting" in params:
        params["targeting"] = targeting(params["targeting"], new=False)
    return params


def targeting(spec: t.Mapping[str, t.Any], *, new: bool) -> dict[str, t.Any]:
    """A targeting spec we can send: ``geo_locations`` an object, ages whole numbers from 13 to
    65 in order; a new ad set always says ``advantage_audience`` 0 or 1 (Meta requires it from
    v23; 0, fixed targeting, unless the client chose)."""
    out = dict(spec)
    geo = out.get("geo_locations")
    if not isinstance(geo, dict) or not geo:
        raise ValidationError({"targeting": ['Targeting needs geo_locations, e.g. {"geo_locations": {"countries": ["ES"]}}.']})
    for name in ("age_min", "age_max"):
        age = out.get(name)
        if age is not None and (isinstance(age, bool) or not isinstance(age, int) or not 13 <= age <= 65):
            raise ValidationError({"targeting": [f"{name} must be a whole number from 13 to 65."]})
    if isinstance(out.get("age_min"), int) and isinstance(out.get("age_max"), int) and out["age_min"] > out["age_max"]:
        raise ValidationError({"targeting": ["age_min must not be above age_max."]})
    automation = out.get("targeting_automation")
    if automation is not None and not isinstance(automation, dict):
        raise ValidationError({"targeting": ["targeting_automation must be an object."]})
    flag = (automation or {}).get("advantage_audience")
    if flag is not None and flag not in (0, 1):
        raise ValidationError({"targeting": ["targeting_automation.advantage_audience must be 0 or 1."]})
    if new and flag is None:
        out["targeting_automation"] = {**(automation or {}), "advantage_audience": 0}
    return out


def ad_create(data: t.Mapping[str, t.Any], ad_set: AdSet) -> dict[str, t.Any]:
    """The ad's parameters: an existing creative, or a lead-form creative around our form."""
    creative = data["creative"]
    params: dict[str, t.Any] = {"name": data["name"], "status": data["status"], "adset_id": ad_set.meta_adset_id}
    if creative.get("creative_id"):
        params["creative"] = {"creative_id": creative["creative_id"]}
        return params
    form = db.session.get(LeadForm, creative["lead_form_id"])
    if form is None:
        raise ValidationError({"creative": {"lead_form_id": ["No such lead form."]}})
    page_id = creative.get("page_id") or form.page_id
    if page_id != form.page_id:
        raise ValidationError({"creative": {"page_id": [f"The lead form {form.name!r} belongs to Page {form.page_id}."]}})
    promoted = ((ad_set.metadata_ or {}).get("promoted_object") or {}).get("page_id")
    if promoted and str(promoted) != page_id:
        raise ValidationError({"creative": {"page_id": [f"The ad set promotes Page {promoted}; the ad must use it too."]}})
    link_data = present(
        {
            "message": creative["message"],
            "name": creative.get("headline"),
            "link": creative.get("link") or LEAD_AD_LINK,
            "picture": creative.get("image_url"),
            "image_hash": creative.get("image_hash"),
            "call_to_action": {
                "type": creative.get("call_to_action") or "SIGN_UP",
                "value": {"lead_gen_form_id": form.meta_form_id},
            },
        }
    )
    params["creative"] = {"name": data["name"], "object_story_spec": {"page_id": page_id, "link_data": link_data}}
    return params


def ad_update(data: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return _changes(data)


def _changes(data: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    params = present(data)
    if not params:
        raise ValidationError({"_schema": ["Nothing to change: send at least one field."]})
    return params


def _check_budget(params: dict[str, t.Any], campaign: AdCampaign) -> None:
    own = params.get("daily_budget") is not None or params.get("lifetime_budget") is not None
    campaign_budget = campaign.daily_budget is not None or campaign.lifetime_budget is not None
    if own and campaign_budget:
        field = "daily_budget" if params.get("daily_budget") is not None else "lifetime_budget"
        raise ValidationError({field: ["This campaign has a campaign budget, so its ad sets can't have budgets."]})
    if not own and not campaign_budget:
        raise ValidationError({"daily_budget": ["Set a daily or lifetime budget: the campaign has no campaign budget."]})


def _lead_rules(params: dict[str, t.Any]) -> None:
    """Instant-form lead ad sets: ``destination_type=ON_AD``, ``optimization_goal``
    ``LEAD_GENERATION`` (or ``QUALITY_LEAD``), ``promoted_object.page_id`` the form's Page."""
    params["destination_type"] = "ON_AD"
    goal = params.setdefault("optimization_goal", "LEAD_GENERATION")
    if goal not in LEAD_GOALS:
        raise ValidationError({"optimization_goal": ["A lead ad set optimises for LEAD_GENERATION or QUALITY_LEAD."]})
    promoted = params.get("promoted_object") or {}
    page_id = str(promoted.get("page_id") or "")
    if not page_id.isdigit():
        raise ValidationError(
            {"promoted_object": ['A lead ad set needs promoted_object {"page_id": "<the lead form\'s Page id>"}.']}
        )
    params["promoted_object"] = {**promoted, "page_id": page_id}
