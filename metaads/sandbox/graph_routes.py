"""Answer one Graph call: version, faults, token, node lookup, route, then the handler."""

from __future__ import annotations

import re
import typing as t

# Handler modules register their routes on import.
from metaads.sandbox import accounts, ads, batch, conversions, insights, leads, oauth, previews, subscriptions  # noqa: F401
from metaads.sandbox import config as sandbox_config
from metaads.sandbox.errors import GraphError, permission_error, trace_id, unknown_path, unsupported
from metaads.sandbox.faults import FaultRule, fault_error
from metaads.sandbox.routing import ROUTES, Call, Route
from metaads.sandbox.tokens import Token, check_proof

VERSION = re.compile(r"^v\d+\.\d+$")
#: First path segments that are not object ids.
SPECIAL = {"oauth", "debug_token", ""}
JSON_TYPE = "application/json; charset=UTF-8"
#: Node kinds a Page token may touch, when they belong to its Page.
PAGE_KINDS = {"page", "form", "lead"}


def split_version(path: str, default: str) -> tuple[str, str]:
    """``"v26.0/123/leads"`` → (``"v26.0"``, ``"/123/leads"``); unversioned → default (§12)."""
    parts = path.strip("/").split("/", 1)
    if VERSION.match(parts[0]):
        return parts[0], "/" + (parts[1] if len(parts) > 1 else "")
    return default, "/" + path.strip("/")


def dispatch(call: Call) -> tuple[int, t.Any, dict[str, str]]:
    """(HTTP status, JSON body, headers) for ``call``; never raises GraphError."""
    state = call.state
    entry = {
        "method": call.method,
        "path": f"/{call.version}{call.path}",
        "version": call.version,
        "params": dict(call.params),
        "timestamp": state.now(),
        "batch": call.in_batch,
        "status": None,
    }
    state.record_call(entry)
    override: dict[str, t.Any] = {}
    headers: dict[str, str] = {}
    counted = True
    try:
        status, body = 200, _answer(call)
    except GraphError as error:
        status, body, override, counted = error.status, error.body(), error.usage, error.counted
        headers.update(error.headers)
    entry["status"] = status
    now = state.now()
    if counted:
        state.usage.count(call, now)
    headers.update(state.usage.headers(call, override, now))
    headers.update(
        {
            "facebook-api-version": call.version,
            "x-fb-trace-id": trace_id(),
            "x-fb-request-id": trace_id(),
            "x-fb-rev": "1029384756",
            "Content-Type": JSON_TYPE,
        }
    )
    return status, body, headers


def _answer(call: Call) -> t.Any:
    _check_version(call)
    _guess_usage(call)
    call.state.faults.apply(call)
    _enforce_usage(call)
    parts = call.path.strip("/").split("/")
    if len(parts) > 2:
        raise unknown_path("/".join(parts[2:]))
    head, edge = parts[0], (parts[1] if len(parts) > 1 else None)
    if head in SPECIAL:
        kind, node_edge = _special(head, edge)
        route = _route(call, kind, node_edge, head)
        if route.auth != "none":
            _authenticate(call)
        call.kind, call.edge = kind, node_edge
    else:
        _authenticate(call)
        call.kind, call.node = _resolve(call, head)
        call.edge = edge
        route = _route(call, call.kind, edge, head)
        _authorize(call, route)
    if not route.locked:
        return route.handler(call)
    with call.state.lock:
        return route.handler(call)


def _guess_usage(call: Call) -> None:
    """Usage context from the path alone, so an injected throttle names the right object;
    handlers set it again once the token is checked."""
    parts = call.path.strip("/").split("/")
    store = call.state.store
    obj, kind = store.objects.get(parts[0]), store.kind(parts[0])
    if obj is None or kind is None:
        return
    if kind in ("form", "lead", "page"):
        page = obj["id"] if kind == "page" else obj["page_id"]
        call.spend("pages" if kind == "page" else "leadgen", page)
    elif "account_id" in obj:
        # A report run and everything under it is insights traffic (§6.5: the header comes on
        # every insights response, polls and errors included).
        insights = kind == "report_run" or (len(parts) > 1 and parts[1] == "insights")
        call.insights = insights
        call.spend("ads_insights" if insights else "ads_management", obj["account_id"], obj["account_id"])


def _enforce_usage(call: Call) -> None:
    """Over a BUC budget (``USAGE_BUDGETS``, calls per rolling hour) → 80004/80000/80005 with
    a positive ``estimated_time_to_regain_access`` (§10 "Emulator")."""
    if not call.state.config["ENFORCE_USAGE"]:
        return
    blocked = call.state.usage.blocked(call, call.state.now())
    if blocked is not None:
        code, minutes = blocked
        rule = FaultRule(kind="rate_limit", code=code, minutes=minutes, reset_seconds=minutes * 60)
        error = fault_error(rule, call)
        error.counted = False
        raise error


