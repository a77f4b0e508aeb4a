"""The "New lead ad" wizard: a campaign, its ad set and its ad built around one of our lead forms
in one go, every one ``PAUSED``, under Meta's current rules (ads-insights.md §5-6):

- the campaign: ``OUTCOME_LEADS``, ``special_ad_categories`` always, no campaign budget (so
  ``is_adset_budget_sharing_enabled`` is sent);
- the ad set: the daily budget, ``destination_type=ON_AD``, ``optimization_goal=LEAD_GENERATION``,
  ``billing_event=IMPRESSIONS``, ``promoted_object.page_id`` the form's Page, countries and ages
  with an explicit ``advantage_audience``;
- the ad: a creative of that Page whose ``call_to_action.value.lead_gen_form_id`` is the form.

Everything we can judge is judged first (:func:`plan`: a 400 and no Graph call), then each step
goes through the same write path as the campaign, ad set and ad forms (:mod:`metaads.ads.writes`:
idempotent, audited, lost answers read back). Each step has its own idempotency key, made from
the request's: a retry after a failed step finds the objects the earlier steps made and goes on
from the step that failed, never making them twice.

"Check with Meta" asks Meta about each step with ``validate_only``. Meta can judge an ad set only
under a campaign that exists, and an ad only in an ad set that exists: before those exist, the
ad set is judged here only, and of the ad Meta judges its creative (Page, form, button, link).
"""

from __future__ import annotations

import dataclasses
import decimal
import typing as t
import uuid

from marshmallow import ValidationError

from metaads.ads import params, writes
from metaads.ads.inputs import BUDGET_MAX, LeadAdSchema
from metaads.ads.store import AdObject
from metaads.graph.money import currency_offset, to_minor_units
from metaads.models import AdAccount, AdCampaign, AdSet, LeadForm
from metaads.models.enums import FormStatus
from plugins.core.extensions import db
from plugins.core.http import APIError

Kind = t.Literal["campaign", "adset", "ad"]
STEPS: tuple[Kind, ...] = ("campaign", "adset", "ad")
PARENT: dict[str, Kind] = {"adset": "campaign", "ad": "adset"}
#: The longest idempotency key a client may send: the wizard adds ``:campaign`` and the like.
KEY_MAX = 200
#: Where a refusal of what a step sends belongs on the wizard's form.
FIELDS = {
    "name": "name",
    "special_ad_categories": "special_ad_categories",
    "targeting": "countries",
    "promoted_object": "lead_form_id",
    "creative": "lead_form_id",
    "object_story_spec": "lead_form_id",
    "creative.lead_form_id": "lead_form_id",
    "creative.page_id": "lead_form_id",
    "creative.message": "message",
    "creative.headline": "headline",
    "creative.image_url": "image_url",
    "creative.link": "link",
    "creative.call_to_action": "call_to_action",
}


WIZARD_FIELDS = frozenset(LeadAdSchema().fields)


@dataclasses.dataclass
class Plan:
    """What each step sends, judged before any of them is sent."""

    account: AdAccount
    form: LeadForm
    key: str
    budget_field: str  # the field the client gave its budget in: refusals of it go there
    campaign: dict[str, t.Any]  # the campaign's Meta parameters
    ad_set: dict[str, t.Any]  # the ad set's input (its campaign is known once made)
    ad: dict[str, t.Any]  # the ad's input (its ad set is known once made)
    earlier: dict[str, AdObject]  # what earlier tries with this key made

    def field_of(self, name: str | None) -> str | None:
        """The form field a parameter Meta (or a step's own check) blamed belongs to."""
        if name in ("daily_budget", "lifetime_budget"):
            return self.budget_field
        if name in WIZARD_FIELDS:
            return name
        return FIELDS.get(name or "")


@dataclasses.dataclass
class Step:
    """How one step ended: ``created``, ``existing`` (made by an earlier try with this key),
    ``checked`` (Meta would accept it), ``unchecked`` (Meta can't judge it until its parent
    exists; judged here), ``failed``, or ``not_started``."""

    kind: Kind
    status: str
    row: AdObject | None = None
    message: str | None = None
    error: APIError | None = None
    field: str | None = None


@dataclasses.dataclass
class Outcome:
    plan: Plan
    steps: list[Step]
    checked: bool

    @property
    def failed(self) -> Step | None:
        return next((step for step in self.steps if step.status == "failed"), None)

    def row(self, kind: Kind) -> AdObject | None:
        return next((step.row for step in self.steps if step.kind == kind), None)


# -- 1. judge everything we can ------------------------------------------------------------------


