"""What clients send to create or change campaigns, ad sets and ads, as marshmallow schemas.

Everything here is judged before Meta is called (a refusal is a 400 and no Graph call); what
only Meta can judge (minimum budgets in the account's currency, a Page you may advertise for,
a form of the creative's Page) is left to Meta, whose refusal is a 422."""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t

from babel import Locale
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

#
# Everything here is judged before Meta is called (a refusal is a 400 and no Graph call); what
# only Meta can judge (minimum budgets in the account's currency, a Page you may advertise for,
# a form of the creative's Page) is left to Meta, whose refusal is a 422.

#: Our name columns hold 255 characters (Ads Manager cuts names well before Meta's API limit).
NAME_MAX = 255
#: More than 100 million a day in a two-decimal currency (10 billion yen) is a typo, not a budget.
BUDGET_MAX = 10_000_000_000
ODAX_OBJECTIVES = (
    "OUTCOME_APP_PROMOTION",
    "OUTCOME_AWARENESS",
    "OUTCOME_ENGAGEMENT",
    "OUTCOME_LEADS",
    "OUTCOME_SALES",
    "OUTCOME_TRAFFIC",
)
CREATE_STATUSES = ("ACTIVE", "PAUSED")
UPDATE_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED")
SPECIAL_AD_CATEGORIES = (
    "NONE",
    "CREDIT",
    "EMPLOYMENT",
    "HOUSING",
    "ISSUES_ELECTIONS_POLITICS",
    "FINANCIAL_PRODUCTS_SERVICES",
    "ONLINE_GAMBLING_AND_GAMING",
)
BID_STRATEGIES = ("LOWEST_COST_WITHOUT_CAP", "LOWEST_COST_WITH_BID_CAP", "COST_CAP", "LOWEST_COST_WITH_MIN_ROAS")
BILLING_EVENTS = (
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
)
OPTIMIZATION_GOALS = tuple(
    (
        "ADVERTISER_SILOED_VALUE AD_RECALL_LIFT APP_INSTALLS APP_INSTALLS_AND_OFFSITE_CONVERSIONS "
        "AUTOMATIC_OBJECTIVE CONVERSATIONS DERIVED_EVENTS ENGAGED_PAGE_VIEWS ENGAGED_USERS EVENT_RESPONSES "
        "IMPRESSIONS IN_APP_VALUE LANDING_PAGE_VIEWS LEAD_GENERATION LINK_CLICKS MEANINGFUL_CALL_ATTEMPT "
        "MESSAGING_APPOINTMENT_CONVERSION MESSAGING_DEEP_CONVERSATION_AND_FOLLOW MESSAGING_PURCHASE_CONVERSION "
        "NONE OFFSITE_CONVERSIONS PAGE_LIKES POST_ENGAGEMENT PROFILE_AND_PAGE_ENGAGEMENT PROFILE_VISIT "
        "QUALITY_CALL QUALITY_LEAD REACH REMINDERS_SET SUBSCRIBERS THRUPLAY VALUE VISIT_INSTAGRAM_PROFILE"
    ).split()
)
DESTINATION_TYPES = tuple(
    (
        "APP APPLINKS_AUTOMATIC FACEBOOK FACEBOOK_LIVE FACEBOOK_PAGE IMAGINE INSTAGRAM_DIRECT INSTAGRAM_LIVE "
        "INSTAGRAM_PROFILE INSTAGRAM_PROFILE_AND_FACEBOOK_PAGE MESSENGER ON_AD ON_EVENT ON_PAGE ON_POST ON_VIDEO "
        "SHOP_AUTOMATIC WEBSITE WHATSAPP"
    ).split()
)
#: A headline longer than this is cut on every placement (Meta's own guidance is 40 characters).
HEADLINE_MAX = 255
#: Calls to action Meta takes on instant-form lead ads (ads-insights.md §5).
LEAD_CALLS_TO_ACTION = ("APPLY_NOW", "DOWNLOAD", "GET_QUOTE", "LEARN_MORE", "SIGN_UP", "SUBSCRIBE")
_DIGITS = re.compile(r"^\d+$")


