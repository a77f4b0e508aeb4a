"""Errors, throttles and delays injected on demand (``SandboxState.add_fault``)."""

from __future__ import annotations

import dataclasses
import itertools
import re
import threading
import time
import typing as t

from metaads.sandbox.errors import GraphError, token_error, unsupported

if t.TYPE_CHECKING:
    from metaads.sandbox.routing import Call

#: Kinds that turn a call into an error response.
ERROR_KINDS = {"http_500", "transient", "rate_limit", "token_revoked", "permission", "lead_gone", "too_much_data"}
#: What an async insights job does when its ``POST /act_X/insights`` matches (insights.py):
#: fail (``code``/``subcode`` on the run), stall at ``percent`` forever, get skipped, or show
#: 100 % while still "Job Running" for one poll (§6.4).
REPORT_KINDS = {"report_failed", "report_stalled", "report_skipped", "report_running_at_100"}
#: Kinds consumed elsewhere: by paging (empty_page), the Batch API (batch_null) and insights.
KINDS = ERROR_KINDS | REPORT_KINDS | {"latency_ms", "empty_page", "batch_null"}

#: code → (message, default subcode, which usage header hits 100) — §9.2 and §10.
RATE_LIMITS: dict[int, tuple[str, int | None, str]] = {
    4: ("(#4) Application request limit reached", None, "app"),
    17: ("(#17) User request limit reached", 2446079, "ad_account"),
    32: ("(#32) Page request limit reached", None, "pages"),
    613: ("(#613) Calls to this api have exceeded the rate limit.", 1487742, "ad_account"),
    80000: (
        "(#80000) There have been too many calls from this ad-account. Wait a bit and try "
        "again. For more info, please refer to https://developers.facebook.com/docs/"
        "graph-api/overview/rate-limiting#ads-insights.",
        2446079,
        "ads_insights",
    ),
    80004: (
        "(#80004) There have been too many calls to this ad-account. Wait a bit and try "
        "again. For more info, please refer to https://developers.facebook.com/docs/"
        "graph-api/overview/rate-limiting#ads-management.",
        2446079,
        "ads_management",
    ),
    80005: (
        "(#80005) There have been too many leadgen api calls to this Page. Wait a bit and "
        "try again. For more info, please refer to https://developers.facebook.com/docs/"
        "graph-api/overview/rate-limiting.",
        None,
        "leadgen",
    ),
}


@dataclasses.dataclass
class FaultRule:
    """Match by ``path`` (regex searched in the version-less path, e.g. ``/123/leads``),
    ``method`` and ``params`` (regex searched in the call's ``k=v&k=v`` params, e.g. ``after=``
    to hit only later pages); lets the first ``skip`` matching calls through, then applies to
    ``times`` calls (None = forever)."""

    kind: str
    path: str | None = None
    method: str | None = None
    times: int | None = 1
    code: int | None = None
    subcode: int | None = None
    status: int | None = None
    message: str | None = None
    latency_ms: int = 0
    minutes: int = 5  # BUC estimated_time_to_regain_access
    reset_seconds: int = 300  # X-Ad-Account-Usage reset_time_duration
    object_id: str | None = None  # BUC key when the call names no business object
    params: str | None = None
    skip: int = 0
    percent: int = 40  # where a report_stalled job stays
    id: str = ""

    def matches(self, call: Call) -> bool:
        if self.method and self.method.upper() != call.method:
            return False
        if self.params and re.search(self.params, "&".join(f"{k}={v}" for k, v in sorted(call.params.items()))) is None:
            return False
        return not self.path or re.search(self.path, call.path) is not None


class FaultBook:
    """The active rules; thread-safe since the sandbox serves requests in threads."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def add(self, **rule: t.Any) -> FaultRule:
        kind = rule.get("kind")
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(KINDS)}")
        if kind == "rate_limit" and rule.get("code", 4) not in RATE_LIMITS:
            raise ValueError(f"rate_limit code must be one of {sorted(RATE_LIMITS)}")
        fault = FaultRule(**rule)
        with self._lock:
            fault.id = str(next(self._ids))
            self.rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self.rules)
            self.rules = [rule for rule in self.rules if rule.id != fault_id]
            return len(self.rules) != before

    def take(self, kind: str | set[str], call: Call) -> FaultRule | None:
        """Consume one use of the first matching rule of ``kind``."""
        kinds = {kind} if isinstance(kind, str) else kind
        with self._lock:
            for rule in self.rules:
                if rule.kind in kinds and rule.matches(call):
                    if rule.skip > 0:
                        rule.skip -= 1
                        continue
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self.rules.remove(rule)
                    return rule
        return None

    def apply(self, call: Call) -> None:
        """Sleep for matching latency rules, then raise the first matching error rule."""
        while (delay := self.take("latency_ms", call)) is not None:
            time.sleep(delay.latency_ms / 1000)
        rule = self.take(ERROR_KINDS, call)
        if rule is not None:
            raise fault_error(rule, call)


def fault_error(rule: FaultRule, call: Call) -> GraphError:
    error = _BUILDERS[rule.kind](rule, call)
    if rule.status is not None:
        error.status = rule.status
    if rule.message:
        error.message = rule.message
    return error


def _http_500(rule: FaultRule, call: Call) -> GraphError:
    return GraphError("An unknown error occurred", rule.code or 1, subcode=rule.subcode or 99, status=500, is_transient=True)


def _transient(rule: FaultRule, call: Call) -> GraphError:
    code = rule.code or 2
    message = (
        "An unexpected error has occurred. Please retry your request later." if code == 2 else "An unknown error has occurred."
    )
    return GraphError(message, code, subcode=rule.subcode, status=500, is_transient=True)


def _rate_limit(rule: FaultRule, call: Call) -> GraphError:
    code = rule.code or 4
    message, subcode, target = RATE_LIMITS[code]
    error = GraphError(message, code, subcode=rule.subcode or subcode, is_transient=True)
    error.usage = {
        "target": target,
        "minutes": rule.minutes,
        "reset_seconds": rule.reset_seconds,
        "object_id": rule.object_id,
        "code": code,
    }
    return error


def _token_revoked(rule: FaultRule, call: Call) -> GraphError:
    return token_error(rule.subcode or 460)


def _permission(rule: FaultRule, call: Call) -> GraphError:
    code = rule.code or 200
    message = "(#10) Application does not have permission for this action" if code == 10 else f"(#{code}) Permissions error"
    return GraphError(message, code, subcode=rule.subcode)


def _lead_gone(rule: FaultRule, call: Call) -> GraphError:
    object_id = call.path.strip("/").split("/")[0] or "0"
    return unsupported(call.method, object_id)


def too_much_data(subcode: int | None = None) -> GraphError:
    """Insights asked for more than Meta will compute in one go: split, don't back off (§6.4)."""
    return GraphError(
        "(#100) Please reduce the amount of data you're asking for, then retry your request",
        100,
        subcode=subcode or 1487534,
        is_transient=False,
        user_title="Too Much Data Requested",
        user_msg="Reduce the date range, the number of objects or the fields, or use an async report.",
    )


def _too_much_data(rule: FaultRule, call: Call) -> GraphError:
    return too_much_data(rule.subcode)


_BUILDERS: dict[str, t.Callable[[FaultRule, Call], GraphError]] = {
    "http_500": _http_500,
    "transient": _transient,
    "rate_limit": _rate_limit,
    "token_revoked": _token_revoked,
    "permission": _permission,
    "lead_gone": _lead_gone,
    "too_much_data": _too_much_data,
}