def plan(body: t.Mapping[str, t.Any], key: str | None) -> Plan:
    """The three steps' parameters from the client's input. Anything wrong is a
    :class:`ValidationError` on the wizard's own fields: a 400, and no call to Meta."""
    if key is not None and len(key) > KEY_MAX:
        raise ValidationError({"idempotency_key": [f"Must be at most {KEY_MAX} characters."]})
    data = LeadAdSchema().load(body)
    account = db.session.get(AdAccount, data["ad_account_id"])
    if account is None:
        raise ValidationError({"ad_account_id": ["No such ad account."]})
    form = db.session.get(LeadForm, data["lead_form_id"])
    if form is None:
        raise ValidationError({"lead_form_id": ["No such lead form."]})
    if form.status != FormStatus.ACTIVE:
        raise ValidationError({"lead_form_id": ["This lead form is not active: Meta takes only active forms in new ads."]})
    if not str(form.page_id or "").isdigit():
        raise ValidationError({"lead_form_id": ["This lead form's Page is not known yet: sync the lead forms first."]})
    key = key or uuid.uuid4().hex
    budget_field = "daily_budget" if data.get("daily_budget") is not None else "daily_budget_amount"
    budget = data.get("daily_budget") or minor_units(data["daily_budget_amount"], account.currency)
    earlier = made_with(key)
    made = Plan(
        account=account,
        form=form,
        key=key,
        budget_field=budget_field,
        campaign=campaign_params(data, account),
        ad_set=ad_set_input(data, form, budget),
        ad=ad_input(data, form),
        earlier=earlier,
    )
    try:
        rehearse(made)
    except ValidationError as exc:
        raise ValidationError(on_wizard_fields(made, exc.messages)) from None
    return made


def minor_units(amount: str, currency: str) -> int:
    """A typed amount ("25.50") in the account currency's minor units; more decimals than the
    currency has at Meta (any, for JPY or HUF) are refused, not rounded."""
    field = "daily_budget_amount"
    value = decimal.Decimal(amount)
    if currency_offset(currency) == 1 and value != value.to_integral_value():
        raise ValidationError({field: [f"{currency} budgets are whole amounts at Meta (no decimals)."]})
    minor = to_minor_units(value, currency)
    if minor <= 0:
        raise ValidationError({field: ["Must be more than 0."]})
    if minor > BUDGET_MAX:
        raise ValidationError({field: ["That is not a daily budget: check the amount."]})
    return minor


def campaign_params(data: t.Mapping[str, t.Any], account: AdAccount) -> dict[str, t.Any]:
    return params.campaign_create(
        {
            "ad_account_id": account.id,
            "name": data["name"].strip(),
            "objective": "OUTCOME_LEADS",
            "status": "PAUSED",
            "special_ad_categories": data["special_ad_categories"],
        }
    )


def ad_set_input(data: t.Mapping[str, t.Any], form: LeadForm, budget: int) -> dict[str, t.Any]:
    countries = data["countries"]
    shown = ", ".join(countries[:3]) + (f" +{len(countries) - 3}" if len(countries) > 3 else "")
    targeting: dict[str, t.Any] = {
        "geo_locations": {"countries": countries},
        "age_min": data["age_min"],
        "age_max": data["age_max"],
        "targeting_automation": {"advantage_audience": 1 if data["advantage_audience"] else 0},
    }
    return {
        "name": f"{data['name'].strip()} – {shown} {data['age_min']}-{data['age_max']}",
        "status": "PAUSED",
        "daily_budget": budget,
        "billing_event": "IMPRESSIONS",
        "optimization_goal": "LEAD_GENERATION",
        "destination_type": "ON_AD",
        "promoted_object": {"page_id": form.page_id},
        "targeting": targeting,
    }


def ad_input(data: t.Mapping[str, t.Any], form: LeadForm) -> dict[str, t.Any]:
    creative = {
        "lead_form_id": form.id,
        "page_id": form.page_id,
        "message": data["message"].strip(),
        "headline": (data.get("headline") or "").strip() or None,
        "image_url": data.get("image_url"),
        "link": data.get("link"),
        "call_to_action": data["call_to_action"],
    }
    return {"name": f"{data['name'].strip()} – Ad", "status": "PAUSED", "creative": params.present(creative)}


