"""Lead forms and leads (§2, §3): filtering, fields, test leads, keys and answers."""

from __future__ import annotations

import calendar
import json
import time

import pytest

from metaads.sandbox import SandboxState
from tests.metaads.sandbox.conftest import Graph, error_of


def times_of(sandbox: Graph, form: str, operator: str, value: int, quote: str = '"') -> list[int]:
    rule = json.dumps([{"field": "time_created", "operator": operator, "value": value}]).replace('"', quote)
    body = sandbox.get(f"{form}/leads", fields="created_time", filtering=rule, limit=100).json()
    assert "data" in body, body
    return [calendar.timegm(time.strptime(r["created_time"], "%Y-%m-%dT%H:%M:%S+0000")) for r in body["data"]]


@pytest.mark.parametrize(
    "operator, keep",
    [
        ("GREATER_THAN", lambda t, v: t > v),
        ("GREATER_THAN_OR_EQUAL", lambda t, v: t >= v),
        ("LESS_THAN", lambda t, v: t < v),
        ("LESS_THAN_OR_EQUAL", lambda t, v: t <= v),
    ],
)
def test_time_created_operators_at_the_boundary(sandbox: Graph, state: SandboxState, operator: str, keep) -> None:
    form = state.seed.forms["standard"]
    created = sorted(state.lead(i)["created_timestamp"] for i in state.seed.lead_ids if state.lead(i)["form_id"] == form)
    pivot = created[5]  # an exact lead time: the boundary must be honoured
    got = times_of(sandbox, form, operator, pivot)
    assert got == sorted((t for t in created if keep(t, pivot)), reverse=True)  # newest first


def test_single_quoted_filtering_is_accepted(sandbox: Graph, state: SandboxState) -> None:
    form = state.seed.forms["custom"]
    assert len(times_of(sandbox, form, "GREATER_THAN", 0, quote="'")) == 10


@pytest.mark.parametrize(
    "rule",
    [
        {"field": "time_created", "operator": "EQUAL", "value": 1},
        {"field": "time_created", "operator": "BETWEEN", "value": 1},
        {"field": "created_time", "operator": "GREATER_THAN", "value": 1},
    ],
)
def test_bad_filtering_is_code_100(sandbox: Graph, state: SandboxState, rule: dict) -> None:
    response = sandbox.get(f"{state.seed.forms['standard']}/leads", filtering=json.dumps([rule]))
    assert response.status_code == 400 and error_of(response)["code"] == 100


def test_since_is_ignored_on_the_leads_edge(sandbox: Graph, state: SandboxState) -> None:
    form = state.seed.forms["custom"]
    body = sandbox.get(f"{form}/leads", fields="id", since=int(time.time()), limit=50).json()
    assert len(body["data"]) == 10  # §2.3: use filtering, not since


def test_one_test_lead_per_form(sandbox: Graph, state: SandboxState) -> None:
    form = state.seed.forms["choice"]
    first = sandbox.post(f"{form}/test_leads")
    assert first.status_code == 200
    lead_id = first.json()["id"]
    second = sandbox.post(f"{form}/test_leads")
    assert second.status_code == 400 and error_of(second)["code"] == 100
    other_form = sandbox.post(f"{state.seed.forms['standard']}/test_leads")
    assert other_form.status_code == 200  # the rule is per form
    listed = sandbox.get(f"{form}/test_leads", fields="id,is_organic,field_data").json()["data"]
    assert [row["id"] for row in listed] == [lead_id] and listed[0]["is_organic"] is True
    assert "<test lead: dummy data for full_name>" in json.dumps(listed[0]["field_data"], ensure_ascii=False)
    assert sandbox.delete(lead_id).json() == {"success": True}
    again = sandbox.post(f"{form}/test_leads", field_data=json.dumps([{"name": "email", "values": ["t@t.com"]}]))
    assert again.status_code == 200
    lead = sandbox.get(again.json()["id"], fields="field_data,ad_id").json()
    assert lead["field_data"] == [{"name": "email", "values": ["t@t.com"]}] and "ad_id" not in lead


def test_custom_keys_and_option_keys(sandbox: Graph, state: SandboxState) -> None:
    custom = sandbox.get(state.seed.forms["custom"], fields="questions").json()["questions"]
    keys = [q["key"] for q in custom]
    assert "número_de_teléfono" in keys and "¿cuándo_quieres_empezar?" in keys
    assert "which_flat/apartment_size_do_you_need" in keys
    choice = sandbox.get(state.seed.forms["choice"], fields="questions{key,type,options}").json()["questions"]
    budget = next(q for q in choice if q["key"] == "what_is_your_budget?")
    option_keys = {o["key"] for o in budget["options"]}
    assert set(budget) == {"key", "type", "options"}
    leads = sandbox.get(f"{state.seed.forms['choice']}/leads", fields="field_data", limit=50).json()["data"]
    answers = {v for lead in leads for f in lead["field_data"] if f["name"] == budget["key"] for v in f["values"]}
    assert answers and answers <= option_keys  # answers are option keys, not labels


