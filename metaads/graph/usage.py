"""Meta's rate-limit usage headers, and a store that lets every worker see them.

Meta reports how close the app is to its limits in four JSON-valued headers, on successes and
errors alike (meta-graph.md §10). Calls made while a limit is hit extend the block, so the
client records every header it sees in a :class:`UsageStore` and refuses to call Meta while a
scope is throttled; with :class:`RedisUsageStore` all workers share that knowledge.

Scopes are kept simple:

* ``app`` - the whole app (``X-App-Usage``, ``X-FB-Ads-Insights-Throttle.app_id_util_pct``,
  throttle codes 4 and 341);
* ``object:<id>`` - one Graph object id. Business use case (BUC) usage is keyed by the id Meta
  puts in ``X-Business-Use-Case-Usage`` (an ad account id without ``act_``, a Page id, ...), and
  ``X-Ad-Account-Usage`` applies to the ad account of the request path (``act_<id>/...``). A
  request is checked against ``app`` and against the id its path starts with (``act_`` dropped),
  so a throttled ad account or Page stops the calls made on it and nothing else.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import logging
import math
import re
import threading
import time
import typing as t
from collections.abc import Callable, Iterable, Mapping

import redis

log = logging.getLogger(__name__)

APP_SCOPE = "app"
APP_USAGE_HEADER = "x-app-usage"
BUSINESS_USAGE_HEADER = "x-business-use-case-usage"
AD_ACCOUNT_USAGE_HEADER = "x-ad-account-usage"
INSIGHTS_THROTTLE_HEADER = "x-fb-ads-insights-throttle"

_LEADING_ID = re.compile(r"^/?(?:act_)?(\d+)(?:[/?]|$)")
_ACCOUNT_PATH = re.compile(r"^/?act_(\d+)(?:[/?]|$)")


def object_scope(object_id: str) -> str:
    """The usage scope of one Graph object id (an ad account id is used without ``act_``)."""
    return f"object:{object_id.removeprefix('act_')}"


def scopes_for_path(path: str) -> list[str]:
    """The scopes a request on ``path`` (relative to the version) must not be throttled in."""
    match = _LEADING_ID.match(path)
    return [APP_SCOPE, object_scope(match.group(1))] if match else [APP_SCOPE]


def ad_account_of(path: str) -> str | None:
    """The ad account id (digits) a path starts with, if it starts with ``act_<id>``."""
    match = _ACCOUNT_PATH.match(path)
    return match.group(1) if match else None


@dataclasses.dataclass(frozen=True)
class AppUsage:
    """``X-App-Usage``: percentages of the app's rolling-hour budget."""

    call_count: float = 0.0
    total_cputime: float = 0.0
    total_time: float = 0.0

    @property
    def max_pct(self) -> float:
        return max(self.call_count, self.total_cputime, self.total_time)


@dataclasses.dataclass(frozen=True)
class BusinessUseCaseUsage:
    """One entry of ``X-Business-Use-Case-Usage``. ``estimated_time_to_regain_access`` is in
    **minutes**, as Meta sends it."""

    business_id: str
    type: str
    call_count: float = 0.0
    total_cputime: float = 0.0
    total_time: float = 0.0
    estimated_time_to_regain_access: float = 0.0
    ads_api_access_tier: str | None = None

    @property
    def max_pct(self) -> float:
        return max(self.call_count, self.total_cputime, self.total_time)

    @property
    def regain_seconds(self) -> float:
        return self.estimated_time_to_regain_access * 60.0


@dataclasses.dataclass(frozen=True)
class AdAccountUsage:
    """``X-Ad-Account-Usage``: percent of the account's quota used, seconds until it resets."""

    acc_id_util_pct: float = 0.0
    reset_time_duration: float = 0.0
    ads_api_access_tier: str | None = None


@dataclasses.dataclass(frozen=True)
class InsightsThrottle:
    """``X-FB-Ads-Insights-Throttle``: percent of the app's and the account's Insights quota."""

    app_id_util_pct: float = 0.0
    acc_id_util_pct: float = 0.0
    ads_api_access_tier: str | None = None


@dataclasses.dataclass(frozen=True)
class Block:
    """A scope that must not be called for ``seconds`` more."""

    scope: str
    seconds: float
    reason: str


