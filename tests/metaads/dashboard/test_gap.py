""" "Meta reports 8 · received 5": the breakdown of the difference, reason by reason, for a campaign
and for its account, with the leads behind each reason; and the links to it from the dashboard."""

from __future__ import annotations

import typing as t

from flask.testing import FlaskClient

from tests.metaads.dashboard.conftest import RANGE, World


def gap(client: FlaskClient, headers: dict[str, str], path: str) -> dict[str, t.Any]:
    answer = client.get(f"/admin/meta-ads/{path}/lead-gap?{RANGE}", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return t.cast(dict[str, t.Any], answer.get_json()["lead_gap"])


def reasons(found: dict[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    return {reason["code"]: reason for reason in found["reasons"]}


def test_a_campaign_s_difference_is_explained_reason_by_reason(
    client: FlaskClient, api_headers: dict[str, str], world: World
) -> None:
    found = gap(client, api_headers, f"campaigns/{world.campaigns['de_leads']}")
    assert (found["reported"], found["received"], found["difference"]) == (8, 5, 3)
    by_code = reasons(found)
    # Meta counts these, we do not hold them (yet): one waiting, one failed, one deleted at Meta.
    for code in ("waiting", "failed", "deleted"):
        assert by_code[code]["count"] == 1 and by_code[code]["counted_by_meta"] and not by_code[code]["counted_here"], code
    assert (found["explained"], found["unexplained"]) == (3, 0)
    assert by_code["waiting"]["leadgen_ids"] == ["announced-0"]
    assert "not_synced" not in by_code  # a lead whose ad is not synced is still its campaign's
    # Neither side counts test and organic leads through the campaign's form; erased ones count on both.
    assert by_code["test"]["lead_ids"] == [world.leads["de_test"]] and not by_code["test"]["counted_by_meta"]
    assert by_code["organic"]["lead_ids"] == [world.leads["de_organic"]]
    assert by_code["erased"]["lead_ids"] == [world.leads["de_erased"]] and by_code["erased"]["counted_here"]
    # Berlin's days are not UTC's: a UTC report would leave out 00:30 on Nov 1 and add 00:30 on Dec 1.
    assert by_code["time_zone"]["lead_ids"] == [world.leads["de_first_local_minute"]]
    assert by_code["time_zone"]["extra"] == 1
    # Submitted on Berlin's Dec 1 (newest first): Meta may date them by an impression in November.
    assert by_code["after_range"]["lead_ids"] == [world.leads["de_day_after"], world.leads["de_next_local_day"]]


def test_an_account_s_difference_and_its_campaigns(client: FlaskClient, api_headers: dict[str, str], world: World) -> None:
    found = gap(client, api_headers, f"accounts/{world.accounts['de']}")
    assert (found["reported"], found["received"]) == (8, 5)
    assert found["campaign_id"] is None and found["currency"] == "EUR"
    # A lead through the account's form whose campaign is not synced: Meta counts it, we cannot yet.
    assert reasons(found)["not_synced"]["lead_ids"] == [world.leads["de_campaign_unknown"]]
    assert (found["explained"], found["unexplained"]) == (4, -1)


def test_when_we_received_more_than_meta_reports(client: FlaskClient, api_headers: dict[str, str], world: World) -> None:
    found = gap(client, api_headers, f"campaigns/{world.campaigns['us_leads']}")
    assert (found["reported"], found["received"], found["unexplained"]) == (1, 2, -1)


def test_the_page_lists_the_leads_behind_each_reason(admin_client: FlaskClient, world: World) -> None:
    page = admin_client.get(f"/admin/meta-ads/campaigns/{world.campaigns['de_leads']}/lead-gap?{RANGE}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Meta reports 8 · received 5" in html
    for heading in (
        "Waiting to be stored",
        "Failed",
        "Deleted at Meta",
        "Time zone",
        "Organic (no ad)",
        "Test leads",
    ):
        assert heading in html
    assert f'href="/admin/meta-ads/leads/{world.leads["de_organic"]}"' in html
    assert "/admin/meta-ads/pipeline#problems-h" in html
    # The leads received: the leads list, filtered by Meta's campaign id and Berlin's midnights in UTC.
    assert "leads?campaign_id=c-de_leads&amp;created_after=2026-10-31T23:00:00%2B00:00" in html


def test_the_dashboard_links_each_difference_to_its_reasons(admin_client: FlaskClient, world: World) -> None:
    html = admin_client.get(f"/admin/meta-ads/?{RANGE}").get_data(as_text=True)
    assert "Meta 8 · received 5" in html
    assert f"/admin/meta-ads/campaigns/{world.campaigns['de_leads']}/lead-gap?since=2026-11-01&amp;until=2026-11-30" in html
    assert f"/admin/meta-ads/accounts/{world.accounts['de']}/lead-gap?since=2026-11-01&amp;until=2026-11-30" in html


def test_unknown_objects_are_404(client: FlaskClient, api_headers: dict[str, str]) -> None:
    for path in ("campaigns/999999/lead-gap", "accounts/999999/lead-gap"):
        answer = client.get(f"/admin/meta-ads/{path}", headers=api_headers)
        assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"
