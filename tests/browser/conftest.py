"""Browser tests: the real app on a live server, driven by Debian's Chromium through Playwright.

Chromium comes from the system (``apt-get install chromium``), never from ``playwright install``.
Screenshots go to ``test-artifacts/screenshots/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import typing as t
from pathlib import Path

import pytest

from tests.conftest import ROOT

if t.TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}

ADMIN_EMAIL = "ada@example.com"
ADMIN_NAME = "Ada Lovelace"
ADMIN_PASSWORD = "correct horse battery staple"
#: A second admin for the logout test: logging out bumps the user's session version, which
#: would end every other test's session if they shared a user.
LOGOUT_EMAIL = "grace@example.com"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium against a live server (needs /usr/bin/chromium)")


# ---------------------------------------------------------------------------------------------
# The app and a live server
# ---------------------------------------------------------------------------------------------


def build_app(db_file: Path, **overrides: t.Any) -> Flask:
    import flask_migrate

    from plugins.core import create_app
    from tests.conftest import EXTENSIONS

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
            "JOBS_MODE": "eager",
            "SECRET_KEY": "test",
            "PLATFORM_EXTENSIONS": EXTENSIONS,
            "ACCOUNTS_ARGON2": {"time_cost": 1, "memory_cost": 8192, "parallelism": 1},
            **overrides,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
    return app


def add_error_route(app: Flask) -> None:
    """A test-only URL answering with any error status, to see every error page as users do."""
    from flask import abort

    def fail(code: int) -> t.NoReturn:
        abort(code)

    app.add_url_rule("/_test/error/<int:code>", "test_error", fail)


@dataclasses.dataclass
class LiveServer:
    app: Flask
    url: str
    ids: dict[str, int]

    def with_db(self, func: t.Callable[[], t.Any]) -> t.Any:
        """Run ``func`` in an app context (to change data between page loads)."""
        from plugins.core.extensions import db

        with self.app.app_context():
            result = func()
            db.session.commit()
            return result


def serve(app: Flask, ids: dict[str, int]) -> t.Iterator[LiveServer]:
    from werkzeug.serving import make_server

    from plugins.core.extensions import db

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}", ids=ids)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[LiveServer]:
    app = build_app(tmp_path_factory.mktemp("browser") / "browser.db")
    add_error_route(app)
    with app.app_context():
        ids = seed(app)
    yield from serve(app, ids)


@pytest.fixture(scope="session")
def leads_server(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[LiveServer]:
    """The seeded install once more, for tests that change its leads (statuses, notes, erasure):
    the other browser tests keep the data they expect."""
    folder = tmp_path_factory.mktemp("browser-leads")
    app = build_app(folder / "browser.db", METAADS_EXPORT_DIR=str(folder / "exports"))
    with app.app_context():
        ids = seed(app)
    yield from serve(app, ids)


@pytest.fixture
def leads_tab(browser: Browser, leads_server: LiveServer, screenshots: Path) -> t.Iterator[Tab]:
    """A tab on ``leads_server`` that has not logged in yet."""
    context, tab = open_tab(browser, leads_server, screenshots)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[LiveServer]:
    """An install with an admin and nothing else: for the empty states."""
    from plugins.accounts.service import create_admin

    app = build_app(tmp_path_factory.mktemp("browser-empty") / "browser.db")
    with app.app_context():
        create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, name=ADMIN_NAME)
    yield from serve(app, {})


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def seed(app: Flask) -> dict[str, int]:
    """A small, realistic data set: unicode names and answers, a multi-value answer, every
    lead status, every delivery status, a EUR and a JPY account."""
    from metaads.insights.dates import account_today
    from metaads.models import Ad, AdAccount, AdCampaign, AdInsight, AdSet, Lead, LeadActivity, LeadForm, SyncRun, WebhookInbox
    from metaads.models.enums import (
        AccountStatus,
        DeliveryStatus,
        FormStatus,
        InboxStatus,
        LeadSource,
        LeadStatus,
        SyncRunStatus,
        SyncStatus,
    )
    from plugins.accounts.service import create_admin
    from plugins.core.extensions import db
    from plugins.persons.models import Person
    from plugins.socials.models import SocialPage, SocialPlatform
    from plugins.socials.registry import socials_state

    ada, _ = create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, name=ADMIN_NAME)
    grace, _ = create_admin(LOGOUT_EMAIL, ADMIN_PASSWORD, name="Grace Hopper")

    required = socials_state(app).scopes
    platform = SocialPlatform(
        provider="facebook",
        name="Acme Marketing",
        external_user_id="10150000000000001",
        token_type="user",
        token_expires_at=at(2026, 12, 31, 23, 59),
        granted_scopes=[s for s in required if s not in ("pages_manage_metadata", "instagram_manage_messages")] + ["email"],
        declined_scopes=["instagram_manage_messages"],
        status="active",
        last_webhook_at=at(2026, 3, 14, 9, 26),
        last_synced_at=at(2026, 3, 14, 9, 0),
        token_checked_at=at(2026, 3, 14, 6, 0),
        pages=[
            SocialPage(
                page_id="112233445566778",
                name="Acme Bikes Deutschland",
                leadgen_subscribed=True,
                last_webhook_at=at(2026, 3, 14, 9, 26),
                instagram_account_id="17841400000000001",
            ),
            SocialPage(page_id="223344556677889", name="Acme Outlet", leadgen_subscribed=False),
        ],
    )
    eur = AdAccount(
        meta_account_id="act_1234567890",
        name="Acme Bikes EU",
        currency="EUR",
        timezone="Europe/Berlin",
        business_name="Acme Bikes GmbH",
        status=AccountStatus.ACTIVE,
        account_status=1,
        amount_spent=123456,
        spend_cap=500000,
        balance=2050,
        last_synced_at=at(2026, 3, 14, 9, 0),
        sync_status=SyncStatus.SYNCED,
        platform=platform,
    )
    jpy = AdAccount(
        meta_account_id="act_9876543210",
        name="Acme Bikes Japan",
        currency="JPY",
        timezone="Asia/Tokyo",
        status=AccountStatus.PENDING,
        amount_spent=98000,
        sync_status=SyncStatus.ERROR,
        platform=platform,
    )
    spring = AdCampaign(
        meta_campaign_id="120210000000000001",
        name="Spring test rides 2026 — DE",
        objective="OUTCOME_LEADS",
        status=DeliveryStatus.ACTIVE,
        effective_status="ACTIVE",
        daily_budget=2500,
        budget_remaining=1830,
        spend=98765,
        impressions=154321,
        clicks=2345,
        leads=87,
        start_time=at(2026, 3, 1),
        last_synced_at=at(2026, 3, 14, 9, 0),
        ad_account=eur,
    )
    campaigns = [
        spring,
        AdCampaign(
            meta_campaign_id="120210000000000002",
            name="Brand awareness — Q1",
            objective="OUTCOME_AWARENESS",
            status=DeliveryStatus.PAUSED,
            lifetime_budget=300000,
            spend=45000,
            impressions=512000,
            clicks=1200,
            ad_account=eur,
        ),
        AdCampaign(
            meta_campaign_id="120210000000000003",
            name="Winter clearance 2025",
            objective="LEAD_GENERATION",
            status=DeliveryStatus.ARCHIVED,
            spend=20000,
            ad_account=eur,
        ),
        AdCampaign(
            meta_campaign_id="120210000000000004",
            name="Tokyo launch",
            objective="OUTCOME_TRAFFIC",
            status=DeliveryStatus.DELETED,
            daily_budget=5000,
            spend=98000,
            impressions=40000,
            clicks=800,
            ad_account=jpy,
        ),
    ]
    berlin = AdSet(
        meta_adset_id="120211000000000001",
        name="Berlin 25–45 cyclists",
        status=DeliveryStatus.ACTIVE,
        daily_budget=1500,
        optimization_goal="LEAD_GENERATION",
        spend=60000,
        leads=51,
        campaign=spring,
    )
    munich = AdSet(
        meta_adset_id="120211000000000002",
        name="Munich lookalike 1 %",
        status=DeliveryStatus.PAUSED,
        optimization_goal="LEAD_GENERATION",
        spend=38765,
        leads=36,
        campaign=spring,
    )
    ad = Ad(meta_ad_id="120212000000000001", name="Cargo bike video", status=DeliveryStatus.ACTIVE, ad_set=berlin)

    form = LeadForm(
        meta_form_id="987654321098765",
        name="Probefahrt anfragen — test ride request",
        status=FormStatus.ACTIVE,
        locale="de_DE",
        questions=[
            {"key": "full_name", "label": "Vollständiger Name", "type": "FULL_NAME"},
            {"key": "email", "label": "E-Mail", "type": "EMAIL"},
            {"key": "phone_number", "label": "Telefonnummer", "type": "PHONE"},
            {
                "key": "which_models",
                "label": "Welche Modelle möchten Sie testen?",
                "type": "CUSTOM",
                "options": [
                    {"key": "city", "value": "City E-Bike"},
                    {"key": "trekking", "value": "Trekking Pro"},
                    {"key": "cargo", "value": "Cargo Family"},
                ],
            },
            {
                "key": "preferred_time",
                "label": "Wann passt es Ihnen am besten?",
                "type": "CUSTOM",
                "options": [{"key": "weekday", "value": "Werktags"}, {"key": "saturday", "value": "Samstag"}],
            },
            {"key": "comments", "label": "Anmerkungen", "type": "CUSTOM"},
        ],
        privacy_policy_url="https://acme.example/datenschutz",
        thank_you_page_url="https://acme.example/danke",
        leads_count=6,
        page_id="112233445566778",
        ad_account=eur,
        created_time=at(2026, 2, 20, 12, 0),
        last_lead_at=at(2026, 3, 14, 9, 26),
        last_synced_at=at(2026, 3, 14, 9, 0),
    )
    newsletter = LeadForm(
        meta_form_id="987654321098766",
        name="Newsletter sign-up",
        status=FormStatus.ARCHIVED,
        page_id="223344556677889",
        leads_count=0,
    )

    zoe = Person(
        full_name="Zoë Müller-Lüdenscheid",
        first_name="Zoë",
        last_name="Müller-Lüdenscheid",
        email="zoe.mueller@example.de",
        phone="+4915112345678",
        source="metaads",
    )
    jose = Person(full_name="José Ñúñez García", email="jose.nunez@example.es", phone="+34600123456", source="metaads")

    source = {
        "ad_id": "120212000000000001",
        "ad_name": "Cargo bike video",
        "adset_id": "120211000000000001",
        "adset_name": "Berlin 25–45 cyclists",
        "campaign_id": "120210000000000001",
        "campaign_name": "Spring test rides 2026 — DE",
        "form_id": form.meta_form_id,
        "page_id": form.page_id,
        "is_organic": False,
        "meta_platform": "fb",
        "lead_form": form,
        "platform": platform,
        "source": LeadSource.WEBHOOK,
    }

    def answers(name: str, email: str, phone: str, models: list[str], comment: str = "") -> list[dict[str, t.Any]]:
        data = [
            {"name": "full_name", "values": [name]},
            {"name": "email", "values": [email]},
            {"name": "phone_number", "values": [phone]},
            {"name": "which_models", "values": models},
            {"name": "preferred_time", "values": ["Samstag"]},
        ]
        if comment:
            data.append({"name": "comments", "values": [comment]})
        return data

    zoe_lead = Lead(
        meta_lead_id="900000000000000001",
        full_name="Zoë Müller-Lüdenscheid",
        first_name="Zoë",
        last_name="Müller-Lüdenscheid",
        email="zoe.mueller@example.de",
        phone="+4915112345678",
        field_data=[
            *answers(
                "Zoë Müller-Lüdenscheid",
                "Zoe.Mueller@example.de",
                "0151 12345678",
                ["City E-Bike", "Cargo Family"],
                "Können wir das Lastenrad mit Kindersitz testen? Am liebsten Samstagvormittag in Köln-Ehrenfeld — danke!",
            ),
            {"name": "postleitzahl", "values": ["50823"]},  # a question the form no longer lists
        ],
        custom_disclaimer_responses=[{"checkbox_key": "newsletter_opt_in", "is_checked": "1"}],
        created_time=at(2026, 3, 14, 9, 26),
        status=LeadStatus.NEW,
        person=zoe,
        **source,
    )
    jose_lead = Lead(
        meta_lead_id="900000000000000002",
        full_name="José Ñúñez García",
        email="jose.nunez@example.es",
        phone="+34600123456",
        field_data=answers("José Ñúñez García", "jose.nunez@example.es", "+34 600 123 456", ["Trekking Pro"]),
        created_time=at(2026, 3, 13, 17, 5),
        status=LeadStatus.CONTACTED,
        contacted_at=at(2026, 3, 13, 18, 40),
        assigned_to=str(ada.id),  # a user id, as assigning stores it
        notes="Called back; prefers a test ride in the Hamburg store.\nSend the brochure for the Trekking Pro.",
        person=jose,
        **{**source, "meta_platform": "ig"},
    )
    leads = [
        zoe_lead,
        jose_lead,
        Lead(
            meta_lead_id="900000000000000003",
            full_name="Σοφία Παπαδοπούλου",
            email="sofia.p@example.gr",
            phone="+306912345678",
            field_data=answers("Σοφία Παπαδοπούλου", "sofia.p@example.gr", "+30 691 234 5678", ["Cargo Family"]),
            created_time=at(2026, 3, 12, 8, 15),
            status=LeadStatus.QUALIFIED,
            assigned_to=str(grace.id),
            **source,
        ),
        Lead(
            meta_lead_id="900000000000000004",
            full_name="Ingrid Bjørnstad",
            email="ingrid@example.no",
            phone="+4791234567",
            field_data=answers("Ingrid Bjørnstad", "ingrid@example.no", "+47 912 34 567", ["City E-Bike"]),
            created_time=at(2026, 3, 10, 14, 2),
            status=LeadStatus.CONVERTED,
            contacted_at=at(2026, 3, 10, 15, 0),
            converted_at=at(2026, 3, 12, 11, 30),
            assigned_to=str(ada.id),  # a user id, as assigning stores it
            **source,
        ),
        Lead(
            meta_lead_id="900000000000000005",
            full_name="Maximilian Mustermann-Schwarzenberger",
            email="maximilian.mustermann-schwarzenberger@sehr-lange-firmenbezeichnung.example.com",
            phone="+4917000000000",
            field_data=answers(
                "Maximilian Mustermann-Schwarzenberger",
                "maximilian.mustermann-schwarzenberger@sehr-lange-firmenbezeichnung.example.com",
                "0170 0000000",
                ["Trekking Pro"],
            ),
            created_time=at(2026, 3, 9, 7, 45),
            status=LeadStatus.DISQUALIFIED,
            **source,
        ),
        Lead(
            meta_lead_id="900000000000000006",
            email="anonymous@example.org",
            field_data=[{"name": "email", "values": ["anonymous@example.org"]}],
            created_time=at(2026, 3, 1, 10, 0),
            status=LeadStatus.ARCHIVED,
            page_id=form.page_id,
            form_id=form.meta_form_id,
            is_organic=True,
            meta_platform="fb",
            lead_form=form,
            source=LeadSource.RECONCILER,
        ),
    ]
    db.session.add_all([platform, eur, jpy, *campaigns, berlin, munich, ad, form, newsletter, zoe, jose, *leads])
    db.session.flush()
    db.session.add_all(
        [
            LeadActivity(lead_id=jose_lead.id, action="received", to_value="new", created_at=at(2026, 3, 13, 17, 5)),
            LeadActivity(
                lead_id=jose_lead.id,
                action="status_changed",
                from_value="new",
                to_value="contacted",
                created_at=at(2026, 3, 13, 18, 40),
            ),
            WebhookInbox(
                dedupe_key="900000000000000099",
                leadgen_id="900000000000000099",
                page_id=form.page_id,
                form_id=form.meta_form_id,
                status=InboxStatus.GONE,
                attempts=1,
                error_code="100/33",
                last_error="Meta no longer has this lead (deleted, past the 90-day retention, or not visible to this token).",
                received_at=at(2026, 3, 14, 8, 0),
            ),
            SyncRun(
                kind="leads",
                trigger="scheduler",
                status=SyncRunStatus.SUCCEEDED,
                started_at=at(2026, 3, 14, 9, 0),
                finished_at=at(2026, 3, 14, 9, 1),
                counts={"fetched": 12, "created": 1, "missed_by_webhook": 1},
            ),
            # The spring campaign's delivery, as the insights sync stores it: yesterday in the
            # account's time zone, so the lists' default range (the last 30 days) shows it.
            AdInsight(
                ad_id=ad.id,
                ad_set_id=berlin.id,
                campaign_id=spring.id,
                ad_account_id=eur.id,
                date=account_today(eur) - dt.timedelta(days=1),
                impressions=spring.impressions,
                clicks=spring.clicks,
                link_clicks=spring.clicks,
                reach=spring.impressions // 2,
                spend=spring.spend,
                leads=spring.leads,
                currency=eur.currency,
            ),
        ]
    )
    db.session.commit()
    return {
        "lead": zoe_lead.id,
        "lead_contacted": jose_lead.id,
        "lead_form": form.id,
        "account": eur.id,
        "account_jpy": jpy.id,
        "campaign": spring.id,
        "person": zoe.id,
        "platform": platform.id,
    }


# ---------------------------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> t.Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium (bash .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def is_csp_violation(text: str) -> bool:
    return "Content Security Policy" in text or "Content-Security-Policy" in text or text.startswith("CSP violation")


#: Reports every CSP violation to the console, so the console listener sees it even when
#: Chromium does not log one itself (init scripts run outside the page's CSP).
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@dataclasses.dataclass
class Tab:
    """One browser page on the live server, with everything its console said."""

    page: Page
    server: LiveServer
    shots: Path
    errors: list[str] = dataclasses.field(default_factory=list)

    def goto(self, path: str, expect_status: int = 200) -> Response:
        response = self.page.goto(self.server.url + path)
        assert response is not None, path
        assert response.status == expect_status, f"{path}: {response.status}"
        return response

    def screenshot(self, name: str) -> Path:
        target = self.shots / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        return target

    def csp_violations(self) -> list[str]:
        return [text for text in self.errors if is_csp_violation(text)]

    def assert_clean(self, allow: t.Iterable[str] = ()) -> None:
        """No CSP violation ever; no other console error unless it contains an allowed text."""
        assert self.csp_violations() == []
        allowed = tuple(allow)
        unexpected = [text for text in self.errors if not any(a in text for a in allowed)]
        assert unexpected == []

    def has_horizontal_overflow(self) -> bool:
        return bool(self.page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


def open_tab(
    browser: Browser, server: LiveServer, shots: Path, *, viewport: dict[str, int] = DESKTOP, state: t.Any = None
) -> tuple[BrowserContext, Tab]:
    context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="UTC", storage_state=state)
    context.add_init_script(REPORT_CSP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    tab = Tab(page=page, server=server, shots=shots)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.errors.append(f"page error: {error}"))
    return context, tab


def log_in(tab: Tab, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD, *, then: str | None = None) -> None:
    """Log in through the form; land where login sends an admin (the dashboard), or on ``then``
    (the login page's ``next``)."""
    tab.goto("/login" + (f"?next={then}" if then else ""))
    tab.page.get_by_label("Email").fill(email)
    tab.page.get_by_label("Password").fill(password)
    tab.page.get_by_role("button", name="Log in").click()
    tab.page.wait_for_load_state()


def logged_in_state(browser: Browser, server: LiveServer, shots: Path) -> t.Any:
    context, tab = open_tab(browser, server, shots)
    try:
        log_in(tab)
        assert tab.page.url.endswith("/admin/meta-ads/"), tab.page.url  # admins land on the dashboard
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture(scope="session")
def admin_state(browser: Browser, live_server: LiveServer, screenshots: Path) -> t.Any:
    """The cookies of an admin who logged in through the form once."""
    return logged_in_state(browser, live_server, screenshots)


@pytest.fixture
def anon_tab(browser: Browser, live_server: LiveServer, screenshots: Path) -> t.Iterator[Tab]:
    context, tab = open_tab(browser, live_server, screenshots)
    yield tab
    context.close()


@pytest.fixture
def admin_tab(browser: Browser, live_server: LiveServer, screenshots: Path, admin_state: t.Any) -> t.Iterator[Tab]:
    context, tab = open_tab(browser, live_server, screenshots, state=admin_state)
    yield tab
    context.close()


@pytest.fixture
def mobile_tab(browser: Browser, live_server: LiveServer, screenshots: Path, admin_state: t.Any) -> t.Iterator[Tab]:
    context, tab = open_tab(browser, live_server, screenshots, viewport=MOBILE, state=admin_state)
    yield tab
    context.close()


@pytest.fixture
def empty_tab(browser: Browser, empty_server: LiveServer, screenshots: Path) -> t.Iterator[Tab]:
    state = logged_in_state(browser, empty_server, screenshots)
    context, tab = open_tab(browser, empty_server, screenshots, state=state)
    yield tab
    context.close()
