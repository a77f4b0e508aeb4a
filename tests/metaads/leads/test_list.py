"""GET /admin/meta-ads/leads: every filter, validation, keyset and offset paging, capped counts,
and the page (status tabs, filter form, pager, empty states)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import typing as t
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from metaads.models.enums import LeadStatus
from plugins.core.extensions import db
from tests.metaads.leads.test_support import LEADS, at, form_token, leads_config, make_form, make_lead, make_user


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, t.Any]:
    return leads_config(tmp_path)


def ids(client: FlaskClient, headers: dict[str, str], query: str = "") -> list[int]:
    response = client.get(f"{LEADS}?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [lead["id"] for lead in response.get_json()["leads"]]


@pytest.fixture
def sample(app: Flask) -> dict[str, t.Any]:
    """Two forms, two campaigns, three users' worth of leads over a few days."""
    ada = make_user("ada@example.com", "Ada")
    bob = make_user("bob@example.com", "Bob")
    bikes, news = make_form("Bikes"), make_form("Newsletter")
    leads = {
        "zoe": make_lead(
            bikes,
            created=at(14, 9),
            full_name="Zoë Müller-Lüdenscheid",
            email="zoe.mueller@example.de",
            phone="+4915112345678",
            campaign_id="c1",
            ad_id="a1",
            assigned_to=str(ada.id),
        ),
        "jose": make_lead(
            bikes,
            created=at(13, 17),
            full_name="José Ñúñez",
            email="jose@example.es",
            phone="+34600123456",
            status=LeadStatus.CONTACTED,
            campaign_id="c1",
            ad_id="a2",
            assigned_to=str(bob.id),
        ),
        "sofia": make_lead(
            news,
            created=at(12, 8),
            full_name="Σοφία Παπαδοπούλου",
            email="sofia@example.gr",
            status=LeadStatus.QUALIFIED,
            campaign_id="c2",
            ad_id="a3",
        ),
        "old": make_lead(news, created=at(2, 8), full_name="Old Timer", email="old@example.org", status=LeadStatus.ARCHIVED),
    }
    db.session.commit()
    return {
        "users": {"ada": ada.id, "bob": bob.id},
        "forms": {"bikes": bikes.id, "news": news.id},
        **{name: lead.id for name, lead in leads.items()},
    }


def test_the_json_list_has_the_design_shape_and_is_newest_first(
    client: FlaskClient, api_headers: dict[str, str], sample: dict
) -> None:
    body = client.get(LEADS, headers=api_headers).get_json()
    assert [lead["id"] for lead in body["leads"]] == [sample["zoe"], sample["jose"], sample["sofia"], sample["old"]]
    assert body["count"] == 4 and body["count_is_estimate"] is False
    assert body["limit"] == 50 and body["offset"] == 0
    assert body["next_cursor"] is None and body["previous_cursor"] is None
    assert body["status_counts"] == {"new": 1, "contacted": 1, "qualified": 1, "converted": 0, "disqualified": 0, "archived": 1}
    first = body["leads"][0]
    assert (
        first["full_name"] == "Zoë Müller-Lüdenscheid" and first["form_id"] and first["lead_form_id"] == sample["forms"]["bikes"]
    )


def test_oldest_first(client: FlaskClient, api_headers: dict[str, str], sample: dict) -> None:
    assert ids(client, api_headers, "order=created_time") == [sample["old"], sample["sofia"], sample["jose"], sample["zoe"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=contacted", ["jose"]),
        ("status=new,qualified", ["zoe", "sofia"]),
        ("status=new&status=archived", ["zoe", "old"]),
        ("campaign_id=c1", ["zoe", "jose"]),
        ("ad_id=a3", ["sofia"]),
        ("assigned_to=none", ["sofia", "old"]),
        ("q=m%C3%BCller", ["zoe"]),  # part of a name, unicode
        ("q=%CE%A3%CE%BF%CF%86%CE%AF%CE%B1", ["sofia"]),  # Σοφία, as typed
        ("q=Zoe.Mueller@Example.DE", ["zoe"]),  # an email in any case
        ("q=jose@", ["jose"]),  # the beginning of an email
        ("q=%2B49%20151%201234%205678", ["zoe"]),  # a typed phone number, normalised to E.164
        ("q=0151%2012345678", ["zoe"]),  # a national number, matched without its trunk 0
        ("q=example.gr", ["sofia"]),  # part of an email
        ("q=100%25_off", []),  # LIKE wildcards are taken literally
        ("created_after=2026-03-12&created_before=2026-03-14", ["jose", "sofia"]),
        ("created_after=2026-03-13T17:00:00%2B00:00", ["zoe", "jose"]),
        ("created_after=2026-03-13T18:00:00+01:00", ["zoe", "jose"]),  # a "+" left unencoded reads as a space
        ("created_before=2026-03-12T08:00:00Z", ["old"]),
        ("status=new,contacted&campaign_id=c1&q=jose", ["jose"]),
    ],
)
def test_filters(client: FlaskClient, api_headers: dict[str, str], sample: dict, query: str, expected: list[str]) -> None:
    assert ids(client, api_headers, query) == [sample[name] for name in expected]


