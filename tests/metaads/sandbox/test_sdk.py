"""Meta's own Python SDK (facebook_business) talks to the sandbox as it would to Graph."""

from __future__ import annotations

import re
import typing as t

import pytest
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.campaign import Campaign
from facebook_business.adobjects.lead import Lead
from facebook_business.adobjects.leadgenform import LeadgenForm
from facebook_business.adobjects.user import User
from facebook_business.api import FacebookAdsApi, FacebookResponse
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from metaads.sandbox import SandboxState
from tests.metaads.sandbox.conftest import Graph

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")
LEAD_FIELDS = ["id", "created_time", "ad_id", "adset_id", "campaign_id", "form_id", "field_data", "is_organic", "platform"]


def make_api(sandbox: Graph, app_secret: str | None, token: str | None = None) -> FacebookAdsApi:
    session = FacebookSession(sandbox.state.config["APP_ID"], app_secret, token or sandbox.token)
    session.GRAPH = sandbox.base_url.rstrip("/")  # the SDK builds GRAPH/version/path
    return FacebookAdsApi(session, api_version="v26.0")


@pytest.fixture
def api(sandbox: Graph) -> t.Iterator[FacebookAdsApi]:
    previous = FacebookAdsApi.get_default_api()
    api = make_api(sandbox, sandbox.state.config["APP_SECRET"])
    FacebookAdsApi.set_default_api(api)
    yield api
    FacebookAdsApi.set_default_api(previous)


def test_lists_ad_accounts_with_minor_unit_strings(api: FacebookAdsApi, state: SandboxState) -> None:
    accounts = list(
        User(fbid="me").get_ad_accounts(
            fields=[
                AdAccount.Field.id,
                AdAccount.Field.account_id,
                AdAccount.Field.currency,
                AdAccount.Field.amount_spent,
                AdAccount.Field.timezone_name,
                AdAccount.Field.account_status,
            ]
        )
    )
    by_currency = {a[AdAccount.Field.currency]: a for a in accounts}
    assert set(by_currency) == {"EUR", "JPY", "USD"}
    eur = by_currency["EUR"]
    assert eur[AdAccount.Field.id] == "act_" + eur[AdAccount.Field.account_id]
    assert eur[AdAccount.Field.amount_spent] == "1234567"  # minor units, as a string
    assert eur[AdAccount.Field.timezone_name] == "Europe/Madrid"
    assert by_currency["USD"][AdAccount.Field.account_status] == 2


def test_cursor_sees_every_campaign_exactly_once(api: FacebookAdsApi, state: SandboxState) -> None:
    account = state.seed.ad_accounts["EUR"]
    cursor = AdAccount(account).get_campaigns(
        fields=[Campaign.Field.id, Campaign.Field.name, Campaign.Field.effective_status], params={"limit": 2}
    )
    seen = [c[Campaign.Field.id] for c in cursor]
    expected = {state.seed.campaigns[k] for k in ("kitchens", "solar", "blog", "brand", "retargeting")}
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == expected  # archived and deleted campaigns stay hidden
    pages = [c for c in state.calls if c["path"].endswith(f"{account}/campaigns")]
    assert len(pages) == 3 and "after" in pages[-1]["params"]
    archived = AdAccount(account).get_campaigns(fields=["id"], params={"effective_status": ["ARCHIVED"]})
    assert [c["id"] for c in archived] == [state.seed.campaigns["summer"]]


def test_reads_a_paid_and_an_organic_lead(api: FacebookAdsApi, state: SandboxState) -> None:
    leads = [state.lead(i) for i in state.seed.lead_ids]
    paid = next(lead for lead in leads if not lead["is_organic"])
    organic = next(lead for lead in leads if lead["is_organic"])
    got = Lead(paid["id"]).api_get(fields=LEAD_FIELDS)
    assert ISO.match(got["created_time"])
    assert got["ad_id"] == paid["ad_id"] and got["campaign_id"] == paid["campaign_id"]
    assert got["field_data"] == paid["field_data"]
    assert all(isinstance(v, str) for item in got["field_data"] for v in item["values"])
    got = Lead(organic["id"]).api_get(fields=LEAD_FIELDS)
    assert got["is_organic"] is True
    assert "ad_id" not in got.export_all_data() and "campaign_id" not in got.export_all_data()


