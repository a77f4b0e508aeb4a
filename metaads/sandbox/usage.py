"""Rate-limit usage headers (§10): JSON strings, percentages of a rolling hour's budget."""

from __future__ import annotations

import collections
import json
import math
import threading
import typing as t

if t.TYPE_CHECKING:
    from metaads.sandbox.routing import Call

HOUR = 3600.0
#: BUC types whose entries carry ``ads_api_access_tier`` (§10).
TIERED = {"ads_management", "ads_insights"}
#: BUC type → the error code Meta answers once its budget is spent (§9.2).
BLOCK_CODES = {"ads_management": 80004, "ads_insights": 80000, "leadgen": 80005}


def _json(value: t.Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class UsageMeter:
    """Counts calls per usage key over the last hour."""

    def __init__(self, budgets: t.Mapping[str, int], tier: str = "standard_access") -> None:
        self.budgets = dict(budgets)
        self.tier = tier
        self._events: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def count(self, call: Call, now: float) -> None:
        with self._lock:
            for key in self._keys(call):
                self._events[key].append(now)

    def pct(self, key: str, budget_name: str, now: float) -> int:
        with self._lock:
            events = self._events[key]
            while events and events[0] < now - HOUR:
                events.popleft()
            used = len(events)
        return min(100, math.ceil(100 * used / max(1, self.budgets.get(budget_name, 1))))

    def blocked(self, call: Call, now: float) -> tuple[int, int] | None:
        """(error code, minutes to regain access) when the call's BUC budget for the rolling
        hour is spent; refused calls are not counted, so the block ends when the window slides."""
        if not (call.usage_object and call.usage_type in BLOCK_CODES):
            return None
        budget = max(1, self.budgets.get(str(call.usage_type), 1))
        key = f"buc:{call.usage_object}:{call.usage_type}"
        with self._lock:
            events = self._events[key]
            while events and events[0] < now - HOUR:
                events.popleft()
            if len(events) < budget:
                return None
            frees_at = events[len(events) - budget] + HOUR
        return BLOCK_CODES[str(call.usage_type)], max(1, math.ceil((frees_at - now) / 60))

    def _keys(self, call: Call) -> list[str]:
        keys = ["app"]
        if call.usage_object and call.usage_type:
            keys.append(f"buc:{call.usage_object}:{call.usage_type}")
        if call.ad_account_id:
            keys.append(f"acct:{call.ad_account_id}")
        return keys

    def headers(self, call: Call, override: t.Mapping[str, t.Any] | None, now: float) -> dict[str, str]:
        override = override or {}
        target = override.get("target")
        app_pct = 100 if target == "app" else self.pct("app", "app", now)
        out = {"X-App-Usage": _json({"call_count": app_pct, "total_cputime": app_pct // 2, "total_time": app_pct // 2})}
        buc = self._buc(call, override, now)
        if buc:
            out["X-Business-Use-Case-Usage"] = _json(buc)
        account = call.ad_account_id or (override.get("object_id") if target == "ad_account" else None)
        if account or target == "ad_account":
            acct_pct = 100 if target == "ad_account" else self.pct(f"acct:{account}", "ads_management", now)
            reset = override.get("reset_seconds", 0) if target == "ad_account" else 0
            out["X-Ad-Account-Usage"] = _json(
                {"acc_id_util_pct": acct_pct, "reset_time_duration": reset, "ads_api_access_tier": self.tier}
            )
        if call.insights or target == "ads_insights":
            acct_pct = 100 if target == "ads_insights" else self.pct(f"acct:{account}", "ads_insights", now)
            out["X-FB-Ads-Insights-Throttle"] = _json(
                {"app_id_util_pct": app_pct, "acc_id_util_pct": acct_pct, "ads_api_access_tier": self.tier}
            )
        return out

    def _buc(self, call: Call, override: t.Mapping[str, t.Any], now: float) -> dict[str, t.Any]:
        entries: dict[str, list[dict[str, t.Any]]] = {}
        if call.usage_object and call.usage_type:
            key = f"buc:{call.usage_object}:{call.usage_type}"
            entries[call.usage_object] = [self._entry(call.usage_type, self.pct(key, call.usage_type, now), 0)]
        target = override.get("target")
        if target in ("pages", "leadgen", "ads_management", "ads_insights"):
            obj = override.get("object_id") or call.usage_object or call.state.seed.business_id
            entries[obj] = [self._entry(target, 100, int(override.get("minutes", 0)))]
        return entries

    def _entry(self, kind: str, pct: int, minutes: int) -> dict[str, t.Any]:
        entry: dict[str, t.Any] = {
            "type": kind,
            "call_count": pct,
            "total_cputime": pct // 2,
            "total_time": pct // 2,
            "estimated_time_to_regain_access": minutes,
        }
        if kind in TIERED:
            entry["ads_api_access_tier"] = self.tier
        return entry