def test_filters_by_form_and_assignee_ids(client: FlaskClient, api_headers: dict[str, str], sample: dict) -> None:
    assert ids(client, api_headers, f"lead_form_id={sample['forms']['news']}") == [sample["sofia"], sample["old"]]
    assert ids(client, api_headers, f"assigned_to={sample['users']['bob']}") == [sample["jose"]]


def test_filters_match_the_values_a_lead_carries(client: FlaskClient, api_headers: dict[str, str], sample: dict) -> None:
    """A client filters by the form_id, campaign_id and ad_id it reads on a lead, and gets it back."""
    body = client.get(f"{LEADS}?lead_form_id={sample['forms']['news']}", headers=api_headers).get_json()
    lead = body["leads"][0]
    for name in ("form_id", "campaign_id", "ad_id", "lead_form_id"):
        if lead[name] is None:
            continue
        found = client.get(f"{LEADS}?{name}={lead[name]}", headers=api_headers).get_json()["leads"]
        assert lead["id"] in [row["id"] for row in found], name
        assert all(row[name] == lead[name] for row in found), name
    meta_form = lead["form_id"]
    assert meta_form != str(sample["forms"]["news"])
    assert ids(client, api_headers, f"form_id={meta_form}") == [sample["sofia"], sample["old"]]
    assert ids(client, api_headers, f"form_id={sample['forms']['news']}") == []  # our id is lead_form_id


def test_status_counts_follow_the_other_filters_not_the_status(
    client: FlaskClient, api_headers: dict[str, str], sample: dict
) -> None:
    body = client.get(f"{LEADS}?status=contacted&campaign_id=c1", headers=api_headers).get_json()
    assert body["count"] == 1
    assert body["status_counts"] == {"new": 1, "contacted": 1, "qualified": 0, "converted": 0, "disqualified": 0, "archived": 0}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=won", "status"),
        ("lead_form_id=abc", "lead_form_id"),
        ("lead_form_id=0", "lead_form_id"),
        ("form_id=" + "9" * 65, "form_id"),
        ("include_test=maybe", "include_test"),
        ("assigned_to=ada@example.com", "assigned_to"),
        ("created_after=yesterday", "created_after"),
        ("created_after=2026-03-14&created_before=2026-03-01", "created_before"),
        ("order=name", "order"),
        ("after=not-a-cursor", "after"),
        ("after=1_1&before=2_2", "before"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("offset=50&after=1773480000000000_5", "offset"),
        ("page=0", "page"),
    ],
)
def test_invalid_filters_are_a_400_with_field_errors(
    client: FlaskClient, api_headers: dict[str, str], query: str, field: str
) -> None:
    response = client.get(f"{LEADS}?{query}", headers=api_headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]["fields"], error


def test_unknown_arguments_are_ignored(client: FlaskClient, api_headers: dict[str, str], sample: dict) -> None:
    assert len(ids(client, api_headers, "utm_source=newsletter")) == 4


def flat(pages: t.Iterable[list[int]]) -> list[int]:
    return list(itertools.chain.from_iterable(pages))


def walk(client: FlaskClient, headers: dict[str, str], query: str, key: str, start: str | None = None) -> list[list[int]]:
    pages, cursor = [], start
    while True:
        answer = client.get(
            f"{LEADS}?{query}" + (f"&{'before' if key == 'previous_cursor' else 'after'}={cursor}" if cursor else ""),
            headers=headers,
        ).get_json()
        pages.append([lead["id"] for lead in answer["leads"]])
        cursor = answer[key]
        if cursor is None:
            return pages


