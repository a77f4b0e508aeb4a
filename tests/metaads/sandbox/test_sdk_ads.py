"""Meta's official SDK (facebook_business) against the sandbox's ads, insights and
Conversions API endpoints (issues 11-13)."""

from __future__ import annotations

import json
import time
import typing as t

import pytest
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adreportrun import AdReportRun
from facebook_business.adobjects.adset import AdSet
from facebook_business.adobjects.campaign import Campaign
from facebook_business.adobjects.serverside.action_source import ActionSource
from facebook_business.adobjects.serverside.custom_data import CustomData
from facebook_business.adobjects.serverside.event import Event
from facebook_business.adobjects.serverside.event_request import EventRequest
from facebook_business.adobjects.serverside.user_data import UserData
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError

from metaads.sandbox import SandboxState
from tests.metaads.sandbox.conftest import Graph
from tests.metaads.sandbox.test_sdk import make_api


@pytest.fixture
def api(sandbox: Graph) -> t.Iterator[FacebookAdsApi]:
    previous = FacebookAdsApi.get_default_api()
    api = make_api(sandbox, sandbox.state.config["APP_SECRET"])
    FacebookAdsApi.set_default_api(api)
    yield api
    FacebookAdsApi.set_default_api(previous)


def wait_for(job: AdReportRun, polls: int = 10) -> AdReportRun:
    """Meta's documented loop: read until "Job Completed" and 100 % (both, §6.4)."""
    for _ in range(polls):
        job = job.api_get()
        if job[AdReportRun.Field.async_status] == "Job Completed" and job[AdReportRun.Field.async_percent_completion] == 100:
            return job
        time.sleep(0.01)
    raise AssertionError(f"job never finished: {job[AdReportRun.Field.async_status]}")


def test_async_insights_with_get_insights_is_async(api: FacebookAdsApi, state: SandboxState) -> None:
    state.add_fault(kind="report_running_at_100", path="/insights$", method="POST")
    account = AdAccount(state.seed.ad_accounts["EUR"])
    params = {"level": "ad", "time_increment": 1, "date_preset": "last_7d"}
    fields = ["ad_id", "spend", "actions", "date_start", "date_stop"]
    job = account.get_insights(is_async=True, fields=fields, params=params)
    assert isinstance(job, AdReportRun) and job["id"] == job["report_run_id"]
    job.remote_read()  # the older name the SDK still ships
    done = wait_for(job)
    rows = list(done.get_result(params={"limit": 10}))
    sync = list(account.get_insights(fields=fields, params={**params, "limit": 100}))
    assert [r.export_all_data() for r in rows] == [r.export_all_data() for r in sync]
    assert all(isinstance(r["spend"], str) and r["date_start"] == r["date_stop"] for r in rows)


def test_failed_job_reports_v25_error_fields(api: FacebookAdsApi, state: SandboxState) -> None:
    state.add_fault(kind="report_failed", path="/insights$", method="POST", code=100, subcode=1487534)
    job = AdAccount(state.seed.ad_accounts["EUR"]).get_insights(is_async=True, params={"level": "ad"})
    for _ in range(3):
        job = job.api_get(fields=["async_status", "error_code", "error_subcode"])
    assert (job["async_status"], job["error_code"], job["error_subcode"]) == ("Job Failed", 100, 1487534)


def test_lead_ad_set_refusal_carries_user_title(api: FacebookAdsApi, state: SandboxState) -> None:
    account = AdAccount(state.seed.ad_accounts["EUR"])
    params = {
        AdSet.Field.name: "SDK lead ad set",
        AdSet.Field.campaign_id: state.seed.campaigns["solar"],
        AdSet.Field.billing_event: AdSet.BillingEvent.impressions,
        AdSet.Field.optimization_goal: AdSet.OptimizationGoal.lead_generation,
        AdSet.Field.destination_type: "ON_AD",
        AdSet.Field.promoted_object: {"page_id": state.seed.page_ids[0]},
        AdSet.Field.daily_budget: 1500,
        AdSet.Field.targeting: {"geo_locations": {"countries": ["ES"]}},
        AdSet.Field.status: AdSet.Status.paused,
    }
    with pytest.raises(FacebookRequestError) as caught:
        account.create_ad_set(params=params)
    assert caught.value.api_error_subcode() == 1870227
    assert caught.value.body()["error"]["error_user_title"] == "Advantage Audience Flag Required"
    params[AdSet.Field.targeting] = {"geo_locations": {"countries": ["ES"]}, "targeting_automation": {"advantage_audience": 0}}
    before = len(state.store.by_kind["adset"])
    checked = account.create_ad_set(params={**params, "execution_options": ["validate_only"]})
    # {"success": true}: the SDK's ObjectParser drops "success", leaving an object with no id.
    assert "id" not in checked.export_all_data() and len(state.store.by_kind["adset"]) == before
    assert account.create_ad_set(params=params)["id"].isdigit()


