"""The Batch API (§8): up to 50 calls in one POST, per-item ``{code, headers, body}``, ``null``
for an item that timed out, ``{result=name:$.path}`` references between items."""

from __future__ import annotations

import re
import typing as t
from urllib.parse import parse_qsl

from metaads.sandbox.errors import GraphError, missing_param, param_error
from metaads.sandbox.routing import Call, graph_json, parse_json_param, route

MAX_ITEMS = 50
REFERENCE = re.compile(r"\{result=([^:}]+):(\$[^}]*)\}")
AUTH_KEYS = ("access_token", "appsecret_proof", "appsecret_time")
FAILED = object()


class _DependencyFailed(Exception):
    pass


@route("root", None, "POST", locked=False)
def run_batch(call: Call) -> list[t.Any]:
    raw = call.get("batch")
    if raw is None:
        raise missing_param("batch")
    items = parse_json_param("batch", raw)
    if not isinstance(items, list) or not items:
        raise param_error("Param batch must be a non-empty JSON array", blame="batch")
    if len(items) > MAX_ITEMS:
        # Limit from §8; the exact error Meta gives is not in meta-graph.md.
        raise GraphError(f"(#100) Too many requests in batch message. Maximum batch size is {MAX_ITEMS}", 100)
    include_headers = call.get("include_headers", "true") != "false"
    named: dict[str, t.Any] = {}
    results = [_run_item(call, item, named, include_headers) for item in items]
    return _omit_referenced(items, results)


def _run_item(call: Call, item: t.Any, named: dict[str, t.Any], include_headers: bool) -> dict[str, t.Any] | None:
    from metaads.sandbox.graph_routes import dispatch, split_version

    name = item.get("name") if isinstance(item, dict) else None
    try:
        sub = _item_call(call, item, named)
    except (GraphError, _DependencyFailed) as problem:
        error = (
            problem
            if isinstance(problem, GraphError)
            else GraphError(f'(#100) This request depends on the failed request "{problem}"', 100)
        )
        if name:
            named[name] = FAILED
        return _entry(error.status, error.body(), {}, include_headers)
    sub.version, sub.path = split_version(sub.path, call.version)
    if call.state.faults.take("batch_null", sub) is not None:
        if name:
            named[name] = FAILED
        return None  # timed out inside Meta: the client must retry it (§8)
    status, body, headers = dispatch(sub)
    if name:
        named[name] = body if status == 200 else FAILED
    return _entry(status, body, headers, include_headers)


def _entry(status: int, body: t.Any, headers: dict[str, str], include_headers: bool) -> dict[str, t.Any]:
    entry: dict[str, t.Any] = {"code": status}
    if include_headers:
        merged = {"Content-Type": "text/javascript; charset=UTF-8", **headers}
        merged["Content-Type"] = "text/javascript; charset=UTF-8"
        entry["headers"] = [{"name": k, "value": v} for k, v in merged.items()]
    entry["body"] = graph_json(body)
    return entry


def _item_call(call: Call, item: t.Any, named: dict[str, t.Any]) -> Call:
    if not isinstance(item, dict) or not item.get("method") or not item.get("relative_url"):
        raise param_error("Each batch item needs a method and a relative_url", blame="batch")
    relative = _substitute(str(item["relative_url"]), named)
    body = _substitute(str(item.get("body") or ""), named)
    path, _, query = relative.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    params.update(parse_qsl(body, keep_blank_values=True))
    own = {key: params.pop(key) for key in AUTH_KEYS if key in params}
    # A per-item access_token overrides the top-level one; the top-level one is still required.
    token = own.get("access_token") or call.token_value
    auth = own if "access_token" in own else dict(call.auth_params)
    return Call(
        call.state,
        str(item["method"]).upper(),
        call.version,
        "/" + path.lstrip("/"),
        params,
        call.base_url,
        token,
        auth,
        in_batch=True,
    )


def _substitute(text: str, named: dict[str, t.Any]) -> str:
    def value(match: re.Match[str]) -> str:
        source = named.get(match.group(1))
        if source is None or source is FAILED:
            raise _DependencyFailed(match.group(1))
        return ",".join(str(v) for v in _json_path(source, match.group(2)))

    return REFERENCE.sub(value, text)


def _json_path(document: t.Any, path: str) -> list[t.Any]:
    """The small JSONPath subset batch references use: ``$.id``, ``$.data.*.id``, ``$.data.0.id``."""
    current = [document]
    for step in re.sub(r"\[(\d+|\*)\]", r".\1", path.lstrip("$")).strip(".").split("."):
        if not step:
            continue
        following: list[t.Any] = []
        for node in current:
            if step == "*" and isinstance(node, list):
                following.extend(node)
            elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
                following.append(node[int(step)])
            elif isinstance(node, dict) and step in node:
                following.append(node[step])
        current = following
    return current


def _omit_referenced(items: list[t.Any], results: list[t.Any]) -> list[t.Any]:
    """Responses of referenced items are left out unless ``omit_response_on_success`` is false
    ([unverified] in §8); so are items that ask for it."""
    text = " ".join(str(item.get("relative_url", "")) + str(item.get("body", "")) for item in items if isinstance(item, dict))
    referenced = set(REFERENCE.findall(text))
    names = {name for name, _ in referenced}
    out = []
    for item, result in zip(items, results, strict=True):
        flag = item.get("omit_response_on_success") if isinstance(item, dict) else None
        omit = flag is True or (flag is None and isinstance(item, dict) and item.get("name") in names)
        out.append(None if omit and result is not None and result["code"] == 200 else result)
    return out


@route("root", None, "GET", locked=False)
def read_many(call: Call) -> dict[str, t.Any]:
    """``GET /?ids=a,b&fields=...`` → ``{"a": {...}, "b": {...}}``; each id counts as a call (§10)."""
    from metaads.sandbox.graph_routes import dispatch

    ids = call.list("ids")
    if not ids:
        raise missing_param("ids")
    params = {k: v for k, v in call.params.items() if k != "ids"}
    out: dict[str, t.Any] = {}
    for object_id in ids:
        sub = Call(
            call.state,
            "GET",
            call.version,
            f"/{object_id}",
            params,
            call.base_url,
            call.token_value,
            dict(call.auth_params),
            in_batch=call.in_batch,
        )
        status, body, _ = dispatch(sub)
        if status != 200:
            error = body["error"]
            raise GraphError(
                error["message"], error["code"], subcode=error.get("error_subcode"), type=error["type"], status=status
            )
        out[object_id] = body
    return out