def test_keyset_paging_visits_every_lead_once_in_order_both_ways(
    app: Flask, client: FlaskClient, api_headers: dict[str, str]
) -> None:
    form = make_form()
    same_second = at(10, 10)  # ties on created_time are broken by id
    leads = [make_lead(form, created=same_second if n % 3 == 0 else at(10, 10) + dt.timedelta(seconds=n)) for n in range(23)]
    db.session.commit()
    newest_first = [lead.id for lead in sorted(leads, key=lambda lead: (lead.created_time, lead.id), reverse=True)]

    forward = walk(client, api_headers, "limit=5", "next_cursor")
    assert [len(page) for page in forward] == [5, 5, 5, 5, 3]
    assert flat(forward) == newest_first

    last = client.get(f"{LEADS}?limit=5", headers=api_headers).get_json()
    for _ in range(4):
        last = client.get(f"{LEADS}?limit=5&after={last['next_cursor']}", headers=api_headers).get_json()
    assert last["next_cursor"] is None and last["previous_cursor"]
    backward = walk(client, api_headers, "limit=5", "previous_cursor", start=last["previous_cursor"])
    assert flat(reversed(backward)) == newest_first[:20]

    oldest = walk(client, api_headers, "limit=7&order=created_time", "next_cursor")
    assert flat(oldest) == list(reversed(newest_first))


