"""The ad set page says its targeting in words, the ad page shows its creative and the lead form
it opens (no call to Meta on either), Meta's own preview opens on demand inside the page's
strict policy, the "New lead ad" page is linked where admins look for it, and the leads list's
ad filter is filled from the synced ads."""

from __future__ import annotations

import html as html_module
import re
import typing as t

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from metaads.ads import describe, previews
from metaads.models import Ad, AdAccount, AdCampaign, AdSet, LeadForm
from metaads.sandbox import SandboxState
from plugins.core.extensions import db
from plugins.core.http import APIError
from tests.conftest import csrf_token

BASE = "/admin/meta-ads"


def by_meta_id(model: type[t.Any], column: t.Any, meta_id: str) -> t.Any:
    return db.session.execute(sa.select(model).where(column == meta_id)).scalar_one()


def text_of(html: str) -> str:
    """The page's words, tags and runs of spaces removed, for "says X" assertions."""
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", html)))


# -- the ad set's summary ---------------------------------------------------------------------------


def test_the_ad_set_page_says_its_targeting_in_words(
    admin_client: FlaskClient, connected: int, graph: SandboxState, api_headers: dict[str, str]
) -> None:
    ad_set = by_meta_id(AdSet, AdSet.meta_adset_id, graph.seed.adsets["kitchens_es"])
    graph.clear_calls()

    page = text_of(admin_client.get(f"{BASE}/adsets/{ad_set.id}").get_data(as_text=True))
    answer = admin_client.get(f"{BASE}/adsets/{ad_set.id}", headers=api_headers).get_json()

    assert "Audience and delivery" in page
    for said in (
        "Locations Spain",
        "Ages 25–65+",
        "Genders All genders",
        "Advantage+ audience Not set",
        "Placements Advantage+ placements",
        "Optimisation goal Leads",
        "Billing event Impressions (CPM)",
        "Conversion location Instant form",
        "Budget Campaign budget €50.00 a day, shared by the campaign's ad sets",
    ):
        assert said in page, said
    assert "Times in the ad account's time zone (Europe/Madrid)" in page
    assert answer["adset"]["targeting"] == {"geo_locations": {"countries": ["ES"]}, "age_min": 25}
    assert graph.calls == []  # from the stored rows only


def test_a_rich_targeting_spec_in_words(app: t.Any) -> None:
    targeting = {
        "geo_locations": {
            "countries": ["PT"],
            "regions": [{"key": "1234", "name": "Catalonia"}],
            "cities": [{"key": "777", "name": "Madrid", "radius": 25, "distance_unit": "kilometer"}],
            "location_types": ["home"],
        },
        "excluded_geo_locations": {"zips": [{"key": "ES:28001", "name": "28001"}]},
        "age_min": 30,
        "age_max": 50,
        "genders": [2],
        "flexible_spec": [
            {"interests": [{"id": "6003", "name": "Interior design"}], "behaviors": [{"id": "1", "name": "Home owners"}]}
        ],
        "custom_audiences": [{"id": "2385", "name": "Site visitors 30 days"}],
        "publisher_platforms": ["facebook", "instagram"],
        "facebook_positions": ["feed", "marketplace"],
        "device_platforms": ["mobile"],
        "targeting_automation": {"advantage_audience": 1},
    }

    located = describe.locations(targeting)
    assert located[0] == describe.Fact(
        "Locations", "Portugal", "Regions: Catalonia; Cities: Madrid (+25 km); People who live there"
    )
    assert located[1] == describe.Fact("Excluded locations", "Postcodes: 28001")
    assert describe.ages(targeting).startswith("30–50 (a suggestion")
    assert describe.genders(targeting) == "Women"
    assert describe.placements(targeting) == ("Facebook: Feed, Marketplace; Instagram: all positions", "Mobile only")
    assert [f.value for f in describe.detailed_targeting(targeting)] == ["Interior design, Home owners", "Site visitors 30 days"]
    assert describe.advantage_audience(targeting).startswith("On")
    assert describe.places("not a spec") == [] and describe.genders({"genders": [1, 2]}) == "All genders"


# -- the ad: its creative, its lead form, Meta's preview ------------------------------------------------


def test_the_ad_page_shows_its_creative_and_the_form_it_opens(
    admin_client: FlaskClient, connected: int, graph: SandboxState, api_headers: dict[str, str]
) -> None:
    ad = by_meta_id(Ad, Ad.meta_ad_id, graph.seed.ads["kitchens_carousel"])
    form = by_meta_id(LeadForm, LeadForm.meta_form_id, graph.seed.forms["standard"])
    graph.clear_calls()

    response = admin_client.get(f"{BASE}/ads/{ad.id}")
    html = response.get_data(as_text=True)

    assert response.status_code == 200 and graph.calls == []
    assert 'class="ad-mock"' in html and "Kitchens – Carousel creative" in html and "Sign up" in html
    assert f'href="/admin/meta-ads/leads?lead_form_id={form.id}"' in html and form.name in html
    image = re.search(r'<img class="ad-mock-image" src="([^"]+)"', html)
    assert image and image.group(1).startswith("https://scontent.sandbox.fbcdn.net/")
    policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://scontent.sandbox.fbcdn.net;" in policy and "frame-src" not in policy
    answer = admin_client.get(f"{BASE}/ads/{ad.id}", headers=api_headers).get_json()["ad"]
    assert answer["lead_gen_form_id"] == form.meta_form_id
    assert answer["metadata"]["creative"]["call_to_action"] == "SIGN_UP"


