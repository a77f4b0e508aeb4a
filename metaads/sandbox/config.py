"""Defaults of the sandbox and the fixed tables it shares with Meta (versions, currencies)."""

from __future__ import annotations

import typing as t

#: Every key ``create_sandbox_app`` reads, with its default. Keys marked "[unverified]" in
#: meta-graph.md are knobs here so a test can flip them when Meta turns out to differ.
DEFAULTS: dict[str, t.Any] = {
    # The brief's and the test config's name; real app ids are 15-16 digit numbers.
    "APP_ID": "sandbox-app-id",
    "APP_SECRET": "sandbox-app-secret",
    "APP_NAME": "Sandbox Leads App",
    "REQUIRE_APPSECRET_PROOF": True,
    # Timed proofs (``appsecret_time``) older than this are refused (§11.1).
    "APPSECRET_TIME_WINDOW": 300,
    "LATENCY_MS": 0,
    "SEED": True,
    # Unix seconds the seed is laid out around; None = the wall clock at start-up.
    "SEED_NOW": None,
    "PAGE_SIZE": 25,
    # Largest ``limit`` an edge honours (§7 "Some edges cap limit" [unverified]).
    "MAX_PAGE_SIZE": 500,
    "DEFAULT_VERSION": "v26.0",
    "ACCEPTED_VERSIONS": [f"v{n}.0" for n in range(19, 28)],
    "EXPIRED_VERSIONS": set(),
    # Unknown ``fields=`` names fail with code 100 as on Meta; False to ignore them.
    "STRICT_FIELDS": True,
    # Meta wants a Page token on leadgen_forms and subscribed_apps.
    "STRICT_PAGE_TOKENS": True,
    # Leads older than this are gone from Graph (§2.4, retention wording [unverified]).
    "LEAD_RETENTION_DAYS": 90,
    # Question ``type`` of the seeded multiple-choice question (§2.5 vs §3.1 disagree).
    "CHOICE_QUESTION_TYPE": "CUSTOM",
    # Error code for a page whose Leads Access Manager blocks this app (§2.2 [unverified]).
    "LEADS_ACCESS_ERROR_CODE": 200,
    # Scopes the simulated person unticks in the OAuth dialog.
    "DECLINE_SCOPES": set(),
    # Redirect URIs the dialog accepts; None accepts any (Strict Mode off).
    "REDIRECT_URIS": None,
    # Send the hub.challenge GET when /{app-id}/subscriptions is written (§1.1).
    "VERIFY_SUBSCRIPTIONS": True,
    # Deliver leadgen webhooks to the app's subscription when test leads are created.
    "AUTO_WEBHOOKS": True,
    "WEBHOOK_TIMEOUT": 10.0,
    # Versions from which a campaign without budget must say is_adset_budget_sharing_enabled.
    "BUDGET_SHARING_FLAG_FROM": 24,
    # Subcode for that refusal (seen in third-party reports, [unverified]).
    "BUDGET_SHARING_SUBCODE": 4834011,
    # Versions from which a new ad set must send targeting_automation.advantage_audience 0|1.
    "ADVANTAGE_AUDIENCE_FROM": 23,
    # Subcode for that refusal (seen in third-party reports, [unverified]).
    "ADVANTAGE_AUDIENCE_SUBCODE": 1870227,
    # effective_status=["DELETED"] on an edge: refused (§5.1, the default) or listed.
    "ALLOW_DELETED_FILTER": False,
    # Polls of GET /{report_run_id} before an async insights job says "Job Completed".
    "ASYNC_REPORT_STEPS": 2,
    # Refuse calls over a BUC budget below (80004 ads_management, 80000 ads_insights, 80005 leadgen).
    "ENFORCE_USAGE": True,
    # Synchronous /insights covering more ads × days than this fail with 100/1487534 (§6.4;
    # Meta's real threshold is not published [unverified]); None = no limit.
    "SYNC_INSIGHTS_MAX_AD_DAYS": 50_000,
    # The same for async report runs: the job ends "Job Failed" with 100/1487534.
    "ASYNC_INSIGHTS_MAX_AD_DAYS": None,
    # Conversions API: take user_data.lead_id as a digit string too (the SDK types it str).
    "CAPI_STRING_LEAD_IDS": True,
    # Calls per rolling hour that make a usage header read 100 (%), per usage type.
    "USAGE_BUDGETS": {
        "app": 20000,
        "ads_management": 10000,
        "ads_insights": 5000,
        "leadgen": 50000,
        "pages": 20000,
    },
    # Base of paging.next URLs; None = the URL the request came in on.
    "PUBLIC_URL": None,
    # Serve /_sandbox/... (local development and tests only).
    "CONTROL_API": True,
}

#: Currency → multiplier from major to minor units, as Meta's table has it (§4.3). Meta's table,
#: not ISO 4217: HUF, TWD, IDR and COP are offset 1 here.
CURRENCY_OFFSETS: dict[str, int] = {
    "CLP": 1,
    "COP": 1,
    "CRC": 1,
    "HUF": 1,
    "ISK": 1,
    "IDR": 1,
    "JPY": 1,
    "KRW": 1,
    "PYG": 1,
    "TWD": 1,
    "VND": 1,
}


def currency_offset(currency: str) -> int:
    """Minor units per major unit for ``currency`` (100 unless Meta's table says 1)."""
    return CURRENCY_OFFSETS.get(currency.upper(), 100)


def version_number(version: str) -> int:
    """``"v26.0"`` → 26; raises ValueError for anything else."""
    if not version.startswith("v") or "." not in version:
        raise ValueError(version)
    return int(version[1:].split(".")[0])


def build_config(overrides: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
    """Defaults overlaid with ``overrides``; sets are copied so apps never share them."""
    config = {k: (set(v) if isinstance(v, set) else v) for k, v in DEFAULTS.items()}
    config["USAGE_BUDGETS"] = dict(DEFAULTS["USAGE_BUDGETS"])
    for key, value in (overrides or {}).items():
        config[key] = value
    config["EXPIRED_VERSIONS"] = set(config["EXPIRED_VERSIONS"] or ())
    config["DECLINE_SCOPES"] = set(config["DECLINE_SCOPES"] or ())
    return config
