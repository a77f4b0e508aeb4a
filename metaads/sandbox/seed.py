"""The deterministic world the sandbox starts with: one business, two Pages, forms, ad
accounts in EUR/JPY/USD, campaigns in every status, and ~40 leads over the last 30 days."""

from __future__ import annotations

import dataclasses
import random
import typing as t

from metaads.sandbox.ids import make_token
from metaads.sandbox.leadgen import answers, question
from metaads.sandbox.tokens import ALL_SCOPES, SIXTY_DAYS, Token

if t.TYPE_CHECKING:
    from metaads.sandbox.state import SandboxState

DAY = 86400
PAGE_TASKS = ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"]


@dataclasses.dataclass
class SeedInfo:
    """Ids and tokens of the seeded objects, for tests and ``GET /_sandbox/seed``."""

    app_id: str
    business_id: str
    user_id: str
    user_token: str
    system_user_id: str
    system_user_token: str
    page_ids: list[str] = dataclasses.field(default_factory=list)
    page_tokens: dict[str, str] = dataclasses.field(default_factory=dict)
    #: "standard", "custom", "choice", "archived" → form id
    forms: dict[str, str] = dataclasses.field(default_factory=dict)
    #: "EUR", "JPY", "USD" → "act_<digits>"
    ad_accounts: dict[str, str] = dataclasses.field(default_factory=dict)
    campaigns: dict[str, str] = dataclasses.field(default_factory=dict)
    adsets: dict[str, str] = dataclasses.field(default_factory=dict)
    ads: dict[str, str] = dataclasses.field(default_factory=dict)
    lead_ids: list[str] = dataclasses.field(default_factory=list)
    #: The Conversions API dataset (pixel) of the business.
    dataset_id: str | None = None

    def as_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


def seed_identity(state: SandboxState, now: int) -> SeedInfo:
    """The business, its person and its system user, with tokens: present even with SEED off."""
    ids, store = state.ids, state.store
    business = store.add("business", {"id": ids.next("business"), "name": "Acme Sandbox S.L."})
    user = store.add("user", {"id": ids.next("user"), "name": "Alex Sandbox", "business_id": business["id"]})
    system = store.add(
        "user", {"id": ids.next("user"), "name": "Sandbox System User", "business_id": business["id"], "system": True}
    )
    user_token = state.tokens.add(
        Token(make_token("user"), "USER", list(ALL_SCOPES), now - DAY, expires_at=now - DAY + SIXTY_DAYS, user_id=user["id"])
    )
    system_token = state.tokens.add(
        Token(make_token("system-user"), "SYSTEM_USER", list(ALL_SCOPES), now - 30 * DAY, user_id=system["id"])
    )
    return SeedInfo(state.config["APP_ID"], business["id"], user["id"], user_token.value, system["id"], system_token.value)


def seed_world(state: SandboxState, info: SeedInfo, now: int) -> None:
    _pages(state, info, now)
    _forms(state, info, now)
    _accounts(state, info, now)
    _ads(state, info, now)
    _leads(state, info, now)
    info.dataset_id = state.add_dataset()


def _pages(state: SandboxState, info: SeedInfo, now: int) -> None:
    for n, name in enumerate(["Acme Kitchens", "Acme Solar Ibérica"]):
        page = state.store.add(
            "page",
            {
                "id": state.ids.next("page"),
                "name": name,
                "category": "Home Improvement",
                "business_id": info.business_id,
                "tasks": PAGE_TASKS,
            },
            [info.business_id],
        )
        token = state.tokens.add(
            Token(make_token(f"page-{n}"), "PAGE", list(ALL_SCOPES), now - DAY, user_id=info.user_id, page_id=page["id"])
        )
        info.page_ids.append(page["id"])
        info.page_tokens[page["id"]] = token.value


def _form(
    state: SandboxState,
    page_id: str,
    name: str,
    questions: list[dict[str, t.Any]],
    *,
    locale: str,
    created: int,
    status: str = "ACTIVE",
    disclaimer: bool = False,
) -> str:
    for q in questions:
        q["id"] = state.ids.next("question")
    slug = name.lower().split()[0]
    form = {
        "id": state.ids.next("form"),
        "name": name,
        "page_id": page_id,
        "status": status,
        "locale": locale,
        "questions": questions,
        "created": created,
        "privacy_policy": {"url": "https://acme.example/privacy", "link_text": "Privacy policy"},
        "follow_up_action_url": f"https://acme.example/{slug}/thanks",
        "thank_you_page": {
            "id": state.ids.next("question"),
            "title": "Thanks!",
            "body": "We will call you soon.",
            "button_text": "Visit website",
            "button_type": "VIEW_WEBSITE",
            "website_url": "https://acme.example",
            "status": "ACTIVE",
        },
        "disclaimer_checkboxes": ["optin_1"] if disclaimer else [],
    }
    return state.store.add("form", form, [page_id])["id"]


