"""marshmallow schemas that load Graph JSON into the frozen dataclasses of :mod:`metaads.graph.types`.

Every schema keeps unknown keys (``unknown = INCLUDE``) and hands them to the dataclass as
``extra``, so a field Meta adds tomorrow never breaks a sync. Ids accept JSON strings or
integers and always come out as exact strings (a float id has already lost digits: refused).
"""

from __future__ import annotations

import datetime as dt
import decimal
import typing as t
from collections.abc import Mapping

from marshmallow import INCLUDE, Schema, ValidationError, fields, post_load, pre_load

from metaads.graph import types
from metaads.graph.errors import GraphResponseError
from metaads.graph.money import parse_minor_units, to_minor_units
from metaads.graph.times import parse_graph_date, parse_graph_time

# -- fields ------------------------------------------------------------------------------------

_Data = Mapping[str, t.Any] | None


class GraphId(fields.Field[str]):
    """A Graph id as an exact string, from a JSON string or integer."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
        raise ValidationError("Graph ids are strings or integers (never floats: they lose digits).")


class MinorUnits(fields.Field[int]):
    """Money Meta sends in minor units as a numeric string."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> int:
        try:
            return parse_minor_units(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class GraphDateTime(fields.Field[dt.datetime]):
    """An ISO 8601 time with a ``+0000`` offset, or Unix seconds; loaded as aware UTC."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> dt.datetime:
        try:
            return parse_graph_time(value)
        except (ValueError, OverflowError, OSError) as exc:
            raise ValidationError(str(exc)) from None


class UnixTimeOrNever(fields.Field[dt.datetime | None]):
    """``debug_token`` times: Unix seconds, where ``0`` means never (loaded as ``None``)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> dt.datetime | None:
        if value in (0, "0"):
            return None
        try:
            return parse_graph_time(value)
        except (ValueError, OverflowError, OSError) as exc:
            raise ValidationError(str(exc)) from None


class GraphDate(fields.Field[dt.date]):
    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> dt.date:
        try:
            return parse_graph_date(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class IntString(fields.Field[int]):
    """A count Meta sends as ``"2466376"`` (or, in old samples, a number)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> int:
        number = _decimal(value)
        if number != number.to_integral_value():
            raise ValidationError("not a whole number")
        return int(number)


class DecimalString(fields.Field[decimal.Decimal]):
    """A metric Meta sends as a decimal string (``"2.741"``)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> decimal.Decimal:
        return _decimal(value)


class StrTuple(fields.Field[tuple[str, ...]]):
    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise ValidationError("expected a list")
        return tuple(str(item) for item in value)


class TupleOf(fields.List[t.Any]):
    """A list field that loads as a tuple (the dataclasses are frozen)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> tuple[t.Any, ...]:  # type: ignore[override]
        return tuple(super()._deserialize(value, attr, data, **kwargs))


class VerbatimList(fields.Field[list[t.Any]]):
    """A list kept exactly as Meta sent it (lead answers)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> list[t.Any]:
        if not isinstance(value, list):
            raise ValidationError("expected a list")
        return value


class ActionStats(fields.Field[tuple[types.ActionStat, ...]]):
    """Insights ``actions``-style lists: ``[{"action_type": "lead", "value": "12", "7d_click": "10"}]``."""

    def _deserialize(self, value: t.Any, attr: str | None, data: _Data, **kwargs: t.Any) -> tuple[types.ActionStat, ...]:
        if not isinstance(value, list):
            raise ValidationError("expected a list")
        return tuple(_action_stat(item) for item in value)


def _action_stat(item: t.Any) -> types.ActionStat:
    if not isinstance(item, Mapping) or not item.get("action_type"):
        raise ValidationError("an action stat needs an action_type")
    windows = {key: _decimal(val) for key, val in item.items() if key not in ("action_type", "value")}
    return types.ActionStat(str(item["action_type"]), _decimal(item.get("value", "0")), windows)


def _decimal(value: t.Any) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError("not a number")
    try:
        number = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise ValidationError("not a number") from None
    if not number.is_finite():
        raise ValidationError("not a finite number")
    return number


def _opt(field: type[fields.Field[t.Any]], *args: t.Any, **kwargs: t.Any) -> fields.Field[t.Any]:
    """An optional field: missing or null loads as ``None``."""
    return field(*args, load_default=None, allow_none=True, **kwargs)


def _flatten(data: Mapping[str, t.Any], source: str, target: str) -> dict[str, t.Any]:
    """Copy ``data[source]["id"]`` to ``data[target]`` (``business{id}`` -> ``business_id``)."""
    out = dict(data)
    nested = out.get(source)
    if target not in out and isinstance(nested, Mapping) and nested.get("id") is not None:
        out[target] = nested["id"]
    return out


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
    name = _opt(fields.String)
    currency = _opt(fields.String)
    timezone_name = _opt(fields.String)
    timezone_offset_hours_utc = _opt(fields.Float)
    account_status = _opt(fields.Integer)
    disable_reason = _opt(fields.Integer)
    amount_spent = _opt(MinorUnits)
    spend_cap = _opt(MinorUnits)
    balance = _opt(MinorUnits)
    business_name = _opt(fields.String)
    business_id = _opt(GraphId, metadata={"graph": "business{id,name}"})

    @pre_load
    def _derive(self, data: Mapping[str, t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        out = _flatten(data, "business", "business_id")
        if "account_id" not in out and isinstance(out.get("id"), str):
            out["account_id"] = out["id"].removeprefix("act_")
        return out


class CampaignSchema(GraphSchema):
    model = types.CampaignData
    id = GraphId(required=True)
    name = _opt(fields.String)
    account_id = _opt(GraphId)
    objective = _opt(fields.String)
    status = _opt(fields.String)
    configured_status = _opt(fields.String)
    effective_status = _opt(fields.String)
    buying_type = _opt(fields.String)
    bid_strategy = _opt(fields.String)
    daily_budget = _opt(MinorUnits)
    lifetime_budget = _opt(MinorUnits)
    budget_remaining = _opt(MinorUnits)
    spend_cap = _opt(MinorUnits)
    special_ad_categories = StrTuple(load_default=())
    is_adset_budget_sharing_enabled = _opt(fields.Boolean)
    start_time = _opt(GraphDateTime)
    stop_time = _opt(GraphDateTime)
    created_time = _opt(GraphDateTime)
    updated_time = _opt(GraphDateTime)


class AdSetSchema(GraphSchema):
    model = types.AdSetData
    id = GraphId(required=True)
    name = _opt(fields.String)
    account_id = _opt(GraphId)
    campaign_id = _opt(GraphId)
    status = _opt(fields.String)
    configured_status = _opt(fields.String)
    effective_status = _opt(fields.String)
    daily_budget = _opt(MinorUnits)
    lifetime_budget = _opt(MinorUnits)
    budget_remaining = _opt(MinorUnits)
    bid_amount = _opt(MinorUnits)
    bid_strategy = _opt(fields.String)
    billing_event = _opt(fields.String)
    optimization_goal = _opt(fields.String)
    destination_type = _opt(fields.String)
    targeting = _opt(fields.Dict)
    promoted_object = _opt(fields.Dict)
    start_time = _opt(GraphDateTime)
    end_time = _opt(GraphDateTime)
    created_time = _opt(GraphDateTime)
    updated_time = _opt(GraphDateTime)


class AdSchema(GraphSchema):
    model = types.AdData
    id = GraphId(required=True)
    name = _opt(fields.String)
    account_id = _opt(GraphId)
    campaign_id = _opt(GraphId)
    adset_id = _opt(GraphId)
    status = _opt(fields.String)
    configured_status = _opt(fields.String)
    effective_status = _opt(fields.String)
    creative_id = _opt(GraphId, metadata={"graph": "creative{id,thumbnail_url,image_url,object_story_spec}"})
    thumbnail_url = _opt(fields.String, metadata={"graph": None})
    page_id = _opt(GraphId, metadata={"graph": None})
    lead_gen_form_id = _opt(GraphId, metadata={"graph": None})
    preview_shareable_link = _opt(fields.String)
    created_time = _opt(GraphDateTime)
    updated_time = _opt(GraphDateTime)

    @pre_load
    def _derive(self, data: Mapping[str, t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        out = _flatten(data, "creative", "creative_id")
        creative = out.get("creative")
        if isinstance(creative, Mapping):
            story = creative.get("object_story_spec")
            story = story if isinstance(story, Mapping) else {}
            out.setdefault("thumbnail_url", creative.get("thumbnail_url") or creative.get("image_url"))
            out.setdefault("page_id", story.get("page_id"))
            out.setdefault("lead_gen_form_id", lead_gen_form_of(story))
        return out


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


class LeadFormOptionSchema(GraphSchema):
    model = types.LeadFormOption
    key = _opt(fields.String)
    value = _opt(fields.String)


class LeadFormQuestionSchema(GraphSchema):
    model = types.LeadFormQuestion
    key = _opt(fields.String)
    label = _opt(fields.String)
    type = _opt(fields.String)
    id = _opt(GraphId)
    options = TupleOf(fields.Nested(LeadFormOptionSchema), load_default=())


class LeadFormSchema(GraphSchema):
    model = types.LeadFormData
    id = GraphId(required=True)
    name = _opt(fields.String)
    status = _opt(fields.String)
    locale = _opt(fields.String)
    questions = TupleOf(fields.Nested(LeadFormQuestionSchema), load_default=())
    privacy_policy_url = _opt(fields.String)
    follow_up_action_url = _opt(fields.String)
    thank_you_page = _opt(fields.Dict)
    leads_count = _opt(IntString)
    page_id = _opt(GraphId, metadata={"graph": "page"})
    created_time = _opt(GraphDateTime)

    @pre_load
    def _derive(self, data: Mapping[str, t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        return _flatten(data, "page", "page_id")


class LeadSchema(GraphSchema):
    model = types.LeadData
    id = GraphId(required=True)
    created_time = GraphDateTime(required=True)
    field_data = VerbatimList(load_default=list)
    form_id = _opt(GraphId)
    ad_id = _opt(GraphId)
    ad_name = _opt(fields.String)
    adset_id = _opt(GraphId)
    adset_name = _opt(fields.String)
    campaign_id = _opt(GraphId)
    campaign_name = _opt(fields.String)
    is_organic = _opt(fields.Boolean)
    platform = _opt(fields.String)
    custom_disclaimer_responses = VerbatimList(load_default=list)


class InsightsRowSchema(GraphSchema):
    """Insights rows. ``spend`` needs the row's ``account_currency`` to become minor units."""

    model = types.InsightsRow
    date_start = _opt(GraphDate)
    date_stop = _opt(GraphDate)
    currency = _opt(fields.String, data_key="account_currency")
    account_id = _opt(GraphId)
    campaign_id = _opt(GraphId)
    campaign_name = _opt(fields.String)
    adset_id = _opt(GraphId)
    adset_name = _opt(fields.String)
    ad_id = _opt(GraphId)
    ad_name = _opt(fields.String)
    impressions = _opt(IntString)
    clicks = _opt(IntString)
    reach = _opt(IntString)
    spend = _opt(DecimalString)
    frequency = _opt(DecimalString)
    ctr = _opt(DecimalString)
    cpc = _opt(DecimalString)
    cpm = _opt(DecimalString)
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
    name = _opt(fields.String)


class PageSchema(GraphSchema):
    model = types.PageData
    id = GraphId(required=True)
    name = _opt(fields.String)
    access_token = _opt(fields.String)
    category = _opt(fields.String)
    tasks = StrTuple(load_default=())


class SubscribedAppSchema(GraphSchema):
    model = types.SubscribedApp
    id = GraphId(required=True)
    name = _opt(fields.String)
    category = _opt(fields.String)
    link = _opt(fields.String)
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
    app_id = _opt(GraphId)
    type = _opt(fields.String)
    application = _opt(fields.String)
    user_id = _opt(GraphId)
    profile_id = _opt(GraphId)
    expires_at = _opt(UnixTimeOrNever)
    data_access_expires_at = _opt(UnixTimeOrNever)
    issued_at = _opt(UnixTimeOrNever)
    scopes = StrTuple(load_default=())
    granular_scopes = TupleOf(fields.Nested(GranularScopeSchema), load_default=())
    error = _opt(fields.Dict)


class OAuthTokenSchema(GraphSchema):
    model = types.OAuthToken
    access_token = fields.String(required=True)
    token_type = _opt(fields.String)
    expires_in = _opt(IntString)


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
LEAD = Loader(LeadSchema(), types.LeadData)
INSIGHTS_ROW = Loader(InsightsRowSchema(), types.InsightsRow)
USER = Loader(UserSchema(), types.UserData)
PAGE = Loader(PageSchema(), types.PageData)
SUBSCRIBED_APP = Loader(SubscribedAppSchema(), types.SubscribedApp)
TOKEN_INFO = Loader(TokenInfoSchema(), types.TokenInfo)
OAUTH_TOKEN = Loader(OAuthTokenSchema(), types.OAuthToken)
