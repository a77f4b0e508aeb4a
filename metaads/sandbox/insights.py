"""``/{object}/insights`` (§6): strings everywhere, spend in major units, leads in ``actions``,
date presets and ranges in the account's time zone, and async report runs (§6.4)."""

from __future__ import annotations

import datetime as dt
import typing as t

from metaads.sandbox import insights_data as data
from metaads.sandbox.accounts import ADS_READ
from metaads.sandbox.config import currency_offset
from metaads.sandbox.errors import param_error
from metaads.sandbox.fields import NodeType, register, stored
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
    fields = [f.strip() for f in (call.get("fields") or "").split(",") if f.strip()] or list(DEFAULT_FIELDS)
    for field in fields:
        if field not in ALL_FIELDS:
            raise param_error(
                f"{field} is not valid for fields param. please check "
                "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/",
                blame="fields",
            )
    return fields


def compute_rows(call: Call, kind: str, node: Obj) -> list[Obj]:
    if call.get("breakdowns"):
        raise param_error("breakdowns are not supported by the sandbox", blame="breakdowns")
    own_level = {"adaccount": "account"}.get(kind, kind)
    level = call.get("level", own_level) or own_level
    if level not in LEVELS or LEVELS.index(level) < LEVELS.index(own_level):
        raise param_error(f"Param level must be one of {{{', '.join(LEVELS[LEVELS.index(own_level) :])}}}", blame="level")
    account = _account(call, node, kind)
    since, until = _range(call, account)
    fields = _fields(call)
    totals = _aggregate(call, account, _ads_under(call, kind, node, level), level, since, until)
    # Each row keeps a hidden cursor key: rows may not carry any id field.
    return [
        {"id": f"{start}|{key}", "row": _row(call, account, level, key, start, stop, sums, fields)}
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
    values = _metric_values(call, sums, spend, offset, account)
    values.update(_identity(call, account, level, key))
    row = {field: values[field] for field in fields if values.get(field) is not None}
    row.update(date_start=start.isoformat(), date_stop=stop.isoformat())
    return row


def _metric_values(call: Call, sums: Obj, spend: float, offset: int, account: Obj) -> Obj:
    impressions, clicks, reach, leads = sums["impressions"], sums["clicks"], sums["reach"], sums["leads"]
    money = (lambda v: f"{v:.2f}") if offset != 1 else (lambda v: str(round(v)))
    actions = [("link_click", clicks)] + [(name, leads) for name in LEAD_ACTIONS if leads]
    windows = call.json("action_attribution_windows", []) or []
    return {
        "impressions": str(impressions),
        "clicks": str(clicks),
        "inline_link_clicks": str(clicks),
        "reach": str(reach),
        "spend": money(spend),
        "account_currency": account["currency"],
        "frequency": _decimal(impressions / reach) if reach else "0",
        "ctr": _decimal(100 * clicks / impressions) if impressions else "0",
        "cpc": _decimal(spend / clicks) if clicks else None,
        "cpm": _decimal(1000 * spend / impressions) if impressions else None,
        "cpp": _decimal(1000 * spend / reach) if reach else None,
        "actions": [_action(name, str(count), windows) for name, count in actions],
        "cost_per_action_type": [_action(name, _decimal(spend / count), windows) for name, count in actions if count],
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
    page = paginate(call, compute_rows(call, kind, node))
    page["data"] = [item["row"] for item in page["data"]]
    return page


def start_report(call: Call) -> Obj:
    kind, node = str(call.kind), call.node or {}
    account = _throttled(call, node, kind)
    compute_rows(call, kind, node)  # refuse bad params now, as Meta does on submit
    run = {
        "id": call.state.ids.next("report_run"),
        "account_id": account["account_id"],
        "kind": kind,
        "node_id": node["id"],
        "params": dict(call.params),
        "time_ref": int(call.state.now()),
        "polls": 0,
    }
    call.state.store.add("report_run", run)
    return {"report_run_id": run["id"]}


for _kind in ("adaccount", "campaign", "adset", "ad"):
    route(_kind, "insights", "GET", scope=ADS_READ)(sync_insights)
    route(_kind, "insights", "POST", scope=ADS_READ)(start_report)


def _progress(call: Call, run: Obj) -> tuple[str, int]:
    steps = max(1, int(call.state.config["ASYNC_REPORT_STEPS"]))
    if run["polls"] >= steps:
        return "Job Completed", 100
    return ("Job Not Started", 0) if run["polls"] == 0 else ("Job Running", int(100 * run["polls"] / steps))


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
            "time_completed": lambda call, run: run["time_ref"] + 5 if _progress(call, run)[1] == 100 else None,
            "date_start": lambda call, run: run.get("date_start"),
            "date_stop": lambda call, run: run.get("date_stop"),
        },
    )
)


@route("report_run", None, "GET", scope=ADS_READ)
def read_report(call: Call) -> Obj:
    from metaads.sandbox.fields import render

    run = call.node or {}
    run["polls"] += 1
    return render(call, "report_run", run, call.fields())


@route("report_run", "insights", "GET", scope=ADS_READ)
def report_rows(call: Call) -> Obj:
    run = call.node or {}
    store = call.state.store
    node = store.objects[run["node_id"]]
    paging = {k: v for k, v in call.params.items() if k in ("limit", "after", "before")}
    sub = Call(
        call.state,
        "GET",
        call.version,
        call.path,
        {**run["params"], **paging},
        call.base_url,
        call.token_value,
        call.auth_params,
        call.in_batch,
        call.token,
        run["kind"],
        node,
    )
    result = sync_insights(sub)
    call.usage_type, call.usage_object, call.ad_account_id = sub.usage_type, sub.usage_object, sub.ad_account_id
    call.insights = True
    return result