def test_form_leads_with_time_created_filter(api: FacebookAdsApi, state: SandboxState) -> None:
    form_id = state.seed.forms["standard"]
    leads = sorted(
        (state.lead(i) for i in state.seed.lead_ids if state.lead(i)["form_id"] == form_id),
        key=lambda lead: lead["created_timestamp"],
        reverse=True,
    )
    cutoff = leads[len(leads) // 2]["created_timestamp"]
    cursor = LeadgenForm(form_id).get_leads(
        fields=["id", "created_time", "field_data"],
        params={"filtering": [{"field": "time_created", "operator": "GREATER_THAN", "value": cutoff}], "limit": 3},
    )
    got = [lead["id"] for lead in cursor]
    assert got == [lead["id"] for lead in leads if lead["created_timestamp"] > cutoff]
    assert cursor.total() == len(got)  # the SDK asks for summary=true


def test_batch_with_success_and_failure_callbacks(api: FacebookAdsApi, state: SandboxState) -> None:
    lead_ids = state.seed.lead_ids[:3]
    state.add_fault(kind="lead_gone", path=f"^/{lead_ids[1]}$")
    ok: list[dict[str, t.Any]] = []
    failed: list[FacebookResponse] = []
    batch = api.new_batch()
    for lead_id in lead_ids:
        Lead(lead_id).api_get(
            fields=["id", "field_data"], batch=batch, success=lambda r: ok.append(r.json()), failure=failed.append
        )
    assert batch.execute() is None
    assert [body["id"] for body in ok] == [lead_ids[0], lead_ids[2]]
    error = failed[0].error()
    assert (error.api_error_code(), error.api_error_subcode()) == (100, 33)


def test_batch_null_item_comes_back_for_retry(api: FacebookAdsApi, state: SandboxState) -> None:
    lead_ids = state.seed.lead_ids[:2]
    state.add_fault(kind="batch_null", path=f"^/{lead_ids[0]}$")
    ok: list[str] = []
    batch = api.new_batch()
    for lead_id in lead_ids:
        Lead(lead_id).api_get(fields=["id"], batch=batch, success=lambda r: ok.append(r.json()["id"]))
    retry = batch.execute()
    assert ok == [lead_ids[1]] and retry is not None and len(retry) == 1
    assert retry.execute() is None
    assert ok == [lead_ids[1], lead_ids[0]]


def test_injected_rate_limit_surfaces_as_sdk_error(api: FacebookAdsApi, state: SandboxState) -> None:
    state.add_fault(kind="rate_limit", code=80004, path="/campaigns$", minutes=7)
    with pytest.raises(FacebookRequestError) as caught:
        list(AdAccount(state.seed.ad_accounts["EUR"]).get_campaigns(fields=["id"]))
    error = caught.value
    assert (error.api_error_code(), error.api_error_subcode()) == (80004, 2446079)
    assert error.api_transient_error() is True
    assert '"estimated_time_to_regain_access":7' in error.http_headers()["X-Business-Use-Case-Usage"]


def test_create_campaign_and_refusal(api: FacebookAdsApi, state: SandboxState) -> None:
    account = AdAccount(state.seed.ad_accounts["EUR"])
    created = account.create_campaign(
        params={
            "name": "SDK campaign",
            "objective": "OUTCOME_LEADS",
            "status": "PAUSED",
            "special_ad_categories": [],
            "is_adset_budget_sharing_enabled": False,
        }
    )
    assert created["id"].isdigit() and int(created["id"]) > 2**53
    assert Campaign(created["id"]).api_get(fields=["status", "objective"])["objective"] == "OUTCOME_LEADS"
    with pytest.raises(FacebookRequestError) as caught:
        account.create_campaign(params={"name": "x", "objective": "OUTCOME_LEADS", "status": "PAUSED"})
    assert caught.value.api_error_code() == 100
    assert caught.value.api_blame_field_specs() == [["special_ad_categories"]]


def test_sandbox_checks_the_sdk_appsecret_proof(sandbox: Graph, state: SandboxState) -> None:
    good = make_api(sandbox, state.config["APP_SECRET"])
    assert User(fbid="me", api=good).api_get(fields=["id"])["id"] == state.seed.user_id
    assert "appsecret_proof" not in state.calls[-1]["params"]  # recorded without credentials
    assert "access_token" not in state.calls[-1]["params"]
    for secret in ("not-the-secret", None):
        with pytest.raises(FacebookRequestError) as caught:
            User(fbid="me", api=make_api(sandbox, secret)).api_get(fields=["id"])
        assert caught.value.api_error_code() == 100
        assert "appsecret_proof" in caught.value.api_error_message()


def test_sdk_cursor_stops_at_an_empty_page_that_has_next(api: FacebookAdsApi, state: SandboxState) -> None:
    """facebook_business 26.0.3 ends iteration on an empty page even when paging.next is
    present (§7 allows such pages): a client must follow ``next`` itself, as test_paging does."""
    cursor = LeadgenForm(state.seed.forms["standard"]).get_leads(fields=["id"], params={"limit": 5})
    state.add_fault(kind="empty_page", path="/leads$")
    assert len(list(cursor)) == 5  # 16 leads exist