def test_bulk_pause_in_an_sdk_batch(api: FacebookAdsApi, state: SandboxState) -> None:
    made = state.bulk_ads(state.seed.ad_accounts["EUR"], 50, 1, 1)
    batch = api.new_batch()
    for campaign in made["ids"]["campaigns"]:
        Campaign(campaign).api_update(params={"status": Campaign.Status.paused}, batch=batch)
    assert batch.execute() is None
    assert {state.store.objects[c]["status"] for c in made["ids"]["campaigns"]} == {"PAUSED"}


def test_event_request_with_an_integer_lead_id(api: FacebookAdsApi, state: SandboxState) -> None:
    """The SDK types lead_id as str but passes it through untouched: an int goes out as a JSON
    integer, all 17 digits kept. EventRequest sends each event as a JSON *string* inside the
    ``data`` array; the sandbox, like Meta, takes that."""
    lead_id = int(state.seed.lead_ids[-1])
    event = Event(
        event_name="Qualified",
        event_time=int(state.now()) - 60,
        action_source=ActionSource.SYSTEM_GENERATED,
        user_data=UserData(lead_id=lead_id),  # type: ignore[arg-type]
        custom_data=CustomData(custom_properties={"event_source": "crm", "lead_event_source": "metaads"}),
    )
    response = EventRequest(events=[event], pixel_id=str(state.seed.dataset_id), test_event_code="TEST42").execute()
    assert response.events_received == 1 and response.fbtrace_id
    [got] = state.received_events(str(state.seed.dataset_id))
    assert got["event"]["user_data"]["lead_id"] == lead_id and got["test_event_code"] == "TEST42"
    assert got["event"]["custom_data"] == {"event_source": "crm", "lead_event_source": "metaads"}
    sent = json.loads(state.calls[-1]["params"]["data"])
    assert json.loads(sent[0])["user_data"]["lead_id"] == lead_id


def test_event_request_refusal_is_an_sdk_error(api: FacebookAdsApi, state: SandboxState) -> None:
    event = Event(
        event_name="Lead",
        event_time=int(state.now()) - 8 * 86400,
        action_source=ActionSource.SYSTEM_GENERATED,
        user_data=UserData(lead_id=int(state.seed.lead_ids[-1])),  # type: ignore[arg-type]
    )
    with pytest.raises(FacebookRequestError) as caught:
        EventRequest(events=[event], pixel_id=str(state.seed.dataset_id)).execute()
    assert (caught.value.api_error_code(), caught.value.api_error_subcode()) == (100, 2804003)


def test_bulk_status_changes_in_an_sdk_batch_with_a_refusal_and_a_null(api: FacebookAdsApi, state: SandboxState) -> None:
    """What metaads' bulk pause / resume relies on, seen through Meta's own SDK: each update gets
    its own answer (a refusal in Meta's words for the others to go on), and an update Meta
    answered null comes back in the retry batch, not done."""
    made = state.bulk_ads(state.seed.ad_accounts["EUR"], 4, 1, 1)
    archived, refused, timed_out, fine = made["ids"]["campaigns"]
    Campaign(archived).api_update(params={"status": Campaign.Status.archived})
    state.add_fault(kind="batch_null", path=f"^/{timed_out}$", method="POST")
    done: list[str] = []
    failures: list[t.Any] = []
    batch = api.new_batch()
    for campaign in (archived, refused, timed_out, fine):
        Campaign(campaign).api_update(
            params={"status": Campaign.Status.active if campaign == archived else Campaign.Status.paused},
            batch=batch,
            success=lambda response, campaign=campaign: done.append(campaign),
            failure=failures.append,
        )
    state.add_fault(kind="permission", path=f"^/{refused}$", method="POST")

    retry = batch.execute()

    assert sorted(done) == sorted([fine])
    errors = sorted((f.error().api_error_subcode() or 0, f.error().api_error_code()) for f in failures)
    assert errors == [(0, 200), (1885088, 100)]
    assert retry is not None and len(retry) == 1  # the null answer: the SDK hands it back to retry
    assert state.store.objects[timed_out]["status"] == "ACTIVE"  # it did not run
    assert retry.execute() is None and state.store.objects[timed_out]["status"] == "PAUSED"
