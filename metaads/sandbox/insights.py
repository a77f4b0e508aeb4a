"""``/{object}/insights`` (§6): strings everywhere, spend in major units, leads in ``actions``,
date presets and ranges in the account's time zone, and async report runs (§6.4)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

from metaads.sandbox import insights_data as data
from metaads.sandbox.accounts import ADS_READ
from metaads.sandbox.config import currency_offset
from metaads.sandbox.errors import param_error
from metaads.sandbox.faults import REPORT_KINDS, too_much_data
from metaads.sandbox.fields import NodeType, register, render, stored
from metaads.sandbox.nodes_ads import effective_status
from metaads.sandbox.paging import paginate
from metaads.sandbox.routing import Call, route

Obj = dict[str, t.Any]
LEVELS = ["account", "campaign", "adset", "ad"]
ID_FIELDS = {
    "account": ("account_id", "account_name"),
    "campaign": ("campaign_id", "campaign_name"),
    "adset": ("adset_id", "adset_name"),
    "ad": ("ad_id", "ad_name"),
}
METRICS = [
    "impressions",
    "clicks",
    "inline_link_clicks",
    "reach",
    "spend",
    "frequency",
    "ctr",
    "cpc",
    "cpm",
    "cpp",
    "actions",
    "cost_per_action_type",
    "account_currency",
    "objective",
]
ALL_FIELDS = set(METRICS) | {f for pair in ID_FIELDS.values() for f in pair} | {"date_start", "date_stop"}
DEFAULT_FIELDS = ["impressions", "spend"]
LEAD_ACTIONS = ["lead", "onsite_conversion.lead_grouped"]
VIEW_WINDOWS = {"1d_view", "7d_view", "28d_view"}
ERROR_FIELDS = ("error_code", "error_subcode", "error_message", "error_user_title", "error_user_msg")


def _decimal(value: float, places: int = 6) -> str:
    return f"{value:.{places}f}".rstrip("0").rstrip(".") or "0"


def _account(call: Call, node: Obj, kind: str) -> Obj:
    account_id = node["id"] if kind == "adaccount" else "act_" + node["account_id"]
    return call.state.store.objects[account_id]


def _ads_under(call: Call, kind: str, node: Obj, level: str) -> list[Obj]:
    if kind == "ad":
        return [node]  # a single ad's insights work even when it is deleted (§5.2)
    ads = call.state.store.children_of(node["id"], "ad")
    statuses = _ad_status_filter(call, level)
    hidden = {"DELETED", "ARCHIVED"}
    return [
        ad
        for ad in ads
        if (effective_status(call, "ad", ad) in statuses if statuses else effective_status(call, "ad", ad) not in hidden)
    ]


def _ad_status_filter(call: Call, level: str) -> set[str] | None:
    for rule in call.json("filtering", []) or []:
        if isinstance(rule, dict) and rule.get("field") in (f"{level}.effective_status", "ad.effective_status"):
            value = rule.get("value")
            return set(value if isinstance(value, list) else [value])
    return None


def _range(call: Call, account: Obj) -> tuple[dt.date, dt.date]:
    now = data.today(call.state, account)
    if call.get("time_range"):
        since, until = data.parse_range(call.json("time_range"))
    else:
        created = data.local_day(account, account["created"])
        since, until = data.preset_range(call.get("date_preset", "last_30d") or "last_30d", now, created)
    data.check_lookback(since, now)
    return since, until


def _fields(call: Call) -> list[str]:
    # GET sends ``a,b``; the SDK's async POST sends a JSON array.
    fields = call.list("fields") or list(DEFAULT_FIELDS)
    for field in fields:
        if field not in ALL_FIELDS:
            raise param_error(
                f"{field} is not valid for fields param. please check "
                "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/",
                blame="fields",
            )
    return fields


@dataclasses.dataclass
class Plan:
    """What one insights request covers, checked before anything is computed."""

    account: Obj
    level: str
    ads: list[Obj]
    since: dt.date
    until: dt.date
    fields: list[str]

    @property
    def ad_days(self) -> int:
        """The size Meta judges "too much data" by, roughly: ads × days."""
        return len(self.ads) * ((self.until - self.since).days + 1)


def plan(call: Call, kind: str, node: Obj) -> Plan:
    if call.get("breakdowns"):
        raise param_error("breakdowns are not supported by the sandbox", blame="breakdowns")
    own_level = {"adaccount": "account"}.get(kind, kind)
    level = call.get("level", own_level) or own_level
    if level not in LEVELS or LEVELS.index(level) < LEVELS.index(own_level):
        raise param_error(f"Param level must be one of {{{', '.join(LEVELS[LEVELS.index(own_level) :])}}}", blame="level")
    account = _account(call, node, kind)
    since, until = _range(call, account)
    data.buckets(since, until, call.get("time_increment", "all_days") or "all_days")  # refuse a bad increment early
    return Plan(account, level, _ads_under(call, kind, node, level), since, until, _fields(call))


def compute_rows(call: Call, found: Plan) -> list[Obj]:
    totals = _aggregate(call, found.account, found.ads, found.level, found.since, found.until)
    # Each row keeps a hidden cursor key: rows may not carry any id field.
    return [
        {"id": f"{start}|{key}", "row": _row(call, found.account, found.level, key, start, stop, sums, found.fields)}
        for (start, key), (stop, sums) in sorted(totals.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    ]


def _aggregate(
    call: Call, account: Obj, ads: list[Obj], level: str, since: dt.date, until: dt.date
) -> dict[tuple[dt.date, str], tuple[dt.date, Obj]]:
    spans = data.buckets(since, until, call.get("time_increment", "all_days") or "all_days")
    totals: dict[tuple[dt.date, str], tuple[dt.date, Obj]] = {}
    for ad in ads:
        key = account["id"] if level == "account" else ad["id"] if level == "ad" else ad[f"{level}_id"]
        for start, stop in spans:
            day = start
            while day <= stop:
                numbers = data.daily(call.state, account, ad, day)
                if numbers:
                    _, sums = totals.setdefault((start, key), (stop, {}))
                    for name, value in numbers.items():
                        sums[name] = sums.get(name, 0) + value
                day += dt.timedelta(days=1)
    return totals


def _row(call: Call, account: Obj, level: str, key: str, start: dt.date, stop: dt.date, sums: Obj, fields: list[str]) -> Obj:
    offset = currency_offset(account["currency"])
    spend = sums["spend"] / offset
    metrics = _metric_values(call, sums, spend, offset, account)
    identity = _identity(call, account, level, key)
    row = {}
    for field in fields:
        # Only the asked-for metrics are computed: a 90-day backfill renders ~180,000 rows.
        value = identity.get(field) if field in identity else metrics[field]() if field in metrics else None
        if value is not None:
            row[field] = value
    row.update(date_start=start.isoformat(), date_stop=stop.isoformat())
    return row


def _metric_values(call: Call, sums: Obj, spend: float, offset: int, account: Obj) -> dict[str, t.Callable[[], t.Any]]:
    impressions, clicks, reach, leads = sums["impressions"], sums["clicks"], sums["reach"], sums["leads"]
    money = (lambda v: f"{v:.2f}") if offset != 1 else (lambda v: str(round(v)))
    actions = [("link_click", clicks)] + [(name, leads) for name in LEAD_ACTIONS if leads]
    windows = call.json("action_attribution_windows", []) or []
    return {
        "impressions": lambda: str(impressions),
        "clicks": lambda: str(clicks),
        "inline_link_clicks": lambda: str(clicks),
        "reach": lambda: str(reach),
        "spend": lambda: money(spend),
        "account_currency": lambda: account["currency"],
        "frequency": lambda: _decimal(impressions / reach) if reach else "0",
        "ctr": lambda: _decimal(100 * clicks / impressions) if impressions else "0",
        "cpc": lambda: _decimal(spend / clicks) if clicks else None,
        "cpm": lambda: _decimal(1000 * spend / impressions) if impressions else None,
        "cpp": lambda: _decimal(1000 * spend / reach) if reach else None,
        "actions": lambda: [_action(name, str(count), windows) for name, count in actions],
        "cost_per_action_type": lambda: [_action(name, _decimal(spend / count), windows) for name, count in actions if count],
    }


def _action(name: str, value: str, windows: list[str]) -> Obj:
    entry = {"action_type": name, "value": value}
    for window in windows:
        entry[window] = "0" if window in VIEW_WINDOWS else value  # sandbox credits every action to clicks
    return entry


def _identity(call: Call, account: Obj, level: str, key: str) -> Obj:
    out = {"account_id": account["account_id"], "account_name": account["name"]}
    store = call.state.store
    obj = store.objects[key]
    for upper in LEVELS[1 : LEVELS.index(level) + 1]:
        target = obj if upper == level else store.objects[obj[f"{upper}_id"]]
        out[f"{upper}_id"], out[f"{upper}_name"] = target["id"], target["name"]
    if level != "account":
        campaign = obj if level == "campaign" else store.objects[obj["campaign_id"]]
        out["objective"] = campaign["objective"]
    return out


def _throttled(call: Call, node: Obj, kind: str) -> Obj:
    account = _account(call, node, kind)
    call.insights = True
    call.spend("ads_insights", account["account_id"], account["account_id"])
    return account


def sync_insights(call: Call) -> Obj:
    kind, node = str(call.kind), call.node or {}
    _throttled(call, node, kind)
    found = plan(call, kind, node)
    limit = call.state.config["SYNC_INSIGHTS_MAX_AD_DAYS"]
    if limit is not None and found.ad_days > int(limit):
        raise too_much_data()
    page = paginate(call, compute_rows(call, found))
    page["data"] = [item["row"] for item in page["data"]]
    return page


def start_report(call: Call) -> Obj:
    """``POST /{object}/insights`` → ``{"report_run_id"}``; the job's fate (fail, stall, skip,
    100 % while running) is decided now, by an injected REPORT_KINDS fault or by its size."""
    kind, node = str(call.kind), call.node or {}
    account = _throttled(call, node, kind)
    found = plan(call, kind, node)  # refuse bad params now, as Meta does on submit
    run: Obj = {
        "id": call.state.ids.next("report_run"),
        "account_id": account["account_id"],
        "kind": kind,
        "node_id": node["id"],
        "params": dict(call.params),
        "time_ref": int(call.state.now()),
        "date_start": found.since.isoformat(),
        "date_stop": found.until.isoformat(),
        "polls": 0,
        "fate": None,
        "error": None,
        "rows": None,
    }
    limit = call.state.config["ASYNC_INSIGHTS_MAX_AD_DAYS"]
    rule = call.state.faults.take(REPORT_KINDS, call)
    if rule is not None:
        run["fate"], run["percent"] = rule.kind, rule.percent
        if rule.kind == "report_failed":
            run["error"] = _job_error(rule.code, rule.subcode, rule.message)
    elif limit is not None and found.ad_days > int(limit):
        error = too_much_data()
        run["fate"], run["error"] = "report_failed", _job_error(error.code, error.subcode, error.message)
    call.state.store.add("report_run", run)
    return {"report_run_id": run["id"]}


def _job_error(code: int | None, subcode: int | None, message: str | None) -> Obj:
    """A failed run's error fields (v25+, D-AERR); default code/subcode from D-IERR (-2/2490547)."""
    return {
        "error_code": -2 if code is None else code,
        "error_subcode": 2490547 if subcode is None else subcode,
        "error_message": message or "Async job failed. Please retry later.",
        "error_user_title": "Report Failed",
        "error_user_msg": "The report couldn't be completed. Please try again later.",
    }