def test_unicode_answers_come_back_escaped_and_intact(sandbox: Graph, state: SandboxState) -> None:
    lead = state.create_lead(
        state.seed.forms["standard"],
        {"full_name": "Zoë Ångström", "email": "z@x.io", "phone_number": "+46 70 123 45 67"},
        ad=False,
    )
    response = sandbox.get(lead["id"], fields="field_data,is_organic,platform")
    assert "\\u00eb" in response.text  # ASCII-only JSON, as Graph sends it
    body = response.json()
    assert body["field_data"][0] == {"name": "full_name", "values": ["Zoë Ångström"]}
    assert body["is_organic"] is True and body["platform"] == "fb"


def test_deleted_and_expired_leads_are_gone(sandbox: Graph, state: SandboxState) -> None:
    lead = state.seed.lead_ids[0]
    assert sandbox.delete(lead).json() == {"success": True}
    assert error_of(sandbox.get(lead))["error_subcode"] == 33
    old = state.create_lead(state.seed.forms["standard"], created_time=time.time() - 91 * 86400)
    assert error_of(sandbox.get(old["id"]))["error_subcode"] == 33
    form = sandbox.get(state.seed.forms["standard"], fields="leads_count,expired_leads_count").json()
    assert form["expired_leads_count"] == 1


def test_ad_leads_edge_and_ad_fields(sandbox: Graph, state: SandboxState) -> None:
    ad = state.seed.ads["solar_static"]
    body = sandbox.get(f"{ad}/leads", fields="id,ad_id,ad_name,campaign_name,adset_name", limit=100).json()
    assert body["data"] and {row["ad_id"] for row in body["data"]} == {ad}
    assert body["data"][0]["ad_name"] == "Solar – Static"
    assert body["data"][0]["campaign_name"] == "Leads – Solar quotes"


def test_lead_forms_need_the_page_token(sandbox: Graph, state: SandboxState) -> None:
    page = state.seed.page_ids[0]
    refused = sandbox.get(f"{page}/leadgen_forms")
    assert error_of(refused)["code"] == 190
    forms = sandbox.get(
        f"{page}/leadgen_forms", token=state.page_tokens[page], fields="id,name,status,page{id},privacy_policy_url"
    ).json()["data"]
    assert {f["id"] for f in forms} == {state.seed.forms["standard"], state.seed.forms["archived"]}
    assert all(f["page"]["id"] == page for f in forms)
    other = state.seed.forms["choice"]  # a form of the other Page
    assert error_of(sandbox.get(other, token=state.page_tokens[page]))["code"] == 200


def test_create_form_derives_keys(sandbox: Graph, state: SandboxState) -> None:
    page = state.seed.page_ids[1]
    questions = [
        {"type": "FULL_NAME"},
        {"type": "CUSTOM", "label": "¿Tienes jardín?"},
        {"type": "CUSTOM", "label": "Roof type", "options": [{"key": "flat", "value": "Flat"}]},
    ]
    created = sandbox.post(
        f"{page}/leadgen_forms",
        token=state.page_tokens[page],
        name="New",
        questions=json.dumps(questions),
        privacy_policy=json.dumps({"url": "https://x.io/p"}),
    )
    form = sandbox.get(created.json()["id"], fields="questions,privacy_policy_url,status").json()
    assert [q["key"] for q in form["questions"]] == ["full_name", "¿tienes_jardín?", "roof_type"]
    assert form["privacy_policy_url"] == "https://x.io/p" and form["status"] == "ACTIVE"
    refused = sandbox.post(created.json()["id"], name="renamed")
    assert error_of(refused)["code"] == 100  # forms are immutable except status


def test_leads_access_manager_block(sandbox: Graph, state: SandboxState) -> None:
    form = state.seed.forms["standard"]
    state.set_leads_access(state.store.objects[form]["page_id"], False)
    error = error_of(sandbox.get(f"{form}/leads"))
    assert error["code"] == 200 and "Lead Access Manager" in error["message"]


def test_hundred_thousand_leads_page_quickly(sandbox: Graph, state: SandboxState) -> None:
    form = state.seed.forms["custom"]
    started = time.monotonic()
    ids = state.bulk_leads(form, 100_000, days=60)
    assert len(ids) == 100_000 and time.monotonic() - started < 10
    middle = state.lead(ids[50_000])["created_timestamp"]
    rule = json.dumps([{"field": "time_created", "operator": "LESS_THAN", "value": middle}])
    started = time.monotonic()
    body = sandbox.get(f"{form}/leads", fields="id,created_time", filtering=rule, limit=500, summary="true").json()
    assert time.monotonic() - started < 1.0
    assert body["data"][0]["id"] == ids[49_999] and len(body["data"]) == 500
    assert body["summary"]["total_count"] == 50_000 + 10 - _newer_seed_leads(state, form, middle)


def _newer_seed_leads(state: SandboxState, form: str, cutoff: int) -> int:
    return sum(
        1 for i in state.seed.lead_ids if state.lead(i)["form_id"] == form and state.lead(i)["created_timestamp"] >= cutoff
    )
