"""Access tokens the sandbox knows, and the checks Graph makes on them (§9.3, §11)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import time
import typing as t

from metaads.sandbox.errors import GraphError, token_error

#: Every scope the seeded people granted (§11.5).
ALL_SCOPES = [
    "ads_read",
    "ads_management",
    "leads_retrieval",
    "pages_manage_ads",
    "business_management",
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_metadata",
]

SIXTY_DAYS = 60 * 86400
NINETY_DAYS = 90 * 86400


@dataclasses.dataclass
class Token:
    """One access token: who it speaks for and whether it still works."""

    value: str
    type: str  # USER, PAGE, APP, SYSTEM_USER
    scopes: list[str]
    issued_at: int
    expires_at: int = 0  # 0 = never (page tokens from long-lived user tokens, system users)
    user_id: str | None = None
    page_id: str | None = None
    revoked_subcode: int | None = None

    @property
    def data_access_expires_at(self) -> int:
        return 0 if self.type in ("APP", "SYSTEM_USER") else self.issued_at + NINETY_DAYS


class TokenBook:
    """Token string → Token. The app token ``{app_id}|{app_secret}`` is always valid."""

    def __init__(self, app_id: str, app_secret: str) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.tokens: dict[str, Token] = {}

    def add(self, token: Token) -> Token:
        self.tokens[token.value] = token
        return token

    def find(self, value: str) -> Token | None:
        if value == f"{self.app_id}|{self.app_secret}":
            return Token(value, "APP", [], 0)
        return self.tokens.get(value)

    def check(self, value: str, now: float) -> Token:
        """The live Token for ``value``, else the 190 error Meta gives (§9.3)."""
        token = self.find(value)
        if token is None:
            raise token_error(None)
        if token.revoked_subcode is not None:
            raise token_error(token.revoked_subcode)
        if token.expires_at and token.expires_at <= now:
            raise token_error(463)
        return token

    def revoke(self, value: str, subcode: int = 460) -> None:
        token = self.tokens.get(value)
        if token is None:
            raise KeyError(value)
        token.revoked_subcode = subcode

    def expire(self, value: str, now: float) -> None:
        self.tokens[value].expires_at = int(now) - 1


def appsecret_proof(app_secret: str, token: str, at: int | None = None) -> str:
    """hex HMAC-SHA256(app_secret, token), or over ``token|at`` for the timed variant (§11.1)."""
    message = token if at is None else f"{token}|{at}"
    return hmac.new(app_secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def check_proof(
    config: t.Mapping[str, t.Any], token: Token, proof: str | None, proof_time: str | None, now: float | None = None
) -> None:
    """Refuse a wrong proof always, and a missing one when REQUIRE_APPSECRET_PROOF is on."""
    if token.type == "APP" and "|" in token.value:
        return  # the app token carries the secret itself
    secret = config["APP_SECRET"]
    if proof is None:
        if config["REQUIRE_APPSECRET_PROOF"]:
            raise GraphError("API calls from the server require an appsecret_proof argument", 100, type="GraphMethodException")
        return
    if proof_time is not None:
        expected = appsecret_proof(secret, token.value, int(proof_time) if proof_time.isdigit() else -1)
        window = int(config["APPSECRET_TIME_WINDOW"])
        fresh = proof_time.isdigit() and abs((now or time.time()) - int(proof_time)) <= window
        if fresh and hmac.compare_digest(proof, expected):
            return
    elif hmac.compare_digest(proof, appsecret_proof(secret, token.value)):
        return
    raise GraphError("Invalid appsecret_proof provided in the API argument", 100)
