"""marshmallow schemas that load Graph JSON into the frozen dataclasses of :mod:`metaads.graph.types`.

Every schema keeps unknown keys (``unknown = INCLUDE``) and hands them to the dataclass as
``extra``, so a field Meta adds tomorrow never breaks a sync. Ids accept JSON strings or
integers and always come out as exact strings (a float id has already lost digits: refused).
"""

from __future__ import annotations

import decimal
import typing as t
from collections.abc import Mapping

from marshmallow import INCLUDE, Schema, ValidationError, fields, post_load, pre_load

from metaads.graph import types
from metaads.graph.errors import GraphResponseError
from metaads.graph.fields import (
    ActionStats,
    DecimalString,
    GraphDate,
    GraphDateTime,
    GraphId,
    IntString,
    MinorUnits,
    StrTuple,
    TupleOf,
    UnixTimeOrNever,
    VerbatimList,
    flatten,
    optional,
)
from metaads.graph.money import to_minor_units

# -- schemas -----------------------------------------------------------------------------------


class GraphSchema(Schema):
    """Base: unknown keys go to the dataclass's ``extra``."""

    model: t.ClassVar[type]

    class Meta:
        unknown = INCLUDE

    @pre_load
    def _require_object(self, data: t.Any, **kwargs: t.Any) -> t.Any:
        if not isinstance(data, Mapping):
            raise ValidationError("expected a JSON object")
        return data

    @post_load
    def _build(self, data: dict[str, t.Any], **kwargs: t.Any) -> t.Any:
        known = {name: data[name] for name in self.load_fields if name in data}
        extra = {key: value for key, value in data.items() if key not in self.load_fields}
        return self.model(**self.adjust(known), extra=extra)

    def adjust(self, values: dict[str, t.Any]) -> dict[str, t.Any]:
        """Last touches before the dataclass is built (derived fields)."""
        return values


