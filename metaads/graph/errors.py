"""Graph API errors, sorted by Meta's ``code`` / ``error_subcode`` and never by HTTP status.

Meta answers almost every failure with HTTP 400 (throttles included: they are not 429), so the
HTTP status only decides anything when there is no ``{"error": {...}}`` envelope at all
(meta-graph.md §9). :func:`classify` is the one place that maps an envelope to a class.
"""

from __future__ import annotations

import enum
import json
import typing as t
from collections.abc import Iterable, Mapping

from metaads.graph.usage import Usage, parse_usage
from plugins.core.security import redact

#: Seconds to wait after a throttle when no usage header says how long (calls made during a
#: block extend it, so err long rather than short).
DEFAULT_RETRY_AFTER = 300.0

TRANSIENT_CODES = frozenset({1, 2})
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613}) | frozenset(range(80000, 80015))
#: App-wide throttles: every call of the app is affected, whatever the object.
APP_RATE_LIMIT_CODES = frozenset({4, 341})
TOKEN_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({3, 10}) | frozenset(range(200, 300))
#: Requests the caller must change before sending again (bad value, unknown path, too old a date).
INVALID_PARAMETER_CODES = frozenset({100, 506, 2500, 3018})
VERSION_EXPIRED_CODE = 2635
NOT_FOUND_SUBCODE = 33


class TokenErrorReason(enum.StrEnum):
    """Why Meta refused a token (code 190/102 subcodes, meta-graph.md §9.3)."""

    REVOKED = "revoked"  # 458: the user removed the app
    CHECKPOINT = "checkpoint"  # 459: the user must log in to facebook.com
    PASSWORD_CHANGED = "password_changed"  # 460  # noqa: S105 (a reason, not a password)
    EXPIRED = "expired"  # 463
    UNCONFIRMED_USER = "unconfirmed_user"  # 464
    LOGGED_OUT = "logged_out"  # 467: invalid token, e.g. the user logged out
    INVALID_SESSION = "invalid_session"  # 492: e.g. the user lost their role on the Page
    SESSION = "session"  # code 102 without a known subcode
    INVALID = "invalid"  # anything else


_TOKEN_REASONS = {
    458: TokenErrorReason.REVOKED,
    459: TokenErrorReason.CHECKPOINT,
    460: TokenErrorReason.PASSWORD_CHANGED,
    463: TokenErrorReason.EXPIRED,
    464: TokenErrorReason.UNCONFIRMED_USER,
    467: TokenErrorReason.LOGGED_OUT,
    492: TokenErrorReason.INVALID_SESSION,
}


class GraphError(Exception):
    """A failed Graph call. ``str()`` never holds a token: messages are redacted on the way in.

    :param message: Meta's ``message`` (or ours when there was no envelope), already redacted.
    :param code: Meta's ``code``; ``None`` when the failure had no Graph error envelope.
    :param subcode: Meta's ``error_subcode``.
    :param type: Meta's ``type`` (``OAuthException``, ``GraphMethodException``, ...).
    :param fbtrace_id: the id Meta support asks for.
    :param http_status: the HTTP status, for the record only; never used to decide anything
        when an envelope is present.
    :param is_transient: Meta's ``is_transient`` flag (always true on :class:`GraphTransientError`).
    :param path: method and path of the call (no query string), for logs.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        type: str | None = None,
        fbtrace_id: str | None = None,
        http_status: int | None = None,
        is_transient: bool = False,
        user_title: str | None = None,
        user_message: str | None = None,
        error_data: t.Any = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_message = user_message
        self.error_data = error_data
        self.path = path

    def __str__(self) -> str:
        details = [f"code={self.code}"] if self.code is not None else []
        if self.subcode is not None:
            details.append(f"subcode={self.subcode}")
        if self.http_status is not None:
            details.append(f"http={self.http_status}")
        if self.fbtrace_id:
            details.append(f"fbtrace_id={self.fbtrace_id}")
        if self.path:
            details.append(self.path)
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class GraphTransientError(GraphError):
    """Meta's codes 1/2, ``is_transient: true``, a 5xx without an envelope, a timeout or a lost
    connection: worth retrying with backoff."""

    def __init__(self, message: str, **kwargs: t.Any) -> None:
        kwargs["is_transient"] = True
        super().__init__(message, **kwargs)


class GraphRateLimitError(GraphError):
    """A throttle (codes 4, 17, 32, 341, 613, 80000-80014), or our own usage store refusing to
    call Meta. Not retried in-process: jobs re-enqueue after :attr:`retry_after` seconds.

    :param retry_after: seconds to wait, from the usage headers when Meta sent any.
    :param scope: the usage scope that is throttled (``app`` or ``object:<id>``) when known.
    :param usage: the usage headers of the failing response.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float = DEFAULT_RETRY_AFTER,
        scope: str | None = None,
        usage: Usage | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.scope = scope
        self.usage = usage