def test_an_image_off_metas_cdn_is_not_shown(app: t.Any, connected: int, graph: SandboxState) -> None:
    ad = by_meta_id(Ad, Ad.meta_ad_id, graph.seed.ads["kitchens_video"])
    ad.metadata_ = {**(ad.metadata_ or {}), "creative": {"message": "Hi", "image_url": "https://tracker.example/pixel.png"}}
    ad.thumbnail_url = None
    db.session.commit()

    assert describe.creative_of(ad).image_url is None


def test_metas_preview_opens_inside_a_policy_that_frames_only_facebook(
    admin_client: FlaskClient, connected: int, graph: SandboxState, api_headers: dict[str, str]
) -> None:
    ad = by_meta_id(Ad, Ad.meta_ad_id, graph.seed.ads["kitchens_carousel"])

    page = admin_client.get(f"{BASE}/ads/{ad.id}/preview?ad_format=INSTAGRAM_STANDARD")
    answer = admin_client.get(f"{BASE}/ads/{ad.id}/preview?ad_format=INSTAGRAM_STANDARD", headers=api_headers)

    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"].endswith("frame-src https://www.facebook.com")
    frame = re.search(r'<iframe class="meta-preview" src="([^"]+)" width="(\d+)" height="(\d+)"', page.get_data(as_text=True))
    assert frame and frame.group(1).startswith("https://www.facebook.com/ads/api/preview_iframe.php?d=")
    preview = answer.get_json()["preview"]
    assert preview["ad_format"] == "INSTAGRAM_STANDARD" and preview["src"].startswith("https://www.facebook.com/")
    assert "&amp;" not in preview["src"] and (preview["width"], preview["height"]) == (320, 600)
    sent = [c for c in graph.calls if c["path"].endswith("/previews")]
    assert sent and sent[-1]["params"]["ad_format"] == "INSTAGRAM_STANDARD"


def test_an_unknown_placement_is_a_400_without_asking_meta(
    admin_client: FlaskClient, connected: int, graph: SandboxState, api_headers: dict[str, str]
) -> None:
    ad = by_meta_id(Ad, Ad.meta_ad_id, graph.seed.ads["kitchens_carousel"])
    graph.clear_calls()

    answer = admin_client.get(f"{BASE}/ads/{ad.id}/preview?ad_format=BILLBOARD", headers=api_headers)
    page = admin_client.get(f"{BASE}/ads/{ad.id}/preview?ad_format=BILLBOARD")

    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "validation_error"
    assert page.status_code == 400 and "frame-src" not in page.headers["Content-Security-Policy"]
    assert graph.calls == []


def test_a_revoked_token_stops_the_preview_with_a_409(
    admin_client: FlaskClient, connected: int, graph: SandboxState, api_headers: dict[str, str]
) -> None:
    ad = by_meta_id(Ad, Ad.meta_ad_id, graph.seed.ads["kitchens_carousel"])
    graph.revoke_token(graph.user_token)

    answer = admin_client.get(f"{BASE}/ads/{ad.id}/preview", headers=api_headers)

    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "needs_reauth"


@pytest.mark.parametrize(
    "body",
    [
        '<iframe src="https://evil.example/x"></iframe>',
        '<iframe src="http://www.facebook.com/ads/api/preview_iframe.php?d=1"></iframe>',
        '<iframe src="https://www.facebook.com.evil.example/"></iframe>',
        "<p>no preview</p>",
        "",
    ],
)
def test_only_an_https_iframe_of_facebook_is_taken_from_metas_answer(body: str) -> None:
    with pytest.raises(APIError) as refused:
        previews.from_html(body, "MOBILE_FEED_STANDARD")
    assert refused.value.code == 502


def test_metas_iframe_is_read_not_copied() -> None:
    body = (
        '<iframe src="https://www.facebook.com/ads/api/preview_iframe.php?d=AQ1&amp;t=AQ2" width="99999" '
        'height="690" onload="alert(1)"></iframe><script>alert(2)</script>'
    )
    shown = previews.from_html(body, "DESKTOP_FEED_STANDARD")
    assert shown == previews.Preview(
        "DESKTOP_FEED_STANDARD", "https://www.facebook.com/ads/api/preview_iframe.php?d=AQ1&t=AQ2", 540, 690
    )


