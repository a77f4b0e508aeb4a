"""Graph JSON into typed objects: exact string ids, minor units, UTC times, answers verbatim."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json

import pytest
from marshmallow import ValidationError

from metaads.graph import schemas, types
from metaads.graph.types import AdAccountData, CampaignData, InsightsRow, LeadData, LeadFormData, TokenInfo

# Raw JSON text, as Meta's (or a PHP sample's) bytes would arrive: numeric ids beyond 2**53.
LEAD_JSON = """{
  "id": 769224190664558123, "created_time": "2021-12-30T14:59:02+0000",
  "ad_id": 23849651968300182, "ad_name": "Ad 1", "adset_id": "23849651968300180", "adset_name": "Ad set 1",
  "campaign_id": "23849651968300170", "campaign_name": "Leads Q1", "form_id": 82595106832717,
  "field_data": [
    {"name": "full_name", "values": ["Jane Doe"]},
    {"name": "email", "values": ["jane@example.com"]},
    {"name": "what_is_your_budget?", "values": ["up_to_10k"]},
    {"name": "número_de_teléfono", "values": ["+15555550100"]}
  ],
  "is_organic": false, "platform": "fb",
  "custom_disclaimer_responses": [{"checkbox_key": "optin_1", "is_checked": "1"}],
  "retailer_item_id": "new-field-meta-added"
}"""


def test_lead_loads_with_exact_string_ids_and_verbatim_answers() -> None:
    raw = json.loads(LEAD_JSON)

    lead = schemas.LeadSchema().load(raw)

    assert isinstance(lead, LeadData)
    assert lead.id == "769224190664558123"
    assert lead.ad_id == "23849651968300182" and lead.form_id == "82595106832717"
    assert lead.created_time == dt.datetime(2021, 12, 30, 14, 59, 2, tzinfo=dt.UTC)
    assert lead.field_data == raw["field_data"]
    assert lead.custom_disclaimer_responses == [{"checkbox_key": "optin_1", "is_checked": "1"}]
    assert (lead.is_organic, lead.platform) == (False, "fb")
    assert lead.extra == {"retailer_item_id": "new-field-meta-added"}


def test_an_organic_test_lead_without_ad_fields_loads() -> None:
    lead = schemas.LeadSchema().load({"id": "1", "created_time": "2026-01-01T00:00:00+0000", "is_organic": True})
    assert lead.ad_id is None and lead.field_data == [] and lead.is_organic is True


@pytest.mark.parametrize("bad_id", [7.69224190664558e17, True, "", None])
def test_ids_that_lost_digits_or_are_empty_are_refused(bad_id: object) -> None:
    with pytest.raises(ValidationError):
        schemas.LeadSchema().load({"id": bad_id, "created_time": "2026-01-01T00:00:00+0000"})


def test_ad_account_money_is_integer_minor_units() -> None:
    account = schemas.AdAccountSchema().load(
        {
            "id": "act_123",
            "name": "Acme",
            "currency": "JPY",
            "account_status": 1,
            "amount_spent": "123456",
            "spend_cap": "0",
            "balance": "789",
            "business": {"id": 555, "name": "Acme BM"},
            "timezone_offset_hours_utc": -7.0,
        }
    )

    assert isinstance(account, AdAccountData)
    assert (account.id, account.account_id, account.business_id) == ("act_123", "123", "555")
    assert (account.amount_spent, account.spend_cap, account.balance) == (123456, 0, 789)
    assert account.extra == {"business": {"id": 555, "name": "Acme BM"}}


def test_fractional_minor_units_are_refused() -> None:
    with pytest.raises(ValidationError):
        schemas.AdAccountSchema().load({"id": "act_1", "amount_spent": "12.50"})


def test_campaign_budgets_times_and_categories() -> None:
    campaign = schemas.CampaignSchema().load(
        {
            "id": "120210000000000001",
            "account_id": "123",
            "name": "Q1",
            "daily_budget": "1000",
            "lifetime_budget": None,
            "special_ad_categories": [],
            "start_time": "2026-07-01T00:00:00-0700",
            "status": "PAUSED",
        }
    )

    assert isinstance(campaign, CampaignData)
    assert (campaign.daily_budget, campaign.lifetime_budget, campaign.special_ad_categories) == (1000, None, ())
    assert campaign.start_time == dt.datetime(2026, 7, 1, 7, tzinfo=dt.UTC)


def test_lead_form_questions_and_options() -> None:
    form = schemas.LeadFormSchema().load(
        {
            "id": "82595106832717",
            "name": "Quote form",
            "status": "ACTIVE",
            "locale": "en_US",
            "leads_count": 42,
            "page": {"id": "102858741624226", "name": "Acme"},
            "questions": [
                {"key": "full_name", "label": "Full name", "type": "FULL_NAME", "id": "1"},
                {
                    "key": "budget",
                    "label": "What is your budget?",
                    "type": "CUSTOM",
                    "id": "3",
                    "options": [{"key": "lt_10k", "value": "< 10k"}, {"key": "gte_10k", "value": "10k+"}],
                },
            ],
        }
    )

    assert isinstance(form, LeadFormData)
    assert form.page_id == "102858741624226" and form.leads_count == 42
    assert [q.key for q in form.questions] == ["full_name", "budget"]
    assert [(o.key, o.value) for o in form.questions[1].options] == [("lt_10k", "< 10k"), ("gte_10k", "10k+")]


def test_insights_spend_in_minor_units_and_leads_from_the_lead_action_only() -> None:
    row = schemas.InsightsRowSchema().load(
        {
            "account_id": "123",
            "account_currency": "USD",
            "impressions": "2466376",
            "clicks": "676",
            "spend": "85.42",
            "ctr": "2.741",
            "date_start": "2026-06-01",
            "date_stop": "2026-06-07",
            "age": "25-34",
            "actions": [
                {"action_type": "onsite_conversion.lead_grouped", "value": "12"},
                {"action_type": "lead", "value": "12", "7d_click": "10", "1d_view": "2"},
                {"action_type": "link_click", "value": "300"},
            ],
        }
    )

    assert isinstance(row, InsightsRow)
    assert (row.spend, row.currency, row.impressions, row.clicks) == (8542, "USD", 2466376, 676)
    assert row.leads == 12  # not 24: lead already contains the grouped types
    assert row.ctr == decimal.Decimal("2.741")
    assert row.actions[1].windows == {"7d_click": decimal.Decimal("10"), "1d_view": decimal.Decimal("2")}
    assert (row.date_start, row.date_stop) == (dt.date(2026, 6, 1), dt.date(2026, 6, 7))
    assert row.extra == {"age": "25-34"}


def test_insights_spend_in_jpy_and_legacy_numeric_values() -> None:
    row = schemas.InsightsRowSchema().load({"account_currency": "JPY", "spend": 2352, "impressions": 10})
    assert (row.spend, row.impressions, row.leads) == (2352, 10, None)


def test_insights_spend_without_a_currency_is_refused() -> None:
    with pytest.raises(ValidationError):
        schemas.InsightsRowSchema().load({"spend": "85.42"})


def test_token_info_never_expiring_and_granular_scopes() -> None:
    info = schemas.TokenInfoSchema().load(
        {
            "app_id": "1234",
            "type": "SYSTEM_USER",
            "application": "My App",
            "expires_at": 0,
            "is_valid": True,
            "issued_at": 1747070132,
            "data_access_expires_at": 1754846089,
            "scopes": ["ads_read", "leads_retrieval"],
            "granular_scopes": [{"scope": "pages_show_list", "target_ids": [102858741624226]}, {"scope": "ads_management"}],
            "user_id": "10203040",
        }
    )

    assert isinstance(info, TokenInfo)
    assert info.expires_at is None
    assert info.issued_at == dt.datetime.fromtimestamp(1747070132, dt.UTC)
    assert info.scopes == ("ads_read", "leads_retrieval")
    assert [(g.scope, g.target_ids) for g in info.granular_scopes] == [
        ("pages_show_list", ("102858741624226",)),
        ("ads_management", ()),
    ]


def test_loaders_turn_bad_shapes_into_graph_response_errors() -> None:
    from metaads.graph import GraphResponseError

    with pytest.raises(GraphResponseError, match="created_time"):
        schemas.LEAD.load({"id": "1"})
    with pytest.raises(GraphResponseError):
        schemas.LEAD.load(["not", "an", "object"])
    assert schemas.LEAD.load({"id": 1, "created_time": 0}).created_time == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# -- one declaration per entity: what we ask Graph for is what we load -------------------------


def test_a_reads_fields_are_derived_from_its_schema() -> None:
    # Nested objects a pre_load flattens are asked for by their Graph expression.
    assert "business{id,name}" in schemas.AD_ACCOUNT.fields and "business_id" not in schemas.AD_ACCOUNT.fields
    assert "creative{id,thumbnail_url,image_url,object_story_spec}" in schemas.AD.fields and "page" in schemas.LEAD_FORM.fields
    assert "thumbnail_url" not in schemas.AD.fields  # derived from the creative's expansion
    # A data_key is the Graph name: the row's currency is Meta's account_currency.
    assert "account_currency" in schemas.INSIGHTS_ROW.fields and "currency" not in schemas.INSIGHTS_ROW.fields
    assert schemas.LEAD.fields == (
        "id", "created_time", "field_data", "form_id", "ad_id", "ad_name", "adset_id", "adset_name",
        "campaign_id", "campaign_name", "is_organic", "platform", "custom_disclaimer_responses",
    )  # fmt: skip


@pytest.mark.parametrize("name", [n for n, v in vars(schemas).items() if isinstance(v, schemas.Loader)])
def test_every_schema_field_is_a_dataclass_field(name: str) -> None:
    """The dataclass is the typed result and the schema the declaration: they name the same fields
    (``extra`` aside, and what ``adjust`` derives, such as an insights row's ``leads``)."""
    loader = getattr(schemas, name)
    declared = {field.name for field in dataclasses.fields(loader.model)} - {"extra"}
    derived = {"leads"} if loader.model is types.InsightsRow else set()
    assert set(loader.schema.load_fields) == declared - derived