def _forms(state: SandboxState, info: SeedInfo, now: int) -> None:
    page1, page2 = info.page_ids
    choice_type = state.config["CHOICE_QUESTION_TYPE"]
    info.forms["standard"] = _form(
        state,
        page1,
        "Contact us – Kitchens",
        [
            question("FULL_NAME", "Full name"),
            question("EMAIL", "Email"),
            question("PHONE", "Phone number"),
        ],
        locale="en_US",
        created=now - 120 * DAY,
    )
    info.forms["custom"] = _form(
        state,
        page2,
        "Solicitud de presupuesto",
        [
            question("FULL_NAME", "Nombre completo"),
            question("EMAIL", "Correo electrónico"),
            question("CUSTOM", "Número de teléfono"),
            question("CUSTOM", "¿Cuándo quieres empezar?"),
            question("CUSTOM", "Which flat/apartment size do you need"),
        ],
        locale="es_ES",
        created=now - 100 * DAY,
    )
    info.forms["choice"] = _form(
        state,
        page2,
        "Quote request – Solar",
        [
            question("FULL_NAME", "Full name"),
            question("EMAIL", "Email"),
            question(
                choice_type,
                "What is your budget?",
                options=[("up_to_10k", "Up to 10k €"), ("10k_to_50k", "10k–50k €"), ("over_50k", "Over 50k €")],
            ),
            question(
                choice_type,
                "Best time to call",
                options=[("morning", "Morning"), ("afternoon", "Afternoon"), ("evening", "Evening")],
            ),
        ],
        locale="en_GB",
        created=now - 90 * DAY,
        disclaimer=True,
    )
    info.forms["archived"] = _form(
        state,
        page1,
        "Webinar signup 2025",
        [
            question("FULL_NAME", "Full name"),
            question("EMAIL", "Email"),
        ],
        locale="en_US",
        created=now - 400 * DAY,
        status="ARCHIVED",
    )


ACCOUNTS: list[tuple[str, str, str, int, int, int, int, int, int]] = [
    # currency, name, timezone, status, disable_reason, spent, cap, balance, min daily budget
    ("EUR", "Acme Kitchens EU", "Europe/Madrid", 1, 0, 1234567, 5000000, 45678, 100),
    ("JPY", "Acme Japan", "Asia/Tokyo", 1, 0, 987654, 0, 12000, 100),
    ("USD", "Acme Legacy US", "America/Los_Angeles", 2, 1, 0, 0, 0, 100),
]


def _accounts(state: SandboxState, info: SeedInfo, now: int) -> None:
    for currency, name, tz, status, reason, spent, cap, balance, minimum in ACCOUNTS:
        digits = state.ids.next("adaccount")
        account: dict[str, t.Any] = {
            "id": f"act_{digits}",
            "account_id": digits,
            "name": name,
            "currency": currency,
            "timezone_name": tz,
            "account_status": status,
            "disable_reason": reason,
            "amount_spent": spent,
            "spend_cap": cap,
            "balance": balance,
            "min_daily_budget": minimum,
            "business_id": info.business_id,
            "created": now - 700 * DAY,
            "is_prepay_account": False,
        }
        state.store.add("adaccount", account, [info.business_id])
        info.ad_accounts[currency] = account["id"]