def test_keyset_paging_keeps_the_filters(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    form = make_form()
    wanted = [make_lead(form, status=LeadStatus.CONTACTED).id for _ in range(7)]
    for _ in range(6):
        make_lead(form)
    db.session.commit()
    pages = walk(client, api_headers, f"limit=3&status=contacted&lead_form_id={form.id}", "next_cursor")
    assert flat(pages) == list(reversed(wanted))


def test_offset_paging_still_works(client: FlaskClient, api_headers: dict[str, str], sample: dict) -> None:
    body = client.get(f"{LEADS}?limit=2&offset=2", headers=api_headers).get_json()
    assert [lead["id"] for lead in body["leads"]] == [sample["sofia"], sample["old"]]
    assert body["offset"] == 2 and body["previous_cursor"] and body["next_cursor"] is None
    back = client.get(f"{LEADS}?limit=2&before={body['previous_cursor']}", headers=api_headers).get_json()
    assert [lead["id"] for lead in back["leads"]] == [sample["zoe"], sample["jose"]]


def test_counts_stop_at_the_cap(app: Flask, admin_client: FlaskClient, api_headers: dict[str, str]) -> None:
    app.config["METAADS_COUNT_CAP"] = 3
    form = make_form()
    for _ in range(5):
        make_lead(form)
    make_lead(form, status=LeadStatus.ARCHIVED)
    db.session.commit()
    body = admin_client.get(LEADS, headers=api_headers).get_json()
    assert body["count"] == 3 and body["count_is_estimate"] is True
    assert body["status_counts"]["new"] == 3 and body["status_counts"]["archived"] == 1
    assert body["status_counts_capped"] == ["new"]
    assert len(body["leads"]) == 6  # the cap limits counting, never the rows
    exact = admin_client.get(f"{LEADS}?status=archived", headers=api_headers).get_json()
    assert exact["count"] == 1 and exact["count_is_estimate"] is False
    page = admin_client.get(LEADS).get_data(as_text=True)
    assert re.search(r'<span class="count"[^>]*>3\+</span>', page)


# --- the page ---------------------------------------------------------------------------------


def test_page_has_status_tabs_with_counts_and_a_labelled_filter_form(admin_client: FlaskClient, sample: dict) -> None:
    html = admin_client.get(f"{LEADS}?campaign_id=c1").get_data(as_text=True)
    tabs = dict(re.findall(r'<a href="[^"]*"[^>]*>(\w+) <span class="tab-count">(\d+)</span>', html))
    assert tabs == {
        "All": "2",
        "New": "1",
        "Contacted": "1",
        "Qualified": "0",
        "Converted": "0",
        "Disqualified": "0",
        "Archived": "0",
    }
    assert re.search(r'href="/admin/meta-ads/leads\?campaign_id=c1&amp;status=contacted"', html)
    # The compact filter bar: every control keeps a label (some only for screen readers); the
    # status is chosen by the tabs.
    for field, label in [
        ("q", "Search"),
        ("lead_form_id", "Form"),
        ("campaign_id", "Campaign"),
        ("ad_id", "Ad"),
        ("assigned_to", "Assigned to"),
        ("created_after", "From"),
        ("created_before", "to"),
        ("limit", "Leads per page"),
    ]:
        element_id = re.search(rf'id="([\w-]+)" name="{field}"|name="{field}"[^>]*id="([\w-]+)"', html)
        assert element_id, field
        element = element_id.group(1) or element_id.group(2)
        assert re.search(rf'<label (class="visually-hidden" )?for="{element}">{label}</label>', html)
    assert '<option value="c1" selected>Campaign c1</option>' in html  # a campaign not synced yet stays chosen
    assert "José Ñúñez" in html and "Σοφία" not in html


def test_page_next_link_carries_a_cursor_and_the_page_number(admin_client: FlaskClient, sample: dict) -> None:
    html = admin_client.get(f"{LEADS}?limit=2&status=new,contacted,qualified,archived").get_data(as_text=True)
    assert "Showing 1–2 of 4 leads" in html
    href = re.search(r'<a class="button secondary" rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    query = parse_qs(urlsplit(href).query)
    assert set(query) == {"limit", "status", "after", "page"} and query["page"] == ["2"]
    second = admin_client.get(href).get_data(as_text=True)
    assert "Showing 3–4 of 4 leads" in second and "Σοφία" in second and "Old Timer" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_page_export_form_carries_exactly_the_current_filters(admin_client: FlaskClient, sample: dict) -> None:
    html = admin_client.get(f"{LEADS}?status=new&campaign_id=c1&q=zo%C3%AB&utm=x").get_data(as_text=True)
    export_form = re.search(r'<form class="export-bar".*?</form>', html, re.S).group(0)  # type: ignore[union-attr]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', export_form))
    assert {k: v for k, v in hidden.items() if k not in ("csrf_token", "next")} == {
        "status": "new",
        "campaign_id": "c1",
        "q": "zoë",
    }


def test_page_empty_states_say_what_to_do(admin_client: FlaskClient, app: Flask) -> None:
    empty = admin_client.get(LEADS).get_data(as_text=True)
    assert "No leads yet — connect Facebook on the Connections page" in empty and "Open Connections" in empty
    make_lead(make_form())
    db.session.commit()
    nothing = admin_client.get(f"{LEADS}?q=nobody-like-this").get_data(as_text=True)
    assert "No leads match these filters" in nothing and "Clear filters" in nothing
    past = admin_client.get(f"{LEADS}?after=1_1&page=3").get_data(as_text=True)
    assert "No more leads" in past and "Go to the first page" in past


def test_page_bad_filter_is_an_inline_message_above_the_list(admin_client: FlaskClient, sample: dict) -> None:
    response = admin_client.get(f"{LEADS}?status=won")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(r'<p class="callout callout-error filter-error" role="alert">[^<]*Status: ', html)
    assert "José Ñúñez" in html and '<form class="filter-bar"' in html  # the list itself, unfiltered


def test_bulk_without_a_selection_says_select_some_leads_first(admin_client: FlaskClient, sample: dict) -> None:
    token = form_token(admin_client, LEADS)
    response = admin_client.post(f"{LEADS}/bulk", data={"csrf_token": token, "status": "contacted", "next": LEADS})
    assert response.status_code == 303
    html = admin_client.get(LEADS).get_data(as_text=True)
    assert "Select some leads first" in html and "Missing data for required field" not in html


def test_a_free_text_search_counts_in_one_pass_with_the_same_cap(
    app: Flask, admin_client: FlaskClient, api_headers: dict[str, str]
) -> None:
    app.config["METAADS_COUNT_CAP"] = 4
    form = make_form()
    for n in range(6):
        make_lead(form, full_name=f"Tanaka {n}", status=LeadStatus.NEW if n % 2 else LeadStatus.CONTACTED)
    make_lead(form, full_name="Rossi", status=LeadStatus.ARCHIVED)
    db.session.commit()
    many = admin_client.get(f"{LEADS}?q=tanaka", headers=api_headers).get_json()
    assert len(many["leads"]) == 6 and many["count"] == 4 and many["count_is_estimate"] is True
    assert sum(many["status_counts"].values()) == 5 and len(many["status_counts_capped"]) == 6  # each a lower bound
    app.config["METAADS_COUNT_CAP"] = 100
    exact = admin_client.get(f"{LEADS}?q=tanaka&status=new", headers=api_headers).get_json()
    assert exact["count"] == 3 and exact["count_is_estimate"] is False and exact["status_counts_capped"] == []
    assert exact["status_counts"] == {"new": 3, "contacted": 3, "qualified": 0, "converted": 0, "disqualified": 0, "archived": 0}
