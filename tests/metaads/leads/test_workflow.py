"""A lead's detail and its workflow: GET /leads/:id, PATCH /leads/:id (status, notes, note,
assigned_to), the state machine (allowed, forbidden → 409 with the allowed list, reopen), the
activity log, the ``lead_status_changed`` signal, and the browser's form posts."""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from metaads.models import Lead
from metaads.models.enums import LeadStatus
from metaads.signals import lead_status_changed
from plugins.core.extensions import db
from tests.metaads.leads.test_support import (
    LEADS,
    activities,
    flashes,
    form_token,
    fresh,
    leads_config,
    make_form,
    make_lead,
    make_user,
)

ALL = [status.value for status in LeadStatus]


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, t.Any]:
    return leads_config(tmp_path)


def patch(client: FlaskClient, headers: dict[str, str], lead_id: int, **body: t.Any) -> t.Any:
    return client.patch(f"{LEADS}/{lead_id}", json=body, headers=headers)


def lead_in(status: LeadStatus) -> int:
    lead = make_lead(make_form(), status=status)
    db.session.commit()
    return lead.id


def test_detail_gives_answers_under_the_form_labels(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    answers = {
        "full_name": ["Zoë Müller"],
        "which_models": ["City E-Bike", "Cargo Family"],
        "postleitzahl": ["50823"],
        "comments": [],
    }
    lead = make_lead(make_form(), answers=answers)
    db.session.commit()
    body = client.get(f"{LEADS}/{lead.id}", headers=api_headers).get_json()["lead"]
    assert body["answers"] == [
        {"key": "full_name", "question": "Vollständiger Name", "type": "FULL_NAME", "answer": "Zoë Müller"},
        {
            "key": "which_models",
            "question": "Welche Modelle möchten Sie testen?",
            "type": "CUSTOM",
            "answer": ["City E-Bike", "Cargo Family"],
        },
        {"key": "postleitzahl", "question": "postleitzahl", "type": None, "answer": "50823"},
        {"key": "comments", "question": "comments", "type": None, "answer": None},
    ]
    assert body["allowed_transitions"] == ["contacted", "qualified", "converted", "disqualified", "archived"]
    assert body["field_data"][1] == {"name": "which_models", "values": ["City E-Bike", "Cargo Family"]}
    assert body["status"] == "new" and body["activities"] == []


def test_unknown_lead_is_a_404(client: FlaskClient, api_headers: dict[str, str]) -> None:
    response = client.get(f"{LEADS}/999999", headers=api_headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "No such lead."
    assert patch(client, api_headers, 999999, status="contacted").status_code == 404


def test_the_forward_path_sets_times_logs_each_step_and_links_a_person(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], admin: t.Any
) -> None:
    lead_id = lead_in(LeadStatus.NEW)
    for step in ("contacted", "qualified", "converted"):
        response = patch(client, api_headers, lead_id, status=step)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["lead"]["status"] == step
    lead = fresh(lead_id)
    assert lead.contacted_at is not None and lead.converted_at is not None and lead.contacted_at <= lead.converted_at
    assert lead.person_id is not None
    log = [(a.action, a.from_value, a.to_value, a.actor_user_id) for a in activities(lead_id)]
    assert log == [
        ("status_changed", "new", "contacted", admin.id),
        ("status_changed", "contacted", "qualified", admin.id),
        ("converted", "qualified", "converted", admin.id),
        ("person_linked", None, str(lead.person_id), admin.id),
    ]


def test_contacted_at_is_set_only_the_first_time(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    lead_id = lead_in(LeadStatus.NEW)
    patch(client, api_headers, lead_id, status="contacted")
    first = fresh(lead_id).contacted_at
    patch(client, api_headers, lead_id, status="archived")
    patch(client, api_headers, lead_id, status="contacted")  # reopened to where it was
    assert fresh(lead_id).status == LeadStatus.CONTACTED
    assert fresh(lead_id).contacted_at == first


#: Moving back is a reopen, and only to where the lead was (``new`` without history); a converted
#: lead is archived, not disqualified.
FORBIDDEN = [
    ("contacted", "new", ["qualified", "converted", "disqualified", "archived"]),
    ("qualified", "contacted", ["converted", "disqualified", "archived"]),
    ("qualified", "new", ["converted", "disqualified", "archived"]),
    ("converted", "qualified", ["new", "archived"]),
    ("converted", "contacted", ["new", "archived"]),
    ("converted", "disqualified", ["new", "archived"]),
    ("disqualified", "contacted", ["new", "archived"]),
    ("archived", "qualified", ["new", "disqualified"]),
]


@pytest.mark.parametrize(("current", "target", "allowed"), FORBIDDEN)
def test_a_forbidden_transition_is_a_409_listing_the_allowed_ones(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], current: str, target: str, allowed: list[str]
) -> None:
    lead_id = lead_in(LeadStatus(current))
    response = patch(client, api_headers, lead_id, status=target)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "transition_not_allowed"
    assert error["details"] == {"status": current, "requested": target, "allowed": allowed}
    assert ", ".join(allowed) in error["message"]
    assert fresh(lead_id).status == LeadStatus(current) and activities(lead_id) == []


SKIPS = [("new", "qualified"), ("new", "converted"), ("contacted", "converted")]


@pytest.mark.parametrize(("current", "target"), SKIPS)
def test_forward_moves_may_skip_steps(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], admin: t.Any, current: str, target: str
) -> None:
    lead_id = lead_in(LeadStatus(current))
    response = patch(client, api_headers, lead_id, status=target)
    assert response.status_code == 200, response.get_json()
    lead = fresh(lead_id)
    assert lead.status == LeadStatus(target) and lead.contacted_at is not None  # skipping a call still was one
    assert (lead.converted_at is not None) == (target == "converted") and (lead.person_id is not None) == (target == "converted")
    action = "converted" if target == "converted" else "status_changed"
    logged = [(a.action, a.from_value, a.to_value, a.details) for a in activities(lead_id, action)]
    assert logged == [(action, current, target, None)]