# -- where "New lead ad" is, and its form as a browser posts it -------------------------------------------


def test_new_lead_ad_is_linked_from_campaigns_and_lead_forms(
    admin_client: FlaskClient, connected: int, graph: SandboxState
) -> None:
    form = by_meta_id(LeadForm, LeadForm.meta_form_id, graph.seed.forms["standard"])
    archived = by_meta_id(LeadForm, LeadForm.meta_form_id, graph.seed.forms["archived"])

    campaigns = admin_client.get(f"{BASE}/campaigns").get_data(as_text=True)
    forms = admin_client.get(f"{BASE}/lead-forms").get_data(as_text=True)
    detail = admin_client.get(f"{BASE}/lead-forms/{form.id}").get_data(as_text=True)
    page = admin_client.get(f"{BASE}/lead-ads/new?lead_form_id={form.id}").get_data(as_text=True)

    assert 'href="/admin/meta-ads/lead-ads/new"' in campaigns
    assert f'href="/admin/meta-ads/lead-ads/new?lead_form_id={form.id}"' in forms
    assert f"lead_form_id={archived.id}" not in forms
    assert f'href="/admin/meta-ads/lead-ads/new?lead_form_id={form.id}">Create lead ad' in detail
    assert re.search(rf'<option value="{form.id}" selected>', page)
    assert 'name="validate_only"' in page and "Create (paused)" in page


def wizard_form(client: FlaskClient, account: AdAccount, form: LeadForm, **changes: str) -> dict[str, str]:
    html = client.get(f"{BASE}/lead-ads/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert key
    return {
        "csrf_token": csrf_token(client, f"{BASE}/lead-ads/new"),
        "idempotency_key": key.group(1),
        "ad_account_id": str(account.id),
        "lead_form_id": str(form.id),
        "name": "Kitchens – Winter",
        "daily_budget_amount": "25",
        "countries": "Spain, pt",
        "age_min": "25",
        "age_max": "55",
        "message": "Get a free quote.",
        "call_to_action": "SIGN_UP",
        **changes,
    }


def test_the_form_marks_bad_fields_and_resumes_after_a_refused_step(
    admin_client: FlaskClient, connected: int, graph: SandboxState
) -> None:
    account = by_meta_id(AdAccount, AdAccount.meta_account_id, graph.seed.ad_accounts["EUR"])
    form = by_meta_id(LeadForm, LeadForm.meta_form_id, graph.seed.forms["standard"])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AdCampaign))
    fields = wizard_form(admin_client, account, form)
    graph.clear_calls()

    bad = admin_client.post(f"{BASE}/lead-ads", data={**fields, "countries": "Atlantis"})
    assert bad.status_code == 400 and graph.calls == []
    assert 'id="countries-error">Unknown country: Atlantis.' in bad.get_data(as_text=True)

    refused = admin_client.post(f"{BASE}/lead-ads", data={**fields, "daily_budget_amount": "0.20"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="daily_budget_amount-error">The minimum budget is 1 EUR.' in html
    assert "Retry from the ad set" in html and "Meta: Your Budget Is Too Low." in html
    assert f'value="{fields["idempotency_key"]}"' in html  # the same key: the retry goes on

    typo = admin_client.post(f"{BASE}/lead-ads", data={**fields, "countries": "Atlantis", "daily_budget_amount": "20"})
    assert typo.status_code == 400 and "Made: <a" in typo.get_data(as_text=True)  # the campaign stays locked

    done = admin_client.post(f"{BASE}/lead-ads", data={**fields, "daily_budget_amount": "20"})
    assert done.status_code == 303 and re.search(r"/admin/meta-ads/ads/\d+$", done.headers["Location"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdCampaign)) == before + 1
    made = db.session.execute(sa.select(AdSet).where(AdSet.name.startswith("Kitchens – Winter"))).scalar_one()
    assert made.name == "Kitchens – Winter – ES, PT 25-55" and made.daily_budget == 2000


# -- the leads list's ad filter -----------------------------------------------------------------------------


def test_the_leads_ad_filter_names_the_synced_ads_of_the_chosen_campaign(
    admin_client: FlaskClient, connected: int, graph: SandboxState
) -> None:
    everything = admin_client.get(f"{BASE}/leads").get_data(as_text=True)
    kitchens = admin_client.get(f"{BASE}/leads?campaign_id={graph.seed.campaigns['kitchens']}").get_data(as_text=True)

    ad_filter = re.search(r'<select id="filter-ad".*?</select>', kitchens, re.S)
    assert ad_filter
    assert re.findall(r'label="([^"]+)"', ad_filter.group(0)) == ["Kitchens – Carousel", "Kitchens – Video"]
    assert "Solar – Static" in everything and 'label="Leads – Kitchens Q4"' in everything
