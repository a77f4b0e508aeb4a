"""People, Pages, businesses and ad account nodes: ``/me``, ``/me/accounts``, ``/act_{id}``."""

from __future__ import annotations

import typing as t

from metaads.sandbox.config import currency_offset
from metaads.sandbox.errors import param_error
from metaads.sandbox.fields import NodeType, register, render, stored
from metaads.sandbox.paging import paginate
from metaads.sandbox.routing import Call, require_enum, route, success

ADS_READ = "ads_read|ads_management"
#: ``/me/accounts`` items carry these when no ``fields`` is given (§11.2).
ACCOUNTS_DEFAULT = "access_token,category,category_list,name,id,tasks"

register(NodeType("app", "Application", ("name", "id"), {"id": stored("id"), "name": stored("name")}))


def render_page(call: Call, kind: str, rows: list[dict[str, t.Any]], default: str | None = None) -> dict[str, t.Any]:
    """Page ``rows`` per the call's paging params and render each with ``fields=``."""
    from metaads.sandbox.fields import parse_fields

    page = paginate(call, rows)
    specs = call.fields() or parse_fields(default)
    page["data"] = [render(call, kind, row, specs) for row in page["data"]]
    return page


@route("app", None, "GET", auth="app_or_user")
@route("business", None, "GET")
@route("user", None, "GET")
def read_node(call: Call) -> dict[str, t.Any]:
    assert call.kind is not None and call.node is not None
    return render(call, call.kind, call.node, call.fields())


@route("page", None, "GET")
def read_page(call: Call) -> dict[str, t.Any]:
    call.spend("pages", call.node_id)
    return read_node(call)


def _business(call: Call) -> str:
    return str((call.node or {})["business_id"])


@route("user", "accounts", "GET", auth="user", scope="pages_show_list")
def user_pages(call: Call) -> dict[str, t.Any]:
    pages = call.state.store.children_of(_business(call), "page")
    return render_page(call, "page", pages, ACCOUNTS_DEFAULT)


@route("user", "adaccounts", "GET", auth="user", scope=ADS_READ)
def user_ad_accounts(call: Call) -> dict[str, t.Any]:
    return render_page(call, "adaccount", call.state.store.children_of(_business(call), "adaccount"))


@route("user", "businesses", "GET", auth="user", scope="business_management")
def user_businesses(call: Call) -> dict[str, t.Any]:
    return render_page(call, "business", [call.state.store.objects[_business(call)]])


@route("user", "permissions", "GET", auth="user")
def user_permissions(call: Call) -> dict[str, t.Any]:
    assert call.token is not None
    granted = [{"permission": scope, "status": "granted"} for scope in call.token.scopes]
    declined = [
        {"permission": scope, "status": "declined"}
        for scope in sorted(call.state.config["DECLINE_SCOPES"])
        if scope not in call.token.scopes
    ]
    return {"data": granted + declined}


@route("adaccount", None, "GET", scope=ADS_READ)
def read_ad_account(call: Call) -> dict[str, t.Any]:
    node = call.node or {}
    call.spend("ads_management", node["account_id"], node["account_id"])
    return read_node(call)


@route("adaccount", None, "POST", scope="ads_management")
def update_ad_account(call: Call) -> dict[str, bool]:
    account = call.node or {}
    call.spend("ads_management", account["account_id"], account["account_id"])
    if call.get("name") is not None:
        account["name"] = call.get("name")
    cap = call.get("spend_cap")
    if cap is not None:
        # Written in major units, read back in minor units: Meta's unit trap (§4.1).
        try:
            account["spend_cap"] = round(float(cap) * currency_offset(account["currency"]))
        except ValueError:
            raise param_error("Param spend_cap must be a number", blame="spend_cap") from None
    action = call.get("spend_cap_action")
    if action is not None:
        require_enum(call, "spend_cap_action", action, ["reset", "delete"])
        if action == "reset":
            account["amount_spent"] = 0
        else:
            account["spend_cap"] = 0
    return success()