class MinorUnitsInput(fields.Field[int]):
    """A budget or bid in the account currency's minor units: a whole number (JSON integer, or
    digits from a form) above 0 and below :data:`BUDGET_MAX`."""

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> int:
        if isinstance(value, bool):
            raise ValidationError("Must be a whole number of minor units (1000 = 10.00 EUR).")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValidationError("Must be a whole number of minor units (1000 = 10.00 EUR), not a fraction.")
            value = int(value)
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("-") and _DIGITS.match(text[1:]):
                raise ValidationError("Must not be negative.")
            if not _DIGITS.match(text):
                raise ValidationError("Must be a whole number of minor units (1000 = 10.00 EUR), not a fraction.")
            value = int(text)
        if not isinstance(value, int):
            raise ValidationError("Must be a whole number of minor units.")
        if value < 0:
            raise ValidationError("Must not be negative.")
        if value == 0:
            raise ValidationError("Must be more than 0.")
        if value > BUDGET_MAX:
            raise ValidationError(f"Must be at most {BUDGET_MAX} minor units.")
        return value


class ObjectField(fields.Field[dict[str, t.Any]]):
    """A JSON object; from a form, a JSON text that decodes to one."""

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> dict[str, t.Any]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValidationError("Must be a JSON object.") from None
        if not isinstance(value, dict):
            raise ValidationError("Must be a JSON object.")
        return value


def _name(required: bool) -> fields.String:
    return fields.String(
        required=required,
        validate=[
            validate.Length(max=NAME_MAX, error=f"Must be at most {NAME_MAX} characters."),
            validate.Predicate("strip", error="Must not be empty."),
        ],
        error_messages={"required": "A name is required."},
    )


def _choice(values: t.Sequence[str], **kwargs: t.Any) -> fields.String:
    return fields.String(validate=validate.OneOf(values, error="Must be one of: {choices}."), **kwargs)


def _time() -> fields.AwareDateTime:
    return fields.AwareDateTime(default_timezone=dt.UTC, allow_none=True)


