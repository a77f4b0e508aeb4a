"""Webhook subscriptions: the Page installs the app (``subscribed_apps``, §1.6), the app says
where to deliver (``/{app-id}/subscriptions``, §1.7), with the hub.challenge check (§1.1)."""

from __future__ import annotations

import secrets
import typing as t

import requests

from metaads.sandbox.errors import GraphError, missing_param, param_error
from metaads.sandbox.routing import Call, as_bool, require_enum, route, success

Obj = dict[str, t.Any]
#: A subset of Page.SubscribedFields (the SDK has ~120); enough for lead ads and neighbours.
PAGE_FIELDS = [
    "leadgen",
    "leadgen_fat",
    "leadgen_update",
    "feed",
    "messages",
    "messaging_postbacks",
    "messaging_optins",
    "mention",
    "name",
    "picture",
    "ratings",
    "website",
    "email",
    "phone",
]
OBJECTS = ["page", "user", "permissions", "application", "instagram", "whatsapp_business_account"]


def _app_entry(call: Call, fields: list[str]) -> Obj:
    return {
        "category": "Business",
        "link": f"https://sandbox.example/apps/{call.state.config['APP_ID']}",
        "name": call.state.config["APP_NAME"],
        "id": call.state.config["APP_ID"],
        "subscribed_fields": fields,
    }


@route("page", "subscribed_apps", "GET", auth="page")
def list_page_apps(call: Call) -> Obj:
    call.spend("pages", call.node_id)
    apps = call.state.page_apps.get(call.node_id, {})
    return {"data": [_app_entry(call, fields) for fields in apps.values()]}


@route("page", "subscribed_apps", "POST", auth="page", scope="pages_manage_metadata")
def install_app(call: Call) -> Obj:
    call.spend("pages", call.node_id)
    fields = call.list("subscribed_fields")
    if not fields:
        raise missing_param("subscribed_fields")
    for field in fields:
        require_enum(call, "subscribed_fields", field, PAGE_FIELDS)
    call.state.page_apps.setdefault(call.node_id, {})[call.state.config["APP_ID"]] = sorted(set(fields))
    return success()


@route("page", "subscribed_apps", "DELETE", auth="page", scope="pages_manage_metadata")
def uninstall_app(call: Call) -> Obj:
    call.spend("pages", call.node_id)
    call.state.page_apps.get(call.node_id, {}).pop(call.state.config["APP_ID"], None)
    return success()


def _subscription_view(call: Call, obj: str, sub: Obj) -> Obj:
    return {
        "object": obj,
        "callback_url": sub["callback_url"],
        "active": sub["active"],
        "fields": [{"name": name, "version": call.version} for name in sub["fields"]],
    }


@route("app", "subscriptions", "GET", auth="app")
def list_subscriptions(call: Call) -> Obj:
    return {"data": [_subscription_view(call, obj, sub) for obj, sub in call.state.app_subscriptions.items()]}


@route("app", "subscriptions", "POST", auth="app", locked=False)
def subscribe(call: Call) -> Obj:
    obj = require_enum(call, "object", call.require("object"), OBJECTS)
    callback = call.require("callback_url")
    if not callback.startswith(("http://", "https://")):
        raise param_error("Param callback_url must be a valid URL", blame="callback_url")
    fields = call.list("fields")
    if not fields:
        raise missing_param("fields")
    if call.state.config["VERIFY_SUBSCRIPTIONS"]:
        verify_callback(callback, call.get("verify_token", "") or "", float(call.state.config["WEBHOOK_TIMEOUT"]))
    with call.state.lock:
        old = call.state.app_subscriptions.get(obj)
        merged = set(fields) | (set(old["fields"]) if old and old["callback_url"] == callback else set())
        call.state.app_subscriptions[obj] = {
            "callback_url": callback,
            "fields": sorted(merged),
            "active": True,
            "verify_token": call.get("verify_token"),
            "include_values": as_bool(call.get("include_values", "true")),
        }
    return success()


def verify_callback(url: str, verify_token: str, timeout: float) -> None:
    """Meta's GET with hub.mode/hub.challenge/hub.verify_token; 200 + the challenge echoed, or 2200."""
    challenge = str(secrets.randbelow(10**10))
    params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    try:
        response = requests.get(
            url, params=params, timeout=timeout, headers={"User-Agent": "facebookplatform/1.0 (+http://developers.facebook.com)"}
        )
    except requests.RequestException as exc:
        raise GraphError(f"(#2200) callback verification failed: {type(exc).__name__}", 2200) from None
    if response.status_code != 200 or response.text.strip() != challenge:
        raise GraphError(
            "(#2200) callback verification failed: The URL couldn't be validated. Response "
            f'does not match challenge, expected value="{challenge}", received="'
            f'{response.text[:100]}"',
            2200,
        )


@route("app", "subscriptions", "DELETE", auth="app")
def unsubscribe(call: Call) -> Obj:
    subs = call.state.app_subscriptions
    objects = [call.get("object")] if call.get("object") else list(subs)
    fields = call.list("fields")
    for obj in objects:
        if obj in subs and fields:
            subs[obj]["fields"] = [f for f in subs[obj]["fields"] if f not in fields]
        if obj in subs and (not fields or not subs[obj]["fields"]):
            del subs[obj]
    return success()
