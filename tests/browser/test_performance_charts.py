"""Performance charts on the account, campaign, ad set and ad pages, in Chromium at 1366 and
390 px: the charts are drawn and fit, the table fallback opens, the date range picker changes
what is shown, and nothing breaks the CSP. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import re
import typing as t
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import LiveServer, Tab, build_app, logged_in_state, open_tab, seed, serve

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
#: Days (counted back from the account's today) on which the EUR ad did not deliver.
PAUSED = {9, 10, 11, 40}


def today_in(zone: str) -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(zone)).date()


def seed_insights() -> dict[str, int]:
    """120 days of an EUR ad (Berlin's days, a pause, days without a lead), a second ad for a
    month, and a JPY ad in Tokyo's days — stored rows, as the insights sync leaves them."""
    import sqlalchemy as sa

    from metaads.models import Ad, AdAccount, AdCampaign, AdInsight, AdSet
    from plugins.core.extensions import db

    # The shared seed stores one day for the spring campaign; these charts draw their own days.
    db.session.execute(sa.delete(AdInsight))

    def ad_named(name: str) -> Ad:
        return t.cast(Ad, db.session.execute(sa.select(Ad).where(Ad.name == name)).scalar_one())

    video = ad_named("Cargo bike video")
    munich = db.session.execute(sa.select(AdSet).where(AdSet.name.startswith("Munich"))).scalar_one()
    tokyo = db.session.execute(sa.select(AdCampaign).where(AdCampaign.name == "Tokyo launch")).scalar_one()
    carousel = Ad(meta_ad_id="120212000000000002", name="Family carousel", status="ACTIVE", ad_set=munich)
    jpy_set = AdSet(meta_adset_id="120211000000000009", name="東京 25–45", status="ACTIVE", campaign=tokyo)
    jpy_ad = Ad(meta_ad_id="120212000000000009", name="東京 – 静止画", status="ACTIVE", ad_set=jpy_set)
    db.session.add_all([carousel, jpy_set, jpy_ad])
    db.session.flush()

    def row(ad: Ad, day: dt.date, spend: int, leads: int, impressions: int, clicks: int, currency: str) -> AdInsight:
        return AdInsight(
            ad_id=ad.id,
            ad_set_id=ad.ad_set.id,
            campaign_id=ad.ad_set.campaign.id,
            ad_account_id=ad.ad_set.campaign.ad_account.id,
            date=day,
            impressions=impressions,
            clicks=clicks,
            link_clicks=clicks,
            reach=impressions * 3 // 4,
            spend=spend,
            leads=leads,
            actions=[{"action_type": "lead", "value": str(leads)}] if leads else [],
            currency=currency,
        )

    berlin, tokyo_today = today_in("Europe/Berlin"), today_in("Asia/Tokyo")
    rows = []
    for back in range(1, 121):
        day = berlin - dt.timedelta(days=back)
        if back not in PAUSED:
            wave = (back * 37) % 23  # a steady but uneven pattern, more spend recently
            spend = 1800 + 90 * wave + (400 if back < 30 else 0)
            leads = 0 if back % 6 == 0 else 1 + (wave % 5)
            rows.append(row(video, day, spend, leads, 4000 + 150 * wave, 60 + 3 * wave, "EUR"))
        if back <= 30:
            rows.append(row(carousel, day, 900 + 20 * (back % 7), back % 3, 2000, 25, "EUR"))
    for back in range(1, 61):
        day = tokyo_today - dt.timedelta(days=back)
        rows.append(row(jpy_ad, day, 3000 + 125 * (back % 9), back % 4, 8000, 90, "JPY"))
    db.session.add_all(rows)
    db.session.commit()
    eur = db.session.execute(sa.select(AdAccount).where(AdAccount.currency == "EUR")).scalar_one()
    return {"adset": video.ad_set.id, "ad": video.id, "jpy_ad": jpy_ad.id, "account_id": eur.id}


@pytest.fixture(scope="module")
def charts_server(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[LiveServer]:
    app = build_app(tmp_path_factory.mktemp("browser-charts") / "browser.db")
    with app.app_context():
        ids = seed(app)
        ids.update(seed_insights())
    yield from serve(app, ids)


@pytest.fixture(scope="module")
def charts_state(browser: Browser, charts_server: LiveServer, screenshots: Path) -> t.Any:
    return logged_in_state(browser, charts_server, screenshots)


@pytest.fixture
def wide(browser: Browser, charts_server: LiveServer, screenshots: Path, charts_state: t.Any) -> t.Iterator[Tab]:
    context, tab = open_tab(browser, charts_server, screenshots, viewport=WIDE, state=charts_state)
    yield tab
    context.close()


@pytest.fixture
def phone(browser: Browser, charts_server: LiveServer, screenshots: Path, charts_state: t.Any) -> t.Iterator[Tab]:
    context, tab = open_tab(browser, charts_server, screenshots, viewport=PHONE, state=charts_state)
    yield tab
    context.close()


def pages(server: LiveServer) -> dict[str, str]:
    ids = server.ids
    return {
        "account": f"/admin/meta-ads/accounts/{ids['account']}",
        "campaign": f"/admin/meta-ads/campaigns/{ids['campaign']}",
        "adset": f"/admin/meta-ads/adsets/{ids['adset']}",
        "ad": f"/admin/meta-ads/ads/{ids['ad']}",
        "jpy-ad": f"/admin/meta-ads/ads/{ids['jpy_ad']}",
    }


def bands(tab: Tab, chart: str) -> int:
    return tab.page.locator(f'[data-chart="{chart}"] rect.chart-hit').count()


def assert_charts_fit(tab: Tab, width: int) -> None:
    charts = tab.page.locator("#performance svg.chart")
    expect(charts).to_have_count(3)
    for index in range(3):
        chart = charts.nth(index)
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        assert box["width"] >= 250 and box["height"] >= 120, box
    assert not tab.has_horizontal_overflow()


@pytest.mark.parametrize("name", ["account", "campaign", "adset", "ad", "jpy-ad"])
@pytest.mark.parametrize(("size", "viewport"), [("1366", WIDE), ("390", PHONE)])
def test_charts_on_every_detail_page(
    browser: Browser,
    charts_server: LiveServer,
    screenshots: Path,
    charts_state: t.Any,
    name: str,
    size: str,
    viewport: dict[str, int],
) -> None:
    context, tab = open_tab(browser, charts_server, screenshots, viewport=viewport, state=charts_state)
    try:
        tab.goto(pages(charts_server)[name])
        panel = tab.page.locator("#performance")
        expect(panel.get_by_role("heading", name="Performance")).to_be_visible()
        assert_charts_fit(tab, viewport["width"])
        expect(panel.locator(".compare li")).to_have_count(5)
        for chart in ("spend", "leads", "cost-per-lead"):
            assert bands(tab, chart) == 30  # the default: the last 30 days
        # The line is drawn, and so is the previous period under it.
        assert panel.locator('[data-chart="spend"] polyline.chart-line.chart-series-0').count() >= 1
        assert panel.locator('[data-chart="spend"] polyline.chart-previous').count() >= 1
        tab.screenshot(f"performance-{name}-{size}")
        panel.screenshot(path=str(screenshots / f"performance-{name}-{size}-panel.png"))
        tab.assert_clean()
    finally:
        context.close()


def test_money_is_in_the_accounts_currency(wide: Tab, charts_server: LiveServer) -> None:
    wide.goto(pages(charts_server)["jpy-ad"])
    spend = wide.page.locator('#performance .compare li[data-metric="spend"] .stat-value')
    expect(spend).to_have_text(re.compile(r"^¥[\d,]+$"))  # whole yen, never ¥…\.00
    ticks = wide.page.locator('[data-chart="spend"] .chart-tick-y').all_text_contents()
    assert ticks and all(re.fullmatch(r"¥[\d,]+K?", tick) for tick in ticks), ticks
    wide.goto(pages(charts_server)["campaign"])
    ticks = wide.page.locator('[data-chart="spend"] .chart-tick-y').all_text_contents()
    assert ticks and all(tick.startswith("€") for tick in ticks), ticks
    wide.assert_clean()


def test_gaps_where_the_ad_did_not_deliver(wide: Tab, charts_server: LiveServer) -> None:
    wide.goto(pages(charts_server)["ad"])
    # Days 9–11 back are a pause: the spend line breaks there, so it is drawn in two runs.
    runs = wide.page.locator('[data-chart="spend"] polyline.chart-series-0')
    expect(runs).to_have_count(2)
    paused = (today_in("Europe/Berlin") - dt.timedelta(days=10)).strftime("%b %-d, %Y")
    tip = wide.page.locator('[data-chart="spend"] rect.chart-hit title').filter(has_text=paused)
    expect(tip).to_have_count(1)
    assert "Spend: no data" in tip.text_content()  # type: ignore[operator]
    wide.assert_clean()


def test_the_table_fallback_opens(wide: Tab, charts_server: LiveServer) -> None:
    wide.goto(pages(charts_server)["ad"])
    table = wide.page.locator("#performance details.chart-table table")
    expect(table).to_be_hidden()
    summary = wide.page.get_by_text("The numbers per day, as a table")
    summary.focus()
    wide.page.keyboard.press("Enter")  # a keyboard opens it too
    expect(table).to_be_visible()
    delivered = 30 - len([back for back in PAUSED if back <= 30])
    expect(table.locator("tbody tr")).to_have_count(delivered)
    expect(table.locator("tfoot")).to_contain_text("Total")
    wide.screenshot("performance-table-1366")
    wide.assert_clean()


def test_the_table_fallback_scrolls_in_its_own_frame_on_a_phone(phone: Tab, charts_server: LiveServer) -> None:
    phone.goto(pages(charts_server)["campaign"])
    phone.page.get_by_text("The numbers per day, as a table").click()
    expect(phone.page.locator("#performance details.chart-table table")).to_be_visible()
    assert not phone.has_horizontal_overflow()
    phone.screenshot("performance-table-390")
    phone.assert_clean()


def test_the_picker_changes_the_range(wide: Tab, charts_server: LiveServer) -> None:
    wide.goto(pages(charts_server)["campaign"])
    picker = wide.page.locator("#performance details.range-picker")
    picker.locator("summary").click()
    picker.get_by_role("link", name="Last 7 days").click()
    wide.page.wait_for_url(re.compile(r"date_preset=last_7d"))
    assert bands(wide, "spend") == 7 and bands(wide, "leads") == 7
    expect(wide.page.locator("#performance .range-picker summary")).to_contain_text("Last 7 days")
    wide.screenshot("performance-campaign-7d-1366")

    since, until = dt.date.today() - dt.timedelta(days=90), dt.date.today() - dt.timedelta(days=76)
    picker.locator("summary").click()
    picker.get_by_label("From", exact=True).fill(since.isoformat())
    picker.get_by_label("To", exact=True).fill(until.isoformat())
    picker.get_by_role("button", name="Apply").click()
    wide.page.wait_for_url(re.compile(rf"since={since}&until={until}"))
    assert bands(wide, "spend") == 15
    expect(wide.page.locator("#performance .range-picker summary")).to_contain_text(f"{since} – {until}")
    before = since - dt.timedelta(days=15)
    expect(wide.page.locator("#performance .subtitle")).to_contain_text(f"the 15 days before, {before:%b} {before.day}")
    wide.assert_clean()


def test_the_picker_on_a_phone(phone: Tab, charts_server: LiveServer) -> None:
    phone.goto(pages(charts_server)["adset"])
    picker = phone.page.locator("#performance details.range-picker")
    picker.locator("summary").click()
    expect(picker.get_by_role("link", name="Last 90 days")).to_be_visible()
    assert not phone.has_horizontal_overflow()
    phone.screenshot("performance-picker-390")
    picker.get_by_role("link", name="Last 90 days").click()
    phone.page.wait_for_url(re.compile(r"date_preset=last_90d"))
    assert bands(phone, "cost-per-lead") == 90
    assert_charts_fit(phone, PHONE["width"])
    phone.screenshot("performance-adset-90d-390")
    phone.page.locator("#performance").screenshot(path=str(phone.shots / "performance-adset-90d-390-panel.png"))
    phone.assert_clean()