#: label, account, name, objective, status, campaign budget (minor units) or None
CAMPAIGNS = [
    ("kitchens", "EUR", "Leads – Kitchens Q4", "OUTCOME_LEADS", "ACTIVE", 5000),
    ("solar", "EUR", "Leads – Solar quotes", "OUTCOME_LEADS", "ACTIVE", None),
    ("blog", "EUR", "Traffic – Blog", "OUTCOME_TRAFFIC", "PAUSED", None),
    ("brand", "EUR", "Awareness – Brand", "OUTCOME_AWARENESS", "ACTIVE", None),
    ("retargeting", "EUR", "Leads – Retargeting", "OUTCOME_LEADS", "PAUSED", 3000),
    ("summer", "EUR", "Leads – Summer 2026", "OUTCOME_LEADS", "ARCHIVED", 4000),
    ("old", "EUR", "Old test campaign", "OUTCOME_LEADS", "DELETED", 1000),
    ("tokyo", "JPY", "リード獲得 – 東京", "OUTCOME_LEADS", "ACTIVE", 5000),
]
#: label, campaign, name, status, ad-set budget or None, page index
ADSETS = [
    ("kitchens_es", "kitchens", "Kitchens – ES 25-55", "ACTIVE", None, 0),
    ("solar_madrid", "solar", "Solar – Madrid", "ACTIVE", 2500, 1),
    ("solar_bcn", "solar", "Solar – Barcelona", "PAUSED", 2000, 1),
    ("blog_readers", "blog", "Blog readers", "ACTIVE", 1000, 0),
    ("brand_es", "brand", "Brand – Spain", "ACTIVE", 1500, 0),
    ("retargeting_all", "retargeting", "Retargeting – site visitors", "ACTIVE", None, 1),
    ("summer_all", "summer", "Summer – all Spain", "ARCHIVED", None, 0),
    ("old_all", "old", "Old test ad set", "ACTIVE", None, 0),
    ("tokyo_25_45", "tokyo", "東京 – 25-45", "ACTIVE", None, 1),
]
#: label, ad set, name, status, form label or None, days since delivery stopped
ADS = [
    ("kitchens_carousel", "kitchens_es", "Kitchens – Carousel", "ACTIVE", "standard", 0),
    ("kitchens_video", "kitchens_es", "Kitchens – Video", "PAUSED", "standard", 12),
    ("solar_static", "solar_madrid", "Solar – Static", "ACTIVE", "choice", 0),
    ("solar_bcn_static", "solar_bcn", "Solar – Barcelona static", "ACTIVE", "choice", 8),
    ("blog_link", "blog_readers", "Blog – link ad", "ACTIVE", None, 15),
    ("brand_video", "brand_es", "Brand – Video", "ACTIVE", None, 0),
    ("retargeting_form", "retargeting_all", "Retargeting – Presupuesto", "ACTIVE", "custom", 5),
    ("summer_form", "summer_all", "Summer – Form", "ARCHIVED", "standard", 45),
    ("old_ad", "old_all", "Old test ad", "ACTIVE", "standard", 60),
    ("tokyo_static", "tokyo_25_45", "東京 – 静止画", "ACTIVE", "choice", 0),
]


def _ads(state: SandboxState, info: SeedInfo, now: int) -> None:
    store, ids = state.store, state.ids
    for label, currency, name, objective, status, budget in CAMPAIGNS:
        account = store.objects[info.ad_accounts[currency]]
        campaign = {
            "id": ids.next("campaign"),
            "account_id": account["account_id"],
            "name": name,
            "objective": objective,
            "status": status,
            "buying_type": "AUCTION",
            "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
            "special_ad_categories": [],
            "created": now - 80 * DAY,
            "updated": now - 10 * DAY,
            "start": now - 80 * DAY,
        }
        if budget is None:
            campaign["is_adset_budget_sharing_enabled"] = False
        else:
            campaign["daily_budget"] = budget
        store.add("campaign", campaign, [account["id"]])
        info.campaigns[label] = campaign["id"]
    for label, parent, name, status, budget, page in ADSETS:
        campaign = store.objects[info.campaigns[parent]]
        adset = {
            "id": ids.next("adset"),
            "account_id": campaign["account_id"],
            "campaign_id": campaign["id"],
            "name": name,
            "status": status,
            "billing_event": "IMPRESSIONS",
            "optimization_goal": "LEAD_GENERATION" if campaign["objective"] == "OUTCOME_LEADS" else "REACH",
            "targeting": {"geo_locations": {"countries": ["JP" if "東京" in name else "ES"]}, "age_min": 25},
            "destination_type": "ON_AD" if campaign["objective"] == "OUTCOME_LEADS" else "WEBSITE",
            "promoted_object": {"page_id": info.page_ids[page]},
            "created": now - 80 * DAY,
            "updated": now - 10 * DAY,
            "start": now - 80 * DAY,
        }
        if budget is not None:
            adset["daily_budget"] = budget
        store.add("adset", adset, ["act_" + campaign["account_id"], campaign["id"]])
        info.adsets[label] = adset["id"]
    for label, parent, name, status, form, stopped in ADS:
        adset = store.objects[info.adsets[parent]]
        page_id = adset["promoted_object"]["page_id"]
        creative = state.add_creative(
            adset["account_id"], f"{name} creative", page_id, info.forms.get(form or ""), created=now - 60 * DAY
        )
        ad = {
            "id": ids.next("ad"),
            "account_id": adset["account_id"],
            "campaign_id": adset["campaign_id"],
            "adset_id": adset["id"],
            "name": name,
            "status": status,
            "creative_id": creative["id"],
            "form_id": info.forms.get(form or ""),
            "created": now - 60 * DAY,
            "updated": now - stopped * DAY,
            "delivery_end": now - stopped * DAY if stopped else None,
        }
        store.add("ad", ad, ["act_" + adset["account_id"], adset["campaign_id"], adset["id"]])
        info.ads[label] = ad["id"]