for _kind in ("adaccount", "campaign", "adset", "ad"):
    route(_kind, "insights", "GET", scope=ADS_READ)(sync_insights)
    route(_kind, "insights", "POST", scope=ADS_READ)(start_report)

COMPLETED = "Job Completed"


def _progress(call: Call, run: Obj) -> tuple[str, int]:
    """(async_status, async_percent_completion) after ``run["polls"]`` reads of the run."""
    steps = max(1, int(call.state.config["ASYNC_REPORT_STEPS"]))
    polls, fate = run["polls"], run["fate"]
    if polls == 0:
        return "Job Not Started", 0
    if fate == "report_skipped":
        return "Job Skipped", 0
    if fate == "report_stalled":
        return ("Job Started" if polls == 1 else "Job Running"), int(run["percent"])
    if polls >= steps:
        if fate == "report_failed":
            return "Job Failed", int(100 * (steps - 1) / steps)
        if fate == "report_running_at_100" and polls == steps:
            return "Job Running", 100  # observed on Meta: 100 % before "Job Completed" (§6.4)
        return COMPLETED, 100
    return ("Job Started" if polls == 1 and steps > 2 else "Job Running"), int(100 * polls / steps)


def _error_field(name: str) -> t.Callable[[Call, Obj], t.Any]:
    return lambda call, run: run["error"][name] if run["error"] and _progress(call, run)[0] == "Job Failed" else None


