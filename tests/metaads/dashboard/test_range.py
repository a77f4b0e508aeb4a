"""Whatever a client sends as a range or a limit, the dashboard and the gap pages answer: a 400
with the error envelope to a JSON client, the page with the default range and the reason to a
browser — never a 500."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.metaads.dashboard.conftest import World

BAD = [
    "since=abc&until=2026-11-30",
    "since=2026-11-30",  # until missing
    "until=2026-11-30",
    "since=2026-12-01&until=2026-11-01",  # reversed
    "since=0001-01-01&until=0001-01-02",  # time arithmetic would overflow
    "since=9999-12-30&until=9999-12-31",
    "since=1999-12-31&until=2000-01-05",
    "since=2020-01-01&until=2026-11-30",  # more than 37 months
    "date_preset=last_1000d",
    "date_preset=today&since=2026-11-01&until=2026-11-30",
    "since=2026-02-30&until=2026-03-01",
    "limit=0",
    "limit=501",
    "limit=ten",
]


@pytest.mark.parametrize("query", BAD)
def test_a_bad_range_is_a_400_envelope(client: FlaskClient, api_headers: dict[str, str], world: World, query: str) -> None:
    for path in ("/admin/meta-ads/", f"/admin/meta-ads/campaigns/{world.campaigns['de_leads']}/lead-gap"):
        if path != "/admin/meta-ads/" and query.startswith("limit"):
            continue  # the gap pages have no limit
        answer = client.get(f"{path}?{query}", headers=api_headers)
        assert answer.status_code == 400, (path, query, answer.get_data(as_text=True)[:200])
        error = answer.get_json()["error"]
        assert error["code"] == "validation_error" and error["message"] and "fields" in error["details"]


@pytest.mark.parametrize("query", [q for q in BAD if not q.startswith("limit")])
def test_a_page_shows_the_default_range_and_why(admin_client: FlaskClient, world: World, query: str) -> None:
    page = admin_client.get(f"/admin/meta-ads/?{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "This date range could not be used" in html
    assert "Acme DE" in html  # the dashboard itself, for the default range


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    since=st.one_of(st.dates().map(str), st.text(max_size=12)),
    until=st.one_of(st.dates().map(str), st.text(max_size=12)),
    preset=st.one_of(st.none(), st.sampled_from(["last_7d", "maximum", "this_month", "x"]), st.text(max_size=8)),
)
def test_no_range_is_a_500(client: FlaskClient, api_headers: dict[str, str], since: str, until: str, preset: str | None) -> None:
    args = {"since": since, "until": until} if preset is None else {"date_preset": preset}
    answer = client.get("/admin/meta-ads/", query_string=args, headers=api_headers)
    assert answer.status_code in (200, 400), (args, answer.status_code)
    if answer.status_code == 400:  # a NUL character is refused before the route: bad_request
        assert answer.get_json()["error"]["code"] in ("validation_error", "bad_request")