class GraphTokenError(GraphError):
    """Code 190 or 102: the token is no good; the connection needs a new one.

    :param reason: what the subcode says happened (expired, password changed, ...).
    """

    def __init__(self, message: str, *, reason: TokenErrorReason = TokenErrorReason.INVALID, **kwargs: t.Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason


class GraphPermissionError(GraphError):
    """Codes 10, 200-299 and 3: a permission or capability is missing."""


class GraphInvalidParameterError(GraphError):
    """Code 100 and the other request-validation codes (506, 2500, 3018): fix the request."""


class GraphNotFoundError(GraphInvalidParameterError):
    """Code 100 subcode 33: the object does not exist, or this token may not see it."""


class GraphVersionExpiredError(GraphError):
    """Code 2635: the configured Marketing API version has expired; bump it."""


class GraphUnsafeNextError(GraphError):
    """A ``paging.next`` URL pointed somewhere other than the configured Graph base URL.
    Raised before any request is sent."""


class GraphResponseError(GraphError):
    """Meta answered, but not with something we can read (not JSON, unexpected shape)."""


def token_error_reason(code: int | None, subcode: int | None) -> TokenErrorReason:
    """The :class:`TokenErrorReason` for a 190/102 error."""
    if subcode is not None and subcode in _TOKEN_REASONS:
        return _TOKEN_REASONS[subcode]
    return TokenErrorReason.SESSION if code == 102 else TokenErrorReason.INVALID


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` without the given secrets and without anything token-shaped.

    Meta echoes tokens back in some messages ("Malformed access token EAAB..."), so the exact
    values are removed first, then the project's generic redaction runs.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return redact(text)


def classify(
    error_json: t.Any,
    http_status: int | None,
    headers: Mapping[str, str] | None,
    *,
    secrets: Iterable[str | None] = (),
    path: str | None = None,
) -> GraphError:
    """The :class:`GraphError` subclass for a failed response.

    :param error_json: the decoded body (``{"error": {...}}`` or the inner object), or anything
        else when the body was not a Graph error envelope.
    :param http_status: only consulted when there is no envelope.
    :param headers: response headers; usage headers feed :attr:`GraphRateLimitError.retry_after`.
    :param secrets: exact strings to scrub from Meta's message (the token, the proof).
    :param path: method and path for the error's context.
    """
    envelope = _envelope(error_json)
    usage = parse_usage(headers)
    if envelope is None:
        return _without_envelope(http_status, usage, path)
    code = _int(envelope.get("code"))
    subcode = _int(envelope.get("error_subcode"))
    message = scrub(str(envelope.get("message") or "Graph API error"), secrets)
    common: dict[str, t.Any] = {
        "code": code,
        "subcode": subcode,
        "type": _str(envelope.get("type")),
        "fbtrace_id": _str(envelope.get("fbtrace_id")),
        "http_status": http_status,
        "is_transient": envelope.get("is_transient") is True,
        "user_title": _str(envelope.get("error_user_title")),
        "user_message": _str(envelope.get("error_user_msg")),
        "error_data": _error_data(envelope.get("error_data")),
        "path": path,
    }
    return _by_code(message, code, subcode, usage, common)


def _by_code(message: str, code: int | None, subcode: int | None, usage: Usage, common: dict[str, t.Any]) -> GraphError:
    if code in TOKEN_CODES:
        return GraphTokenError(message, reason=token_error_reason(code, subcode), **common)
    if code in RATE_LIMIT_CODES:
        return GraphRateLimitError(message, retry_after=usage.retry_after() or DEFAULT_RETRY_AFTER, usage=usage, **common)
    if code == VERSION_EXPIRED_CODE:
        return GraphVersionExpiredError(message, **common)
    if code in PERMISSION_CODES:
        return GraphPermissionError(message, **common)
    if code == 100 and subcode == NOT_FOUND_SUBCODE:
        return GraphNotFoundError(message, **common)
    if code in INVALID_PARAMETER_CODES:
        return GraphInvalidParameterError(message, **common)
    if code in TRANSIENT_CODES or common["is_transient"]:
        common.pop("is_transient")
        return GraphTransientError(message, **common)
    return GraphError(message, **common)


def _without_envelope(http_status: int | None, usage: Usage, path: str | None) -> GraphError:
    if http_status is None or http_status >= 500:
        return GraphTransientError(f"HTTP {http_status} without a Graph error body", http_status=http_status, path=path)
    if http_status == 429:
        # Not something Graph sends, but a proxy in front of it might.
        retry_after = usage.retry_after() or DEFAULT_RETRY_AFTER
        message = "HTTP 429 without a Graph error body"
        return GraphRateLimitError(message, retry_after=retry_after, usage=usage, http_status=429, path=path)
    return GraphResponseError(f"HTTP {http_status} without a Graph error body", http_status=http_status, path=path)


def _envelope(error_json: t.Any) -> Mapping[str, t.Any] | None:
    if not isinstance(error_json, Mapping):
        return None
    inner = error_json.get("error")
    if isinstance(inner, Mapping):
        return inner
    return error_json if "code" in error_json and "message" in error_json else None


def _error_data(value: t.Any) -> t.Any:
    # Marketing API errors sometimes carry error_data as a JSON string.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _int(value: t.Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _str(value: t.Any) -> str | None:
    return None if value is None else str(value)