def _check_version(call: Call) -> None:
    config = call.state.config
    if call.version in config["EXPIRED_VERSIONS"] or (
        call.version not in config["ACCEPTED_VERSIONS"]
        and sandbox_config.version_number(call.version) < sandbox_config.version_number(config["ACCEPTED_VERSIONS"][0])
    ):
        raise GraphError(
            f"(#2635) You are calling a deprecated version of the Ads API. Please update "
            f"to the latest version: {config['DEFAULT_VERSION']}.",
            2635,
        )
    if call.version not in config["ACCEPTED_VERSIONS"]:
        raise GraphError(f"Unknown path components: /{call.version}", 2500)


def _special(head: str, edge: str | None) -> tuple[str, str | None]:
    if head == "":
        return "root", None
    if head == "oauth" and edge == "access_token":
        return "oauth", "access_token"
    if head == "debug_token" and edge is None:
        return "debug_token", None
    raise unknown_path(f"{head}/{edge}" if edge else head)


def _route(call: Call, kind: str, edge: str | None, head: str) -> Route:
    route = ROUTES.get((kind, edge, call.method))
    if route is not None:
        return route
    if edge is None or any(k == kind and e == edge for k, e, _ in ROUTES):
        raise unsupported(call.method, head)
    raise unknown_path(edge)


def _authenticate(call: Call) -> None:
    if not call.token_value:
        raise GraphError(
            "An active access token must be used to query information about the current user."
            if call.path.startswith("/me")
            else "An access token is required to request this resource.",
            2500 if call.path.startswith("/me") else 104,
        )
    call.token = call.state.tokens.check(call.token_value, call.state.now())
    # Batch items inherit the top-level auth params, so the top-level proof covers them (§11.1).
    check_proof(
        call.state.config,
        call.token,
        call.auth_params.get("appsecret_proof"),
        call.auth_params.get("appsecret_time"),
        call.state.now(),
    )


def _resolve(call: Call, head: str) -> tuple[str, dict[str, t.Any]]:
    state, token = call.state, call.token
    assert token is not None
    if head == "me":
        if token.type == "PAGE":
            return "page", state.store.objects[str(token.page_id)]
        if token.type == "APP":
            raise GraphError("An active access token must be used to query information about the current user.", 2500)
        return "user", state.store.objects[str(token.user_id)]
    if head == state.config["APP_ID"]:
        return "app", {"id": head, "name": state.config["APP_NAME"]}
    kind = state.store.kind(head)
    obj = state.store.objects.get(head)
    if kind is None or obj is None or (kind == "lead" and not _lead_alive(call, obj)):
        raise unsupported(call.method, head)
    return kind, obj


def _lead_alive(call: Call, lead: dict[str, t.Any]) -> bool:
    from metaads.sandbox.nodes_leads import retention_start

    return not lead["deleted"] and lead["created"] >= retention_start(call)


def page_of(call: Call) -> str | None:
    """The Page that owns the call's node, for Page-token checks and BUC keys."""
    node, kind = call.node or {}, call.kind
    if kind == "page":
        return str(node["id"])
    if kind in ("form", "lead"):
        return str(node["page_id"])
    return None


def _authorize(call: Call, route: Route) -> None:
    token = call.token
    assert token is not None
    _check_token_kind(call, route, token)
    wanted = route.scope.split("|") if route.scope else []
    if wanted and token.type != "APP" and not any(scope in token.scopes for scope in wanted):
        raise permission_error(f"(#200) Requires {wanted[-1]} permission to manage the object")
    if token.type == "PAGE" and call.kind not in ("app",):
        if call.kind not in PAGE_KINDS or page_of(call) != token.page_id:
            raise permission_error()
    if "leads_retrieval" in wanted and page_of(call) in call.state.blocked_lead_pages:
        raise GraphError(
            "CRM access has been revoked from Lead Access Manager", int(call.state.config["LEADS_ACCESS_ERROR_CODE"])
        )


def _check_token_kind(call: Call, route: Route, token: Token) -> None:
    if route.auth == "app" and token.type != "APP":
        raise GraphError("(#15) This method must be called with an app access_token.", 15)
    if route.auth == "user" and token.type not in ("USER", "SYSTEM_USER"):
        raise GraphError("(#100) This method must be called with a User Access Token", 100)
    if route.auth == "page" and call.state.config["STRICT_PAGE_TOKENS"] and token.type != "PAGE":
        raise GraphError("(#190) This method must be called with a Page Access Token", 190)
    if route.auth not in ("app", "app_or_user") and token.type == "APP":
        raise permission_error()