def rehearse(made: Plan) -> None:
    """Build every step's parameters now, on stand-ins for the campaign and ad set not made yet
    (never added to the session), so what only those builders judge is refused before the first
    step is sent. Objects an earlier try made must fit this input."""
    campaign = made.earlier.get("campaign")
    if isinstance(campaign, AdCampaign) and campaign.ad_account_id != made.account.id:
        raise ValidationError(
            {"ad_account_id": ["This lead ad's campaign was made in another ad account: start a new lead ad for this one."]}
        )
    stand_in_campaign = (
        campaign if isinstance(campaign, AdCampaign) else AdCampaign(meta_campaign_id="0", objective="OUTCOME_LEADS")
    )
    ad_set = made.earlier.get("adset")
    if not isinstance(ad_set, AdSet):
        promoted = made.ad_set["promoted_object"]
        ad_set = AdSet(meta_adset_id="0", metadata_={"promoted_object": promoted, "destination_type": "ON_AD"})
        params.ad_set_create(made.ad_set, stand_in_campaign)
    params.ad_create(made.ad, ad_set)


def on_wizard_fields(made: Plan, messages: t.Any) -> dict[str, list[str]]:
    """A step's own refusal (``targeting``, ``creative.page_id``) on the wizard's fields."""
    flat: dict[str, list[str]] = {}

    def walk(value: t.Any, prefix: str) -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                walk(inner, f"{prefix}.{name}" if prefix else str(name))
            return
        field = made.field_of(prefix) or made.field_of(prefix.split(".")[0]) or "_schema"
        flat.setdefault(field, []).extend(str(item) for item in (value if isinstance(value, list) else [value]))

    walk(messages if isinstance(messages, dict) else {"_schema": messages}, "")
    return flat


def step_key(key: str, kind: str) -> str:
    return f"{key}:{kind}"


def made_with(key: str) -> dict[str, AdObject]:
    """What tries with this key made, by step."""
    if len(key) > KEY_MAX:
        return {}
    return {kind: row for kind in STEPS if (row := writes.created_by(kind, step_key(key, kind))) is not None}


# -- 2. the steps --------------------------------------------------------------------------------


def run(made: Plan, *, check: bool) -> Outcome:
    """Create (or, with ``check``, ask Meta about) each step in order. A created step stops a
    failed run from going on; a check goes on, so every refusal shows at once."""
    writes.connection(made.account)  # a dead or missing connection: 409 before any step
    steps: list[Step] = []
    rows: dict[str, AdObject] = dict(made.earlier)
    for kind in STEPS:
        if kind in made.earlier:
            steps.append(Step(kind, "existing", made.earlier[kind]))
            continue
        if not check and any(step.status == "failed" for step in steps):
            steps.append(Step(kind, "not_started"))
            continue
        try:
            steps.append(check_step(made, kind, rows) if check else create_step(made, kind, rows))
        except ValidationError as exc:
            db.session.rollback()
            fields = on_wizard_fields(made, exc.messages)
            first = next(iter(fields))
            error = APIError(400, "validation_error", " ".join(fields[first]), {"fields": fields})
            steps.append(Step(kind, "failed", error=error, field=first))
        except APIError as exc:
            db.session.rollback()
            steps.append(Step(kind, "failed", error=exc, field=made.field_of((exc.details or {}).get("field"))))
        else:
            if steps[-1].row is not None:
                rows[kind] = steps[-1].row
    return Outcome(made, steps, check)


def build(made: Plan, kind: Kind, rows: t.Mapping[str, AdObject]) -> dict[str, t.Any]:
    """What the step sends, on the parent made by the step before."""
    if kind == "campaign":
        return made.campaign
    if kind == "adset":
        campaign = rows["campaign"]
        assert isinstance(campaign, AdCampaign)
        return params.ad_set_create(made.ad_set, campaign)
    ad_set = rows["adset"]
    assert isinstance(ad_set, AdSet)
    return params.ad_create(made.ad, ad_set)


def create_step(made: Plan, kind: Kind, rows: t.Mapping[str, AdObject]) -> Step:
    row = writes.create(kind, made.account, build(made, kind, rows), key=step_key(made.key, kind))
    return Step(kind, "created", row)


def check_step(made: Plan, kind: Kind, rows: t.Mapping[str, AdObject]) -> Step:
    parent = PARENT.get(kind)
    if parent is None or parent in rows:
        writes.create(kind, made.account, build(made, kind, rows), key=None, validate_only=True)
        return Step(kind, "checked", message="Meta would accept it.")
    if kind == "adset":
        return Step(kind, "unchecked", message="Checked here; Meta judges an ad set once its campaign exists.")
    stand_in = AdSet(meta_adset_id="0", metadata_={"promoted_object": made.ad_set["promoted_object"]})
    writes.check_creative(made.account, params.ad_create(made.ad, stand_in)["creative"])
    return Step(kind, "checked", message="Meta would accept its creative (Page, lead form, button, link).")