register(
    NodeType(
        "report_run",
        "AdReportRun",
        ("id", "account_id", "time_ref", "time_completed", "async_status", "async_percent_completion", "date_start", "date_stop"),
        {
            "id": stored("id"),
            "account_id": stored("account_id"),
            "time_ref": stored("time_ref"),
            "async_status": lambda call, run: _progress(call, run)[0],
            "async_percent_completion": lambda call, run: _progress(call, run)[1],
            "time_completed": lambda call, run: run["time_ref"] + 5 if _progress(call, run)[0] == COMPLETED else None,
            "date_start": stored("date_start"),
            "date_stop": stored("date_stop"),
            "is_running": lambda call, run: _progress(call, run)[0] in ("Job Not Started", "Job Started", "Job Running"),
            **{name: _error_field(name) for name in ERROR_FIELDS},
        },
    )
)


@route("report_run", None, "GET", scope=ADS_READ)
def read_report(call: Call) -> Obj:
    run = call.node or {}
    run["polls"] += 1
    return render(call, "report_run", run, call.fields())


@route("report_run", "insights", "GET", scope=ADS_READ)
def report_rows(call: Call) -> Obj:
    """The finished job's rows, computed once when first read (a report is a snapshot)."""
    run = call.node or {}
    status = _progress(call, run)[0]
    if status != COMPLETED:
        # Meta's exact answer here is not in meta-graph.md [unverified].
        raise param_error(f"The report run {run['id']} is not complete (async_status: {status})", blame="report_run_id")
    call.spend("ads_insights", run["account_id"], run["account_id"])
    call.insights = True
    if run["rows"] is None:
        node = call.state.store.objects[run["node_id"]]
        sub = dataclasses.replace(call, params=dict(run["params"]), kind=run["kind"], node=node)
        rows = compute_rows(sub, plan(sub, run["kind"], node))
        run["rows"] = rows
        run["index"] = {row["id"]: i for i, row in enumerate(rows)}
    page = paginate(call, run["rows"], index=run["index"])
    page["data"] = [item["row"] for item in page["data"]]
    return page