@dataclasses.dataclass(frozen=True)
class Usage:
    """Everything the usage headers of one response said (each part ``None`` when absent)."""

    app: AppUsage | None = None
    business: tuple[BusinessUseCaseUsage, ...] = ()
    ad_account: AdAccountUsage | None = None
    insights: InsightsThrottle | None = None

    def retry_after(self) -> float | None:
        """Meta's own hint of how long to wait, in seconds: the longest BUC
        ``estimated_time_to_regain_access``, else the ad account's ``reset_time_duration``."""
        regain = max((b.regain_seconds for b in self.business), default=0.0)
        if regain > 0:
            return regain
        if self.ad_account and self.ad_account.reset_time_duration > 0:
            return self.ad_account.reset_time_duration
        return None

    def blocks(self, *, account_id: str | None, threshold: float, cooldown: float) -> list[Block]:
        """The scopes to pause: any usage at/above ``threshold`` percent, any regain-access ETA.

        :param account_id: the ad account (digits) of the request, which ``X-Ad-Account-Usage``
            and the Insights header's account figure refer to.
        :param cooldown: how long to pause a scope whose header gives no duration.
        """
        found: list[Block] = []
        if self.app and self.app.max_pct >= threshold:
            found.append(Block(APP_SCOPE, cooldown, f"X-App-Usage at {self.app.max_pct:g}%"))
        if self.insights and self.insights.app_id_util_pct >= threshold:
            found.append(Block(APP_SCOPE, cooldown, f"Insights app usage at {self.insights.app_id_util_pct:g}%"))
        for entry in self.business:
            if entry.regain_seconds > 0:
                reason = f"BUC {entry.type}: regain access in {entry.estimated_time_to_regain_access:g} min"
                found.append(Block(object_scope(entry.business_id), entry.regain_seconds, reason))
            elif entry.max_pct >= threshold:
                found.append(Block(object_scope(entry.business_id), cooldown, f"BUC {entry.type} at {entry.max_pct:g}%"))
        if account_id:
            found.extend(self._account_blocks(account_id, threshold, cooldown))
        return found

    def _account_blocks(self, account_id: str, threshold: float, cooldown: float) -> list[Block]:
        found = []
        scope = object_scope(account_id)
        if self.ad_account and self.ad_account.acc_id_util_pct >= threshold:
            seconds = self.ad_account.reset_time_duration or cooldown
            found.append(Block(scope, seconds, f"X-Ad-Account-Usage at {self.ad_account.acc_id_util_pct:g}%"))
        if self.insights and self.insights.acc_id_util_pct >= threshold:
            found.append(Block(scope, cooldown, f"Insights account usage at {self.insights.acc_id_util_pct:g}%"))
        return found


def parse_usage(headers: Mapping[str, str] | None) -> Usage:
    """Read the four usage headers. Malformed values are ignored, never fatal: they only tune
    how early we slow down."""
    if not headers:
        return Usage()
    lowered = {name.lower(): value for name, value in headers.items()}
    return Usage(
        app=_parse_obj(lowered.get(APP_USAGE_HEADER), _app_usage),
        business=_parse_business(lowered.get(BUSINESS_USAGE_HEADER)),
        ad_account=_parse_obj(lowered.get(AD_ACCOUNT_USAGE_HEADER), _ad_account_usage),
        insights=_parse_obj(lowered.get(INSIGHTS_THROTTLE_HEADER), _insights_throttle),
    )


_T = t.TypeVar("_T")


def _parse_obj(raw: str | None, build: Callable[[Mapping[str, t.Any]], _T]) -> _T | None:
    decoded = _json(raw)
    return build(decoded) if isinstance(decoded, Mapping) else None


def _app_usage(data: Mapping[str, t.Any]) -> AppUsage:
    return AppUsage(_num(data.get("call_count")), _num(data.get("total_cputime")), _num(data.get("total_time")))


def _ad_account_usage(data: Mapping[str, t.Any]) -> AdAccountUsage:
    return AdAccountUsage(_num(data.get("acc_id_util_pct")), _num(data.get("reset_time_duration")), _tier(data))


def _insights_throttle(data: Mapping[str, t.Any]) -> InsightsThrottle:
    return InsightsThrottle(_num(data.get("app_id_util_pct")), _num(data.get("acc_id_util_pct")), _tier(data))


def _parse_business(raw: str | None) -> tuple[BusinessUseCaseUsage, ...]:
    decoded = _json(raw)
    if not isinstance(decoded, Mapping):
        return ()
    entries = []
    for business_id, items in decoded.items():
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, Mapping):
                entries.append(_business_entry(str(business_id), item))
    return tuple(entries)


