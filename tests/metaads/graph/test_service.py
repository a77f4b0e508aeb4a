"""MetaAdsService over real HTTP: the right Graph calls, parsed into typed results."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from metaads.graph import GraphClient, GraphNotFoundError, GraphTransientError
from metaads.graph.schemas import LEAD
from metaads.graph.types import LeadData
from metaads.service import MetaAdsService, act, time_created_filter
from tests.metaads.graph.fakegraph import APP_ID, APP_SECRET, TOKEN, Recorded, Reply, ScriptedGraph

CAMPAIGN = {
    "id": "120210000000000001",
    "account_id": "123",
    "name": "Leads Q1",
    "objective": "OUTCOME_LEADS",
    "status": "PAUSED",
    "special_ad_categories": [],
}


def lead(lead_id: str) -> dict:
    return {
        "id": lead_id,
        "created_time": "2021-12-30T14:59:02+0000",
        "form_id": "82595106832717",
        "field_data": [{"name": "email", "values": [f"{lead_id}@example.com"]}],
    }


@pytest.fixture
def service(client: GraphClient) -> MetaAdsService:
    return MetaAdsService(client)


def test_list_ad_accounts_pages_through_me_adaccounts(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on(
        "GET",
        "/v25.0/me/adaccounts",
        lambda r: (
            Reply(
                json={
                    "data": [{"id": "act_1", "account_id": "1", "currency": "EUR", "amount_spent": "4200"}],
                    "paging": {"cursors": {"after": "a"}, "next": f"{graph.url}/v25.0/me/adaccounts?after=a"},
                }
            )
            if r.arg("after") is None
            else Reply(
                json={
                    "data": [{"id": "act_2", "account_id": "2", "currency": "JPY", "amount_spent": "500"}],
                    "paging": {"cursors": {"after": "b"}},
                }
            )
        ),
    )

    accounts = service.list_ad_accounts(TOKEN)

    assert [(a.id, a.currency, a.amount_spent) for a in accounts] == [("act_1", "EUR", 4200), ("act_2", "JPY", 500)]
    assert "amount_spent" in (graph.requests[0].arg("fields") or "")


def test_create_campaign_sends_required_defaults_then_reads_it_back(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on("POST", "/v25.0/act_123/campaigns", Reply(json={"id": "120210000000000001"}))
    graph.on("GET", "/v25.0/120210000000000001", Reply(json=CAMPAIGN))

    campaign = service.create_campaign("123", {"name": "Leads Q1", "objective": "OUTCOME_LEADS", "status": "PAUSED"}, TOKEN)

    form = graph.requests[0].form
    assert form["special_ad_categories"] == ["[]"] and form["is_adset_budget_sharing_enabled"] == ["false"]
    assert (campaign.id, campaign.objective) == ("120210000000000001", "OUTCOME_LEADS")


def test_a_campaign_budget_does_not_get_the_sharing_flag(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on("POST", "/v25.0/act_123/campaigns", Reply(json={"id": "120210000000000001"}))
    graph.on("GET", "/v25.0/120210000000000001", Reply(json=CAMPAIGN))

    service.create_campaign("act_123", {"name": "CBO", "daily_budget": 1000}, TOKEN)

    assert "is_adset_budget_sharing_enabled" not in graph.requests[0].form
    assert graph.requests[0].form["daily_budget"] == ["1000"]


def test_update_and_status(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on("POST", "/v25.0/120210000000000001", Reply(json={"success": True}))
    graph.on("GET", "/v25.0/120210000000000001", Reply(json={**CAMPAIGN, "daily_budget": "2000"}))

    assert service.update_campaign("120210000000000001", {"daily_budget": 2000}, TOKEN).daily_budget == 2000
    service.set_campaign_status("120210000000000001", "ACTIVE", TOKEN)
    with pytest.raises(ValueError):
        service.set_campaign_status("120210000000000001", "DELETED", TOKEN)  # type: ignore[arg-type]

    assert [h.form.get("status") for h in graph.hits("POST")] == [None, ["ACTIVE"]]


def test_create_ad_set_goes_to_the_accounts_adsets_edge(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on("GET", "/v25.0/120210000000000001", Reply(json={"id": "120210000000000001", "account_id": "123"}))
    graph.on("POST", "/v25.0/act_123/adsets", Reply(json={"id": "120210000000000002"}))
    graph.on(
        "GET",
        "/v25.0/120210000000000002",
        Reply(
            json={
                "id": "120210000000000002",
                "campaign_id": "120210000000000001",
                "daily_budget": "2000",
                "targeting": {"geo_locations": {"countries": ["US"]}},
            }
        ),
    )

    ad_set = service.create_ad_set(
        "120210000000000001",
        {
            "name": "Leads - US",
            "daily_budget": 2000,
            "targeting": {"geo_locations": {"countries": ["US"]}},
            "promoted_object": {"page_id": "102858741624226"},
        },
        TOKEN,
    )

    post = graph.hits("POST")[0]
    assert post.form["campaign_id"] == ["120210000000000001"]
    assert json.loads(post.form["promoted_object"][0]) == {"page_id": "102858741624226"}
    assert graph.requests[0].arg("fields") == "account_id"
    assert (ad_set.id, ad_set.daily_budget, ad_set.campaign_id) == ("120210000000000002", 2000, "120210000000000001")


def test_create_ad_with_a_known_account_skips_the_lookup(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on("POST", "/v25.0/act_123/ads", Reply(json={"id": "9"}))
    graph.on("GET", "/v25.0/9", Reply(json={"id": "9", "adset_id": "2", "creative": {"id": "77"}}))

    ad = service.create_ad("2", {"name": "Ad", "creative": {"creative_id": "77"}, "status": "PAUSED"}, TOKEN, account_id="123")

    assert [h.method for h in graph.requests] == ["POST", "GET"]
    assert graph.requests[0].form["adset_id"] == ["2"]
    assert ad.creative_id == "77"


def test_get_leads_filters_on_time_created_and_pages_to_the_end(service: MetaAdsService, graph: ScriptedGraph) -> None:
    def leads_edge(recorded: Recorded) -> Reply:
        if recorded.arg("after") is None:
            return Reply(
                json={
                    "data": [lead("1"), lead("2")],
                    "paging": {"cursors": {"after": "p1"}, "next": f"{graph.url}/v25.0/82595106832717/leads?after=p1&limit=100"},
                }
            )
        return Reply(json={"data": [lead("3")], "paging": {"cursors": {"after": "p2"}}})

    graph.on("GET", "/v25.0/82595106832717/leads", leads_edge)
    since = dt.datetime(2021, 12, 1, tzinfo=dt.UTC)

    leads = list(service.get_leads("82595106832717", TOKEN, since=since, until=1640995200))

    assert [x.id for x in leads] == ["1", "2", "3"] and all(isinstance(x, LeadData) for x in leads)
    first = graph.requests[0]
    assert json.loads(first.arg("filtering") or "") == [
        {"field": "time_created", "operator": "GREATER_THAN", "value": int(since.timestamp()) - 1},
        {"field": "time_created", "operator": "LESS_THAN", "value": 1640995200},
    ]
    assert first.arg("fields") == ",".join(LEAD.fields)
    assert graph.requests[1].arg("fields") == ",".join(LEAD.fields)


def test_get_lead_pages_resumes_from_a_cursor(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on("GET", "/v25.0/82595106832717/leads", Reply(json={"data": [lead("3")], "paging": {"cursors": {"after": "p2"}}}))

    (page,) = list(service.get_lead_pages("82595106832717", TOKEN, after="p1", page_size=50))

    assert page.after == "p2" and [x.id for x in page.items] == ["3"]
    assert graph.requests[0].arg("after") == "p1" and graph.requests[0].arg("limit") == "50"
    assert "filtering" not in graph.requests[0].query


def test_get_leads_limit(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on(
        "GET",
        "/v25.0/82595106832717/leads",
        Reply(json={"data": [lead("1"), lead("2")], "paging": {"next": f"{graph.url}/v25.0/82595106832717/leads?after=x"}}),
    )
    assert [x.id for x in service.get_leads("82595106832717", TOKEN, limit=1)] == ["1"]
    assert len(graph.requests) == 1 and graph.requests[0].arg("limit") == "1"


def test_get_leads_batch_maps_each_id_to_its_lead_or_error(service: MetaAdsService, graph: ScriptedGraph) -> None:
    missing = {"error": {"message": "does not exist", "code": 100, "error_subcode": 33}}
    graph.on(
        "POST",
        "/v25.0/",
        Reply(
            json=[
                {"code": 200, "body": json.dumps(lead("1"))},
                {"code": 400, "body": json.dumps(missing)},
                None,
                {"code": 200, "body": json.dumps({"id": "4"})},  # no created_time: unreadable
            ]
        ),
    )

    results = service.get_leads_batch(["1", "2", "3", "4", "1"], TOKEN)

    assert list(results) == ["1", "2", "3", "4"]
    assert isinstance(results["1"], LeadData) and results["1"].field_data == lead("1")["field_data"]
    assert isinstance(results["2"], GraphNotFoundError)
    assert isinstance(results["3"], GraphTransientError)
    assert type(results["4"]).__name__ == "GraphResponseError"
    assert len(json.loads(graph.requests[0].form["batch"][0])) == 4


def test_debug_token_uses_the_app_token(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on(
        "GET",
        "/v25.0/debug_token",
        Reply(json={"data": {"is_valid": True, "type": "USER", "expires_at": 1752254132, "scopes": ["ads_read"]}}),
    )

    info = service.debug_token("EAAuser")

    hit = graph.requests[0]
    assert hit.token == f"{APP_ID}|{APP_SECRET}" and hit.arg("input_token") == "EAAuser"
    assert info.is_valid and info.scopes == ("ads_read",) and info.expires_at == dt.datetime.fromtimestamp(1752254132, dt.UTC)


def test_oauth_exchanges(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on(
        "GET", "/v25.0/oauth/access_token", Reply(json={"access_token": "EAAlong", "token_type": "bearer", "expires_in": 5183944})
    )

    short = service.exchange_code("AQDcode", "https://app.example/cb")
    long = service.exchange_long_lived("EAAshort")

    code_call, exchange_call = graph.requests
    assert (code_call.arg("client_id"), code_call.arg("client_secret"), code_call.arg("code")) == (APP_ID, APP_SECRET, "AQDcode")
    assert code_call.arg("redirect_uri") == "https://app.example/cb" and code_call.token is None
    assert (exchange_call.arg("grant_type"), exchange_call.arg("fb_exchange_token")) == ("fb_exchange_token", "EAAshort")
    assert short.access_token == long.access_token == "EAAlong" and long.expires_in == 5183944


def test_pages_and_subscriptions(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on(
        "GET",
        "/v25.0/me/accounts",
        Reply(json={"data": [{"id": "102858741624226", "name": "Acme", "access_token": "EAApage", "tasks": ["ADVERTISE"]}]}),
    )
    graph.on(
        "GET",
        "/v25.0/102858741624226/subscribed_apps",
        Reply(json={"data": [{"id": APP_ID, "name": "My App", "subscribed_fields": ["leadgen"]}]}),
    )
    graph.on("POST", "/v25.0/102858741624226/subscribed_apps", Reply(json={"success": "true"}))
    graph.on("GET", "/v25.0/me", Reply(json={"id": 10203040, "name": "Ada"}))

    (page,) = service.list_pages(TOKEN)
    (app,) = service.get_subscribed_apps(page.id, "EAApage")
    subscribed = service.subscribe_page(page.id, "EAApage")
    me = service.get_me(TOKEN)

    assert (page.access_token, page.tasks) == ("EAApage", ("ADVERTISE",))
    assert app.subscribed_fields == ("leadgen",)
    assert subscribed and graph.hits("POST")[0].form["subscribed_fields"] == ["leadgen"]
    assert graph.hits("POST")[0].token == "EAApage"
    assert me.id == "10203040"


def test_lead_forms(service: MetaAdsService, graph: ScriptedGraph) -> None:
    form = {
        "id": "82595106832717",
        "name": "Quote",
        "page": {"id": "102858741624226"},
        "questions": [{"key": "email", "type": "EMAIL"}],
    }
    graph.on("GET", "/v25.0/102858741624226/leadgen_forms", Reply(json={"data": [form]}))
    graph.on("GET", "/v25.0/82595106832717", Reply(json=form))

    assert service.list_lead_forms("102858741624226", "EAApage")[0].questions[0].key == "email"
    assert service.get_lead_form("82595106832717", TOKEN).page_id == "102858741624226"
    assert "questions" in (graph.requests[0].arg("fields") or "")


def test_test_leads(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on("POST", "/v25.0/82595106832717/test_leads", Reply(json={"id": "555"}))
    graph.on("GET", "/v25.0/82595106832717/test_leads", Reply(json={"data": [lead("555")]}))
    graph.on("DELETE", "/v25.0/555", Reply(json={"success": True}))

    created = service.create_test_lead("82595106832717", "EAApage", [{"name": "email", "values": ["t@t.com"]}])
    listed = service.list_test_leads("82595106832717", "EAApage")
    deleted = service.delete_lead(created, "EAApage")

    assert created == "555" and [x.id for x in listed] == ["555"] and deleted
    assert json.loads(graph.requests[0].form["field_data"][0]) == [{"name": "email", "values": ["t@t.com"]}]


def test_get_insights_asks_for_currency_and_converts_spend(service: MetaAdsService, graph: ScriptedGraph) -> None:
    graph.on(
        "GET",
        "/v25.0/act_123/insights",
        Reply(
            json={
                "data": [
                    {
                        "campaign_id": "1",
                        "spend": "85.42",
                        "account_currency": "EUR",
                        "actions": [{"action_type": "lead", "value": "3"}],
                        "date_start": "2026-06-01",
                        "date_stop": "2026-06-01",
                    },
                    {"campaign_id": "2", "spend": "1200", "date_start": "2026-06-01", "date_stop": "2026-06-01"},
                ]
            }
        ),
    )

    rows = list(
        service.get_insights(
            "act_123",
            "campaign",
            TOKEN,
            time_range=(dt.date(2026, 6, 1), dt.date(2026, 6, 7)),
            time_increment=1,
            fields=["campaign_id", "spend", "actions"],
            breakdowns=["age", "gender"],
            currency="JPY",
        )
    )

    hit = graph.requests[0]
    assert hit.arg("fields") == "campaign_id,spend,actions,account_currency"
    assert (hit.arg("level"), hit.arg("time_increment"), hit.arg("breakdowns")) == ("campaign", "1", "age,gender")
    assert json.loads(hit.arg("time_range") or "") == {"since": "2026-06-01", "until": "2026-06-07"}
    assert [(r.spend, r.currency, r.leads) for r in rows] == [(8542, "EUR", 3), (1200, "JPY", None)]
    with pytest.raises(ValueError):
        list(service.get_insights("act_123", "everything", TOKEN))  # type: ignore[arg-type]


def test_helpers() -> None:
    assert act("123") == act("act_123") == "act_123"
    with pytest.raises(ValueError):
        act("act_12x")
    assert time_created_filter(None, None) == []
