"""Response headers that a browser-facing admin needs, and log redaction of secrets and PII."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def policy_with(**sources: Iterable[str]) -> str:
    """The strict policy with more sources for some directives, for the one response that needs
    them (an ad's page shows its image from Meta's CDN: ``policy_with(img_src=[origin])``).
    A directive the policy does not name (``frame_src``) gets only the sources given."""
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in (p.strip() for p in CONTENT_SECURITY_POLICY.split(";")) if part
    )
    for name, extra in sources.items():
        directive = name.replace("_", "-")
        current = directives.get(directive, [])
        directives[directive] = [*current, *(source for source in extra if source not in current)]
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("Permissions-Policy", "browsing-topics=(), camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if "Cache-Control" not in headers and not request.path.startswith("/static"):
        # Lead pages and exports hold personal data: never keep them in a shared or disk cache.
        headers["Cache-Control"] = "no-store"
    return response


_REDACTIONS = [
    (re.compile(r"(access_token|appsecret_proof|client_secret|input_token|fb_exchange_token)=[^&\s\"']+"), r"\1=[redacted]"),
    (re.compile(r"([?&](?:code|state)=)[^&\s\"']+"), r"\1[redacted]"),
    (re.compile(r"(Bearer|OAuth)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    # E.164-looking numbers only: bare digit runs are Meta ids, which logs need.
    (re.compile(r"\+\d[\d ().-]{6,}\d"), "[phone]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites every record so that tokens, emails and phone numbers never reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction() -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler: logging.Handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
    install_log_redaction()