def _business_entry(business_id: str, item: Mapping[str, t.Any]) -> BusinessUseCaseUsage:
    return BusinessUseCaseUsage(
        business_id=business_id,
        type=str(item.get("type") or "unknown"),
        call_count=_num(item.get("call_count")),
        total_cputime=_num(item.get("total_cputime")),
        total_time=_num(item.get("total_time")),
        estimated_time_to_regain_access=_num(item.get("estimated_time_to_regain_access")),
        ads_api_access_tier=_tier(item),
    )


def _json(raw: str | None) -> t.Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        log.debug("ignoring a usage header that is not JSON")
        return None


def _num(value: t.Any) -> float:
    if isinstance(value, bool):
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) and number > 0 else 0.0


def _tier(data: Mapping[str, t.Any]) -> str | None:
    tier = data.get("ads_api_access_tier")
    return str(tier) if tier is not None else None


class UsageStore(abc.ABC):
    """Where throttled scopes are remembered until they may be called again."""

    @abc.abstractmethod
    def block(self, scope: str, seconds: float, reason: str) -> None:
        """Pause ``scope`` for ``seconds``; an existing longer pause is kept, never shortened."""

    @abc.abstractmethod
    def blocked(self, scopes: Iterable[str]) -> Block | None:
        """The longest pause still running among ``scopes``, or ``None``."""


class InMemoryUsageStore(UsageStore):
    """A per-process store: enough for one worker, tests and the embedded default."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def block(self, scope: str, seconds: float, reason: str) -> None:
        until = self._clock() + max(seconds, 0.0)
        with self._lock:
            current = self._until.get(scope)
            if current is None or current[0] < until:
                self._until[scope] = (until, reason)

    def blocked(self, scopes: Iterable[str]) -> Block | None:
        now = self._clock()
        longest: Block | None = None
        with self._lock:
            for scope in scopes:
                entry = self._until.get(scope)
                if entry is None:
                    continue
                if entry[0] <= now:
                    del self._until[scope]
                elif longest is None or entry[0] - now > longest.seconds:
                    longest = Block(scope, entry[0] - now, entry[1])
        return longest


class RedisUsageStore(UsageStore):
    """A store shared by every worker: one key per paused scope, expiring with the pause.

    Redis trouble never stops a Graph call: the store fails open (Meta still enforces its limits;
    we only lose the early warning), logs a warning, and leaves Redis alone for ``pause_on_error``
    seconds so that every Graph call does not pay the Redis client's connection retries.

    :param redis_client: a ``redis.Redis`` connection.
    :param prefix: key prefix; keys are ``<prefix>:<scope>``.
    """

    def __init__(
        self,
        redis_client: redis.Redis,
        prefix: str = "metaads:graph-usage",
        *,
        pause_on_error: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis_client
        self._prefix = prefix
        self._pause_on_error = pause_on_error
        self._clock = clock
        self._skip_until = 0.0

    def _available(self) -> bool:
        return self._clock() >= self._skip_until

    def _failed(self, doing: str, exc: Exception) -> None:
        self._skip_until = self._clock() + self._pause_on_error
        log.warning("graph usage store unavailable (%s), %s for %.0fs", type(exc).__name__, doing, self._pause_on_error)

    def _key(self, scope: str) -> str:
        return f"{self._prefix}:{scope}"

    def block(self, scope: str, seconds: float, reason: str) -> None:
        if not self._available():
            return
        ms = max(math.ceil(seconds * 1000), 1)
        key = self._key(scope)
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.set(key, reason, px=ms, nx=True)
            # An existing key keeps its reason; its expiry only ever grows.
            pipe.pexpire(key, ms, gt=True)
            pipe.execute()
        except redis.RedisError as exc:
            self._failed("not recording throttles", exc)

    def blocked(self, scopes: Iterable[str]) -> Block | None:
        if not self._available():
            return None
        scopes = list(scopes)
        try:
            pipe = self._redis.pipeline(transaction=False)
            for scope in scopes:
                pipe.pttl(self._key(scope))
                pipe.get(self._key(scope))
            replies = pipe.execute()
        except redis.RedisError as exc:
            self._failed("not checking throttles", exc)
            return None
        longest: Block | None = None
        for scope, ttl, reason in zip(scopes, replies[::2], replies[1::2], strict=True):
            # -2: no key; -1: no expiry, which this store never writes (ignore rather than block forever).
            if ttl > 0 and (longest is None or ttl / 1000 > longest.seconds):
                text = reason.decode() if isinstance(reason, bytes) else str(reason or "")
                longest = Block(scope, ttl / 1000, text)
        return longest