#: form label → (leads, ads they come from; None = organic)
LEADS = {
    "standard": (16, ["kitchens_carousel", "kitchens_carousel", "kitchens_video", None]),
    "custom": (10, ["retargeting_form", None]),
    "choice": (14, ["solar_static", "solar_bcn_static", "tokyo_static", None]),
}


def _leads(state: SandboxState, info: SeedInfo, now: int) -> None:
    rng = random.Random(20261120)
    made: list[dict[str, t.Any]] = []
    for form_label, (count, sources) in LEADS.items():
        form = state.store.objects[info.forms[form_label]]
        for n in range(count):
            ad_label = sources[n % len(sources)]
            ad = state.store.objects[info.ads[ad_label]] if ad_label else None
            # An ad's leads fall while it still delivered, so insights and leads agree.
            newest = (now - ad["delivery_end"]) if ad and ad["delivery_end"] else 600
            created = now - rng.randint(newest, 30 * DAY)
            made.append(
                state.new_lead(
                    form,
                    answers(form["questions"], rng, n + len(made)),
                    created,
                    ad,
                    "ig" if n % 5 == 4 else "fb",
                    [{"checkbox_key": "optin_1", "is_checked": "1"}] if form["disclaimer_checkboxes"] else None,
                )
            )
    made.sort(key=lambda lead: (lead["created"], int(lead["id"])))
    state.store.add_leads_bulk(made)
    info.lead_ids = [lead["id"] for lead in made]


def bulk_ad_tree(
    state: SandboxState,
    account_id: str,
    campaigns: int,
    adsets: int,
    ads: int,
    *,
    status: str,
    form_id: str | None,
    days: float,
) -> dict[str, t.Any]:
    """Campaigns × ad sets × ads of lead ads, fast (no validation), for benchmarks."""
    store, ids = state.store, state.ids
    account = store.get(account_id, "adaccount")
    if account is None:
        raise KeyError(f"no ad account {account_id}")
    form_id = form_id or state.seed.forms.get("standard")
    form = store.get(form_id or "", "form")
    if form is None:
        raise KeyError(f"no lead form {form_id}")
    created = int(state.now() - days * DAY)
    digits, page_id = account["account_id"], form["page_id"]
    made: dict[str, list[str]] = {"campaigns": [], "adsets": [], "ads": []}
    base = {"account_id": digits, "status": status, "created": created, "updated": created, "start": created}
    for c in range(campaigns):
        campaign = {
            **base,
            "id": ids.next("campaign"),
            "name": f"Bulk campaign {c + 1}",
            "objective": "OUTCOME_LEADS",
            "buying_type": "AUCTION",
            "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
            "special_ad_categories": [],
            "is_adset_budget_sharing_enabled": False,
        }
        store.add("campaign", campaign, [account["id"]])
        made["campaigns"].append(campaign["id"])
        for s in range(adsets):
            adset = {
                **base,
                "id": ids.next("adset"),
                "campaign_id": campaign["id"],
                "name": f"Bulk ad set {c + 1}.{s + 1}",
                "billing_event": "IMPRESSIONS",
                "optimization_goal": "LEAD_GENERATION",
                "destination_type": "ON_AD",
                "promoted_object": {"page_id": page_id},
                "targeting": {"geo_locations": {"countries": ["ES"]}, "targeting_automation": {"advantage_audience": 0}},
                "daily_budget": 1000,
            }
            store.add("adset", adset, [account["id"], campaign["id"]])
            made["adsets"].append(adset["id"])
            creative = state.add_creative(digits, f"Bulk creative {c + 1}.{s + 1}", page_id, form["id"], created=created)
            for a in range(ads):
                ad = {
                    **base,
                    "id": ids.next("ad"),
                    "campaign_id": campaign["id"],
                    "adset_id": adset["id"],
                    "name": f"Bulk ad {c + 1}.{s + 1}.{a + 1}",
                    "creative_id": creative["id"],
                    "form_id": form["id"],
                    "delivery_end": None,
                }
                store.add("ad", ad, [account["id"], campaign["id"], adset["id"]])
                made["ads"].append(ad["id"])
    return {kind: len(found) for kind, found in made.items()} | {"ids": made}