def test_a_converted_lead_reopens_to_the_status_it_was_converted_from(
    app: Flask, client: FlaskClient, api_headers: dict[str, str]
) -> None:
    lead_id = lead_in(LeadStatus.NEW)
    assert patch(client, api_headers, lead_id, status="contacted").status_code == 200
    assert patch(client, api_headers, lead_id, status="converted").status_code == 200
    detail = client.get(f"{LEADS}/{lead_id}", headers=api_headers).get_json()["lead"]
    assert detail["allowed_transitions"] == ["contacted", "archived"]
    assert patch(client, api_headers, lead_id, status="contacted").status_code == 200
    reopened = activities(lead_id, "status_changed")[-1]
    assert (reopened.from_value, reopened.to_value, reopened.details) == ("converted", "contacted", {"reopened": True})
    lead = fresh(lead_id)
    assert lead.converted_at is not None and lead.person_id is not None  # what happened stays recorded


def test_a_converted_lead_archived_reopens_as_converted(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    lead_id = lead_in(LeadStatus.QUALIFIED)
    for step in ("converted", "archived"):
        assert patch(client, api_headers, lead_id, status=step).status_code == 200
    detail = client.get(f"{LEADS}/{lead_id}", headers=api_headers).get_json()["lead"]
    assert detail["allowed_transitions"] == ["converted", "disqualified"]


def test_the_page_offers_skips_and_a_converted_lead_archive_and_reopen(app: Flask, admin_client: FlaskClient) -> None:
    def buttons(lead_id: int) -> list[str]:
        html = admin_client.get(f"{LEADS}/{lead_id}").get_data(as_text=True)
        return re.findall(r'<button type="submit" class="(?:primary|secondary) block">([^<]+)</button>', html)

    assert buttons(lead_in(LeadStatus.NEW)) == [
        "Mark as contacted",
        "Mark as qualified",
        "Convert to customer",
        "Disqualify",
        "Archive",
    ]
    assert buttons(lead_in(LeadStatus.CONVERTED)) == ["Reopen as new", "Archive"]
    assert buttons(lead_in(LeadStatus.ARCHIVED)) == ["Reopen as new", "Disqualify"]


def test_converting_from_the_page_skips_steps(app: Flask, admin_client: FlaskClient) -> None:
    lead_id = lead_in(LeadStatus.NEW)
    page = f"{LEADS}/{lead_id}"
    response = admin_client.post(f"{page}/convert", data={"csrf_token": form_token(admin_client, page)})
    assert response.status_code == 303 and fresh(lead_id).status == LeadStatus.CONVERTED


@pytest.mark.parametrize("current", ["new", "contacted", "qualified"])
@pytest.mark.parametrize("target", ["disqualified", "archived"])
def test_disqualify_and_archive_from_any_open_status(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], current: str, target: str
) -> None:
    lead_id = lead_in(LeadStatus(current))
    assert patch(client, api_headers, lead_id, status=target).status_code == 200
    assert fresh(lead_id).status == LeadStatus(target)