class _Write(Schema):
    class Meta:
        unknown = RAISE

    @validates_schema
    def _one_budget(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        if data.get("daily_budget") is not None and data.get("lifetime_budget") is not None:
            raise ValidationError("Set a daily budget or a lifetime budget, not both.", "lifetime_budget")

    def _in_order(self, data: dict[str, t.Any], start: str, stop: str) -> None:
        if data.get(start) and data.get(stop) and data[stop] <= data[start]:
            raise ValidationError("Must be after the start time.", stop)


class CampaignCreateSchema(_Write):
    ad_account_id = fields.Integer(required=True, strict=False)
    name = _name(True)
    objective = _choice(ODAX_OBJECTIVES, required=True)
    status = _choice(CREATE_STATUSES, load_default="PAUSED")
    daily_budget = MinorUnitsInput(allow_none=True)
    lifetime_budget = MinorUnitsInput(allow_none=True)
    special_ad_categories = fields.List(_choice(SPECIAL_AD_CATEGORIES), load_default=list)
    bid_strategy = _choice(BID_STRATEGIES, allow_none=True)
    start_time = _time()
    stop_time = _time()

    @validates_schema
    def _dates(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        self._in_order(data, "start_time", "stop_time")


class CampaignUpdateSchema(_Write):
    name = _name(False)
    status = _choice(UPDATE_STATUSES)
    daily_budget = MinorUnitsInput(allow_none=True)
    lifetime_budget = MinorUnitsInput(allow_none=True)
    bid_strategy = _choice(BID_STRATEGIES)
    stop_time = _time()


class AdSetCreateSchema(_Write):
    campaign_id = fields.Integer(required=True, strict=False)
    name = _name(True)
    optimization_goal = _choice(OPTIMIZATION_GOALS, allow_none=True)
    billing_event = _choice(BILLING_EVENTS, required=True)
    targeting = ObjectField(required=True)
    daily_budget = MinorUnitsInput(allow_none=True)
    lifetime_budget = MinorUnitsInput(allow_none=True)
    bid_amount = MinorUnitsInput(allow_none=True)
    bid_strategy = _choice(BID_STRATEGIES, allow_none=True)
    promoted_object = ObjectField(allow_none=True)
    destination_type = _choice(DESTINATION_TYPES, allow_none=True)
    status = _choice(CREATE_STATUSES, load_default="PAUSED")
    start_time = _time()
    end_time = _time()

    @validates_schema
    def _dates(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        self._in_order(data, "start_time", "end_time")
        if data.get("lifetime_budget") is not None and not data.get("end_time"):
            raise ValidationError("An ad set with a lifetime budget needs an end time.", "end_time")


class AdSetUpdateSchema(_Write):
    name = _name(False)
    status = _choice(UPDATE_STATUSES)
    daily_budget = MinorUnitsInput(allow_none=True)
    lifetime_budget = MinorUnitsInput(allow_none=True)
    bid_amount = MinorUnitsInput(allow_none=True)
    targeting = ObjectField()
    end_time = _time()


class CreativeInputSchema(Schema):
    """An existing creative (``creative_id``), or a lead-form creative built around one of our
    lead forms (``lead_form_id``: our LeadForm id; ``page_id``: Meta's Page id, by default the
    form's Page)."""

    class Meta:
        unknown = RAISE

    creative_id = fields.String(validate=validate.Regexp(r"^\d+$", error="Must be Meta's creative id (digits)."))
    page_id = fields.String(validate=validate.Regexp(r"^\d+$", error="Must be Meta's Page id (digits)."))
    lead_form_id = fields.Integer(strict=False)
    headline = fields.String(validate=validate.Length(max=HEADLINE_MAX))
    message = fields.String(validate=validate.Length(max=5000))
    link = fields.Url(schemes={"http", "https"})
    image_url = fields.Url(schemes={"http", "https"})
    image_hash = fields.String(validate=validate.Length(min=1, max=64))
    call_to_action = _choice(LEAD_CALLS_TO_ACTION)

    @validates_schema
    def _one_kind(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        if data.get("creative_id"):
            others = sorted(set(data) - {"creative_id"})
            if others:
                raise ValidationError(f"With creative_id, leave out {', '.join(others)}.", "creative_id")
            return
        if data.get("lead_form_id") is None:
            raise ValidationError("Give creative_id, or lead_form_id and message.", "lead_form_id")
        if not (data.get("message") or "").strip():
            raise ValidationError("A lead ad needs its text.", "message")
        if data.get("image_url") and data.get("image_hash"):
            raise ValidationError("Give image_url or image_hash, not both.", "image_hash")


class AdCreateSchema(_Write):
    ad_set_id = fields.Integer(required=True, strict=False)
    name = _name(True)
    status = _choice(CREATE_STATUSES, load_default="PAUSED")
    creative = fields.Nested(CreativeInputSchema, required=True)


class AdUpdateSchema(_Write):
    name = _name(False)
    status = _choice(UPDATE_STATUSES)


# -- the "New lead ad" wizard --------------------------------------------------------------------

#: The wizard's name leaves room for what it adds to the ad set's and the ad's names.
LEAD_AD_NAME_MAX = 200
#: Territories Babel knows that Meta does not target as countries.
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ"})
_COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")


COUNTRY_NAMES = {code: str(name) for code, name in Locale("en").territories.items() if _COUNTRY_CODE.match(code)}
COUNTRY_CODES = {name.casefold(): code for code, name in COUNTRY_NAMES.items() if code not in NOT_COUNTRIES}


class CountriesInput(fields.Field[list[str]]):
    """Countries as ISO 3166 codes or English names: a JSON list, or a form's comma-separated
    text ("Spain, PT"). Loads as the sorted codes, each once."""

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> list[str]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ValidationError('Give countries as a list of codes, e.g. ["ES", "PT"].')
        codes: set[str] = set()
        for item in (item.strip() for item in items):
            if not item:
                continue
            code = item.upper() if _COUNTRY_CODE.match(item) else COUNTRY_CODES.get(item.casefold())
            if code is None or code not in COUNTRY_NAMES or code in NOT_COUNTRIES:
                raise ValidationError(f"Unknown country: {item[:60]}. Use a country's name or its two-letter code.")
            codes.add(code)
        if not codes:
            raise ValidationError("Choose at least one country.")
        if len(codes) > 25:
            raise ValidationError("At most 25 countries here; for more, build the ad set on its own form.")
        return sorted(codes)


class AgeInput(fields.Field[int]):
    """An age from 13 to 65 as a whole number (a JSON integer, or digits from a form): 18.5 is
    refused, not cut to 18."""

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> int:
        if isinstance(value, str) and _DIGITS.match(value.strip()):
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 13 <= value <= 65:
            raise ValidationError("Must be a whole number from 13 to 65.")
        return value


class AmountInput(fields.Field[str]):
    """An amount in the account currency's major units as people type it ("25", "25.50"); the
    wizard turns it into minor units once it knows the currency."""

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> str:
        text = str(value).strip().replace(" ", "") if isinstance(value, str | int) and not isinstance(value, bool) else ""
        if not re.fullmatch(r"\d{1,12}([.,]\d{1,2})?", text):
            raise ValidationError("Must be an amount like 25 or 25.50.")
        return text.replace(",", ".")


class LeadAdSchema(Schema):
    """A lead ad in one go: the ad account, one of our lead forms (its Page is what the ad
    promotes), a name, a daily budget (``daily_budget`` in minor units, or ``daily_budget_amount``
    as typed: "25.50"), countries and ages, the ad's text, headline, image, link and button."""

    class Meta:
        unknown = RAISE

    ad_account_id = fields.Integer(required=True, strict=False)
    lead_form_id = fields.Integer(required=True, strict=False)
    name = fields.String(
        required=True,
        validate=[
            validate.Length(max=LEAD_AD_NAME_MAX, error=f"Must be at most {LEAD_AD_NAME_MAX} characters."),
            validate.Predicate("strip", error="Must not be empty."),
        ],
        error_messages={"required": "A name is required."},
    )
    daily_budget = MinorUnitsInput(
        allow_none=True, metadata={"type": "integer", "description": "Minor units: 2550 = 25.50 EUR."}
    )
    daily_budget_amount = AmountInput(
        allow_none=True,
        metadata={"type": "string", "description": 'As typed, in major units: "25.50" (EUR), "3000" (JPY).'},
    )
    countries = CountriesInput(
        required=True,
        error_messages={"required": "Choose at least one country."},
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": 'ISO 3166 codes (or English names): ["ES", "PT"].',
        },
    )
    age_min = AgeInput(load_default=18, metadata={"type": "integer", "minimum": 13, "maximum": 65})
    age_max = AgeInput(load_default=65, metadata={"type": "integer", "minimum": 13, "maximum": 65})
    advantage_audience = fields.Boolean(load_default=False)
    special_ad_categories = fields.List(_choice(SPECIAL_AD_CATEGORIES), load_default=list)
    headline = fields.String(validate=validate.Length(max=HEADLINE_MAX), allow_none=True)
    message = fields.String(
        required=True,
        validate=[validate.Length(max=5000), validate.Predicate("strip", error="A lead ad needs its text.")],
        error_messages={"required": "A lead ad needs its text."},
    )
    image_url = fields.Url(schemes={"http", "https"}, allow_none=True)
    link = fields.Url(schemes={"http", "https"}, allow_none=True)
    call_to_action = _choice(LEAD_CALLS_TO_ACTION, load_default="SIGN_UP")

    @validates_schema
    def _budget_and_ages(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        given = [name for name in ("daily_budget", "daily_budget_amount") if data.get(name) is not None]
        if not given:
            raise ValidationError("Set a daily budget.", "daily_budget_amount")
        if len(given) == 2:
            raise ValidationError("Give daily_budget or daily_budget_amount, not both.", "daily_budget_amount")
        if data.get("age_min", 18) > data.get("age_max", 65):
            raise ValidationError("Must not be below the youngest age.", "age_max")