class AdAccountSchema(GraphSchema):
    model = types.AdAccountData
    id = GraphId(required=True)
    account_id = GraphId(required=True)
    name = optional(fields.String)
    currency = optional(fields.String)
    timezone_name = optional(fields.String)
    timezone_offset_hours_utc = optional(fields.Float)
    account_status = optional(fields.Integer)
    disable_reason = optional(fields.Integer)
    amount_spent = optional(MinorUnits)
    spend_cap = optional(MinorUnits)
    balance = optional(MinorUnits)
    business_name = optional(fields.String)
    business_id = optional(GraphId, metadata={"graph": "business{id,name}"})

    @pre_load
    def _derive(self, data: Mapping[str, t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        out = flatten(data, "business", "business_id")
        if "account_id" not in out and isinstance(out.get("id"), str):
            out["account_id"] = out["id"].removeprefix("act_")
        return out


class CampaignSchema(GraphSchema):
    model = types.CampaignData
    id = GraphId(required=True)
    name = optional(fields.String)
    account_id = optional(GraphId)
    objective = optional(fields.String)
    status = optional(fields.String)
    configured_status = optional(fields.String)
    effective_status = optional(fields.String)
    buying_type = optional(fields.String)
    bid_strategy = optional(fields.String)
    daily_budget = optional(MinorUnits)
    lifetime_budget = optional(MinorUnits)
    budget_remaining = optional(MinorUnits)
    spend_cap = optional(MinorUnits)
    special_ad_categories = StrTuple(load_default=())
    is_adset_budget_sharing_enabled = optional(fields.Boolean)
    start_time = optional(GraphDateTime)
    stop_time = optional(GraphDateTime)
    created_time = optional(GraphDateTime)
    updated_time = optional(GraphDateTime)


class AdSetSchema(GraphSchema):
    model = types.AdSetData
    id = GraphId(required=True)
    name = optional(fields.String)
    account_id = optional(GraphId)
    campaign_id = optional(GraphId)
    status = optional(fields.String)
    configured_status = optional(fields.String)
    effective_status = optional(fields.String)
    daily_budget = optional(MinorUnits)
    lifetime_budget = optional(MinorUnits)
    budget_remaining = optional(MinorUnits)
    bid_amount = optional(MinorUnits)
    bid_strategy = optional(fields.String)
    billing_event = optional(fields.String)
    optimization_goal = optional(fields.String)
    destination_type = optional(fields.String)
    targeting = optional(fields.Dict)
    promoted_object = optional(fields.Dict)
    start_time = optional(GraphDateTime)
    end_time = optional(GraphDateTime)
    created_time = optional(GraphDateTime)
    updated_time = optional(GraphDateTime)


class AdSchema(GraphSchema):
    model = types.AdData
    id = GraphId(required=True)
    name = optional(fields.String)
    account_id = optional(GraphId)
    campaign_id = optional(GraphId)
    adset_id = optional(GraphId)
    status = optional(fields.String)
    configured_status = optional(fields.String)
    effective_status = optional(fields.String)
    creative_id = optional(GraphId, metadata={"graph": "creative{id,thumbnail_url,image_url,object_story_spec}"})
    thumbnail_url = optional(fields.String, metadata={"graph": None})
    page_id = optional(GraphId, metadata={"graph": None})
    lead_gen_form_id = optional(GraphId, metadata={"graph": None})
    creative_content = optional(fields.Dict, metadata={"graph": None})
    preview_shareable_link = optional(fields.String)
    created_time = optional(GraphDateTime)
    updated_time = optional(GraphDateTime)

    @pre_load
    def _derive(self, data: Mapping[str, t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        out = flatten(data, "creative", "creative_id")
        creative = out.get("creative")
        if isinstance(creative, Mapping):
            story = creative.get("object_story_spec")
            story = story if isinstance(story, Mapping) else {}
            out.setdefault("thumbnail_url", creative.get("thumbnail_url") or creative.get("image_url"))
            out.setdefault("page_id", story.get("page_id"))
            out.setdefault("lead_gen_form_id", lead_gen_form_of(story))
            out.setdefault("creative_content", creative_content_of(creative, story))
        return out


def creative_content_of(creative: Mapping[str, t.Any], story: Mapping[str, t.Any]) -> dict[str, t.Any]:
    """What a creative shows, from ``link_data`` (or ``video_data``): ``headline`` (Meta's
    ``name``, or ``title`` on video), ``message``, ``description``, ``image_url`` (the creative's
    own image, else the ``picture`` it was made from, else its thumbnail), ``call_to_action``
    (the button's type) and ``link``. Keys Meta did not send are left out."""
    part = story.get("link_data") or story.get("video_data") or {}
    part = part if isinstance(part, Mapping) else {}
    action = part.get("call_to_action")
    action = action if isinstance(action, Mapping) else {}
    value = action.get("value")
    target = value if isinstance(value, Mapping) else {}
    content = {
        "headline": part.get("name") or part.get("title"),
        "message": part.get("message"),
        "description": part.get("description") or part.get("link_description"),
        "image_url": creative.get("image_url") or part.get("picture") or part.get("image_url") or creative.get("thumbnail_url"),
        "call_to_action": action.get("type"),
        "link": part.get("link") or target.get("link"),
    }
    return {key: value for key, value in content.items() if isinstance(value, str) and value}


def lead_gen_form_of(story: Mapping[str, t.Any]) -> t.Any:
    """The lead form a creative's call to action opens: in ``link_data`` or ``video_data``, or
    in a carousel's cards (each card carries the same form, facts ads-insights §4)."""
    for key in ("link_data", "video_data", "template_data"):
        part = story.get(key)
        if not isinstance(part, Mapping):
            continue
        cards = part.get("child_attachments")
        for holder in [part, *(cards if isinstance(cards, list) else [])]:
            action = holder.get("call_to_action") if isinstance(holder, Mapping) else None
            value = action.get("value") if isinstance(action, Mapping) else None
            if isinstance(value, Mapping) and value.get("lead_gen_form_id"):
                return value["lead_gen_form_id"]
    return None


class AdPreviewSchema(GraphSchema):
    model = types.AdPreview
    body = fields.String(required=True)


class LeadFormOptionSchema(GraphSchema):
    model = types.LeadFormOption
    key = optional(fields.String)
    value = optional(fields.String)


class LeadFormQuestionSchema(GraphSchema):
    model = types.LeadFormQuestion
    key = optional(fields.String)
    label = optional(fields.String)
    type = optional(fields.String)
    id = optional(GraphId)
    options = TupleOf(fields.Nested(LeadFormOptionSchema), load_default=())


class LeadFormSchema(GraphSchema):
    model = types.LeadFormData
    id = GraphId(required=True)
    name = optional(fields.String)
    status = optional(fields.String)
    locale = optional(fields.String)
    questions = TupleOf(fields.Nested(LeadFormQuestionSchema), load_default=())
    privacy_policy_url = optional(fields.String)
    follow_up_action_url = optional(fields.String)
    thank_you_page = optional(fields.Dict)
    leads_count = optional(IntString)
    page_id = optional(GraphId, metadata={"graph": "page"})
    created_time = optional(GraphDateTime)

    @pre_load
    def _derive(self, data: Mapping[str, t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        return flatten(data, "page", "page_id")


class LeadSchema(GraphSchema):
    model = types.LeadData
    id = GraphId(required=True)
    created_time = GraphDateTime(required=True)
    field_data = VerbatimList(load_default=list)
    form_id = optional(GraphId)
    ad_id = optional(GraphId)
    ad_name = optional(fields.String)
    adset_id = optional(GraphId)
    adset_name = optional(fields.String)
    campaign_id = optional(GraphId)
    campaign_name = optional(fields.String)
    is_organic = optional(fields.Boolean)
    platform = optional(fields.String)
    custom_disclaimer_responses = VerbatimList(load_default=list)


class InsightsRowSchema(GraphSchema):
    """Insights rows. ``spend`` needs the row's ``account_currency`` to become minor units."""

    model = types.InsightsRow
    date_start = optional(GraphDate)
    date_stop = optional(GraphDate)
    currency = optional(fields.String, data_key="account_currency")
    account_id = optional(GraphId)
    campaign_id = optional(GraphId)
    campaign_name = optional(fields.String)
    adset_id = optional(GraphId)
    adset_name = optional(fields.String)
    ad_id = optional(GraphId)
    ad_name = optional(fields.String)
    impressions = optional(IntString)
    clicks = optional(IntString)
    reach = optional(IntString)
    spend = optional(DecimalString)
    frequency = optional(DecimalString)
    ctr = optional(DecimalString)
    cpc = optional(DecimalString)
    cpm = optional(DecimalString)
    actions = ActionStats(load_default=())
    cost_per_action_type = ActionStats(load_default=())

    def adjust(self, values: dict[str, t.Any]) -> dict[str, t.Any]:
        spend = values.get("spend")
        if spend is not None:
            if not values.get("currency"):
                raise ValidationError("spend needs account_currency to be converted to minor units", "spend")
            values["spend"] = to_minor_units(spend, values["currency"])
        lead = next((a for a in values.get("actions", ()) if a.action_type == "lead"), None)
        values["leads"] = int(lead.value.to_integral_value(decimal.ROUND_HALF_UP)) if lead else None
        return values


class UserSchema(GraphSchema):
    model = types.UserData
    id = GraphId(required=True)
    name = optional(fields.String)


class PageSchema(GraphSchema):
    model = types.PageData
    id = GraphId(required=True)
    name = optional(fields.String)
    access_token = optional(fields.String)
    category = optional(fields.String)
    tasks = StrTuple(load_default=())


class SubscribedAppSchema(GraphSchema):
    model = types.SubscribedApp
    id = GraphId(required=True)
    name = optional(fields.String)
    category = optional(fields.String)
    link = optional(fields.String)
    subscribed_fields = StrTuple(load_default=())


class GranularScopeSchema(GraphSchema):
    model = types.GranularScope
    scope = fields.String(required=True)
    target_ids = TupleOf(GraphId(), load_default=())

    @post_load
    def _build(self, data: dict[str, t.Any], **kwargs: t.Any) -> t.Any:
        # GranularScope has no ``extra``: it is two fields, kept small on purpose.
        return types.GranularScope(data["scope"], data.get("target_ids", ()))


class TokenInfoSchema(GraphSchema):
    model = types.TokenInfo
    is_valid = fields.Boolean(required=True)
    app_id = optional(GraphId)
    type = optional(fields.String)
    application = optional(fields.String)
    user_id = optional(GraphId)
    profile_id = optional(GraphId)
    expires_at = optional(UnixTimeOrNever)
    data_access_expires_at = optional(UnixTimeOrNever)
    issued_at = optional(UnixTimeOrNever)
    scopes = StrTuple(load_default=())
    granular_scopes = TupleOf(fields.Nested(GranularScopeSchema), load_default=())
    error = optional(fields.Dict)


class OAuthTokenSchema(GraphSchema):
    model = types.OAuthToken
    access_token = fields.String(required=True)
    token_type = optional(fields.String)
    expires_in = optional(IntString)


def graph_fields(schema: Schema) -> tuple[str, ...]:
    """The Graph field names ``schema`` loads, in declaration order: a field's ``data_key`` (or
    name), or the Graph expression in its ``metadata["graph"]`` for the ones a ``pre_load``
    derives (``business{id,name}`` gives ``business_id``); ``None`` there leaves out a field
    derived from another's expansion (an ad's ``thumbnail_url`` comes with ``creative{…}``)."""
    names = (field.metadata.get("graph", field.data_key or name) for name, field in schema.load_fields.items())
    return tuple(name for name in names if name)


# -- typed loaders -----------------------------------------------------------------------------

M = t.TypeVar("M")


class Loader(t.Generic[M]):
    """One reusable schema instance and the dataclass it builds: ``LEAD.load(json) -> LeadData``.

    A shape it cannot load raises :class:`GraphResponseError` with marshmallow's messages, which name
    fields and problems; lead answers are loaded verbatim, so they are never quoted in one.
    """

    def __init__(self, schema: GraphSchema, model: type[M]) -> None:
        self.schema = schema
        self.model = model
        #: The ``fields=`` a read of this object asks Graph for: derived from the schema, so what
        #: we ask for and what we load cannot disagree.
        self.fields = graph_fields(schema)

    def load(self, data: t.Any) -> M:
        try:
            result = self.schema.load(data)
        except ValidationError as exc:
            raise GraphResponseError(f"unexpected {self.model.__name__} from Graph: {exc.messages}") from None
        if not isinstance(result, self.model):
            raise GraphResponseError(f"unexpected {self.model.__name__} from Graph")
        return result


AD_ACCOUNT = Loader(AdAccountSchema(), types.AdAccountData)
CAMPAIGN = Loader(CampaignSchema(), types.CampaignData)
AD_SET = Loader(AdSetSchema(), types.AdSetData)
AD = Loader(AdSchema(), types.AdData)
LEAD_FORM = Loader(LeadFormSchema(), types.LeadFormData)
AD_PREVIEW = Loader(AdPreviewSchema(), types.AdPreview)
LEAD = Loader(LeadSchema(), types.LeadData)
INSIGHTS_ROW = Loader(InsightsRowSchema(), types.InsightsRow)
USER = Loader(UserSchema(), types.UserData)
PAGE = Loader(PageSchema(), types.PageData)
SUBSCRIBED_APP = Loader(SubscribedAppSchema(), types.SubscribedApp)
TOKEN_INFO = Loader(TokenInfoSchema(), types.TokenInfo)
OAUTH_TOKEN = Loader(OAuthTokenSchema(), types.OAuthToken)