def test_a_converted_lead_is_archived_not_disqualified(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    lead_id = lead_in(LeadStatus.CONVERTED)
    assert patch(client, api_headers, lead_id, status="disqualified").status_code == 409
    assert patch(client, api_headers, lead_id, status="archived").status_code == 200


def test_archived_and_disqualified_switch_between_each_other(
    app: Flask, client: FlaskClient, api_headers: dict[str, str]
) -> None:
    lead_id = lead_in(LeadStatus.ARCHIVED)
    assert patch(client, api_headers, lead_id, status="disqualified").status_code == 200
    assert patch(client, api_headers, lead_id, status="archived").status_code == 200


def test_reopening_returns_to_the_status_before_closing(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    lead_id = lead_in(LeadStatus.NEW)
    for step in ("contacted", "qualified", "archived", "disqualified"):
        assert patch(client, api_headers, lead_id, status=step).status_code == 200
    detail = client.get(f"{LEADS}/{lead_id}", headers=api_headers).get_json()["lead"]
    assert detail["allowed_transitions"] == ["qualified", "archived"]
    refused = patch(client, api_headers, lead_id, status="new")
    assert refused.status_code == 409 and refused.get_json()["error"]["details"]["allowed"] == ["qualified", "archived"]
    assert patch(client, api_headers, lead_id, status="qualified").status_code == 200
    reopened = activities(lead_id, "status_changed")[-1]
    assert (reopened.from_value, reopened.to_value, reopened.details) == ("disqualified", "qualified", {"reopened": True})


def test_reopening_a_lead_without_history_goes_back_to_new(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    lead_id = lead_in(LeadStatus.DISQUALIFIED)
    assert patch(client, api_headers, lead_id, status="new").status_code == 200


def test_the_same_status_again_changes_nothing(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    lead_id = lead_in(LeadStatus.CONTACTED)
    response = patch(client, api_headers, lead_id, status="contacted")
    assert response.status_code == 200 and activities(lead_id) == []


def test_status_changes_are_signalled_after_the_commit(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], admin: t.Any
) -> None:
    lead_id = lead_in(LeadStatus.NEW)
    seen: list[dict[str, t.Any]] = []

    def receiver(sender: Flask, **kwargs: t.Any) -> None:
        # Another connection sees the new status: the change was committed before the signal.
        with db.engine.connect() as other:
            committed = other.execute(sa.select(Lead.__table__.c.status).where(Lead.__table__.c.id == kwargs["lead_id"])).scalar()
        seen.append({**kwargs, "committed": committed})

    with lead_status_changed.connected_to(receiver):
        patch(client, api_headers, lead_id, status="contacted")
        patch(client, api_headers, lead_id, note="No status change here")
        patch(client, api_headers, lead_id, status="new")  # refused: no signal
    assert seen == [
        {"lead_id": lead_id, "from_status": "new", "to_status": "contacted", "user_id": admin.id, "committed": "contacted"}
    ]


def test_notes_replace_and_note_appends_with_time_and_author(
    app: Flask, client: FlaskClient, api_headers: dict[str, str]
) -> None:
    lead_id = lead_in(LeadStatus.NEW)
    assert patch(client, api_headers, lead_id, notes="Called, no answer.").status_code == 200
    assert patch(client, api_headers, lead_id, note="  Wants a test ride on Saturday.  ").status_code == 200
    notes = fresh(lead_id).notes or ""
    first, entry = notes.split("\n\n")
    assert first == "Called, no answer."
    stamp, text = entry.split("\n")
    assert stamp.endswith(" UTC · Ada Admin") and text == "Wants a test ride on Saturday."
    logged = activities(lead_id, "note_added")
    assert [a.details for a in logged] == [{"replaced": True, "length": 18}, {"length": 30}]
    assert all("Saturday" not in str(a.details) for a in logged)  # the log holds no note text
    assert patch(client, api_headers, lead_id, notes=None).status_code == 200
    assert fresh(lead_id).notes is None


def test_assigning_takes_a_user_id_and_checks_the_user_exists(
    app: Flask, client: FlaskClient, api_headers: dict[str, str]
) -> None:
    bob = make_user("bob@example.com", "Bob")
    db.session.commit()
    lead_id = lead_in(LeadStatus.NEW)
    assert patch(client, api_headers, lead_id, assigned_to=str(bob.id)).status_code == 200
    assert fresh(lead_id).assigned_to == str(bob.id)
    assert patch(client, api_headers, lead_id, assigned_to=bob.id).status_code == 200  # a number works too: no change
    missing = patch(client, api_headers, lead_id, assigned_to="424242")
    assert missing.status_code == 400
    assert missing.get_json()["error"]["details"]["fields"] == {"assigned_to": ["No user has the id 424242."]}
    assert patch(client, api_headers, lead_id, assigned_to=None).status_code == 200
    assert fresh(lead_id).assigned_to is None
    assert [(a.from_value, a.to_value) for a in activities(lead_id, "assigned")] == [(None, str(bob.id)), (str(bob.id), None)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "_schema"),
        ({"status": "won"}, "status"),
        ({"note": "   "}, "note"),
        ({"assigned_to": "ada@example.com"}, "assigned_to"),
        ({"assigned_to": True}, "assigned_to"),
        ({"priority": "high"}, "priority"),
    ],
)
def test_invalid_updates_are_a_400_with_field_errors(
    app: Flask, client: FlaskClient, api_headers: dict[str, str], body: dict[str, t.Any], field: str
) -> None:
    lead_id = lead_in(LeadStatus.NEW)
    response = patch(client, api_headers, lead_id, **body)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["details"]["fields"]


def test_a_json_body_that_is_not_an_object_is_refused(app: Flask, client: FlaskClient, api_headers: dict[str, str]) -> None:
    lead_id = lead_in(LeadStatus.NEW)
    response = client.patch(f"{LEADS}/{lead_id}", data="[1, 2]", headers={**api_headers, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["message"] == "Send a JSON object."


# --- the page and its forms ---------------------------------------------------------------------


def test_the_page_offers_the_next_steps_as_buttons(app: Flask, admin_client: FlaskClient) -> None:
    lead_id = lead_in(LeadStatus.QUALIFIED)
    html = admin_client.get(f"{LEADS}/{lead_id}").get_data(as_text=True)
    assert f'action="{LEADS}/{lead_id}/convert"' in html and ">Convert to customer</button>" in html
    assert ">Disqualify</button>" in html and ">Archive</button>" in html and ">Mark as contacted</button>" not in html
    archived = lead_in(LeadStatus.ARCHIVED)
    assert ">Reopen as new</button>" in admin_client.get(f"{LEADS}/{archived}").get_data(as_text=True)


def test_browser_forms_change_status_add_notes_and_assign_then_redirect(
    app: Flask, admin_client: FlaskClient, admin: t.Any
) -> None:
    lead_id = lead_in(LeadStatus.NEW)
    page = f"{LEADS}/{lead_id}"
    token = form_token(admin_client, page)
    response = admin_client.post(page, data={"csrf_token": token, "_method": "PATCH", "status": "contacted"})
    assert response.status_code == 303 and response.headers["Location"] == page
    assert flashes(admin_client, page) == [("success", "Status: contacted.")]
    admin_client.post(page, data={"csrf_token": token, "_method": "PATCH", "note": "Sent the brochure."})
    admin_client.post(page, data={"csrf_token": token, "_method": "PATCH", "assigned_to": str(admin.id)})
    lead = fresh(lead_id)
    assert (
        lead.status == LeadStatus.CONTACTED and "Sent the brochure." in (lead.notes or "") and lead.assigned_to == str(admin.id)
    )
    admin_client.post(page, data={"csrf_token": token, "_method": "PATCH", "assigned_to": "none"})
    assert fresh(lead_id).assigned_to is None
    html = admin_client.get(page).get_data(as_text=True)
    assert "Status changed: new → contacted" in html and "Assigned to Ada Admin" in html and "Ada Admin" in html


def test_a_refused_form_post_goes_back_with_the_reason(app: Flask, admin_client: FlaskClient) -> None:
    lead_id = lead_in(LeadStatus.QUALIFIED)
    page = f"{LEADS}/{lead_id}"
    response = admin_client.post(page, data={"csrf_token": form_token(admin_client, page), "status": "new"})
    assert response.status_code == 303 and response.headers["Location"] == page
    [(category, message)] = flashes(admin_client, page)
    assert category == "error" and "Allowed next: converted, disqualified, archived." in message
    assert fresh(lead_id).status == LeadStatus.QUALIFIED


def test_a_form_post_without_the_csrf_token_is_refused(app: Flask, admin_client: FlaskClient) -> None:
    lead_id = lead_in(LeadStatus.NEW)
    assert admin_client.post(f"{LEADS}/{lead_id}", data={"status": "contacted"}).status_code == 400
    assert fresh(lead_id).status == LeadStatus.NEW


def test_the_timeline_says_how_the_lead_arrived_and_who_did_what(app: Flask, admin_client: FlaskClient, admin: t.Any) -> None:
    from metaads.models import LeadActivity

    lead_id = lead_in(LeadStatus.NEW)
    db.session.add(LeadActivity(lead_id=lead_id, action="received", details={"source": "reconciler", "webhook_missed": True}))
    db.session.add(
        LeadActivity(lead_id=lead_id, action="status_changed", from_value="new", to_value="contacted", actor_user_id=admin.id)
    )
    db.session.commit()
    html = admin_client.get(f"{LEADS}/{lead_id}").get_data(as_text=True)
    assert "Found by the reconciler (its webhook never arrived)" in html
    assert "· System" in html and "· Ada Admin" in html
