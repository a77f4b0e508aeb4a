"""Login: the OAuth dialog, ``/oauth/access_token`` (code, long-lived, client credentials) and
``/debug_token`` (§11)."""

from __future__ import annotations

import secrets
import typing as t
from urllib.parse import urlencode

import flask
from markupsafe import escape
from werkzeug.wrappers import Response as WerkzeugResponse

from metaads.sandbox.errors import GraphError
from metaads.sandbox.ids import make_token
from metaads.sandbox.routing import Call, route
from metaads.sandbox.tokens import SIXTY_DAYS, Token

if t.TYPE_CHECKING:
    from metaads.sandbox.state import SandboxState

Obj = dict[str, t.Any]
CODE_TTL = 600
PAGE_SCOPES = {"pages_show_list", "pages_manage_metadata", "pages_read_engagement", "pages_manage_ads", "leads_retrieval"}
ADS_SCOPES = {"ads_management", "ads_read"}


def _check_client(call: Call, secret_required: bool = True) -> None:
    config = call.state.config
    if call.require("client_id") != config["APP_ID"]:
        raise GraphError("Error validating application. Invalid application ID.", 101)
    if secret_required and call.get("client_secret") != config["APP_SECRET"]:
        raise GraphError("Error validating client secret.", 1)


@route("oauth", "access_token", "GET", "POST", auth="none")
def access_token(call: Call) -> Obj:
    _check_client(call)
    grant = call.get("grant_type")
    if grant == "client_credentials":
        value = f"{call.state.config['APP_ID']}|{make_token('app-' + str(len(call.state.tokens.tokens)), '')[:27]}"
        call.state.tokens.add(Token(value, "APP", [], int(call.state.now())))
        return {"access_token": value, "token_type": "bearer"}
    if grant == "fb_exchange_token":
        old = call.state.tokens.check(call.require("fb_exchange_token"), call.state.now())
        if old.type != "USER":
            raise GraphError("(#100) fb_exchange_token must be a user access token", 100)
        return _issue(call, old.scopes)
    return _exchange_code(call)


def _exchange_code(call: Call) -> Obj:
    code = call.require("code")
    entry = call.state.oauth_codes.get(code)
    # Subcodes 36007/36008/36009 come from third-party reports, not from meta-graph.md.
    if entry is None:
        raise GraphError("Invalid verification code format.", 100)
    if entry["used"]:
        raise GraphError("This authorization code has been used.", 100, subcode=36009)
    if call.state.now() - entry["created"] > CODE_TTL:
        raise GraphError("This authorization code has expired.", 100, subcode=36007)
    if call.get("redirect_uri") != entry["redirect_uri"]:
        raise GraphError(
            "Error validating verification code. Please make sure your redirect_uri is identical "
            "to the one you used in the OAuth dialog request",
            100,
            subcode=36008,
        )
    entry["used"] = True  # codes are single-use
    return _issue(call, entry["scopes"])


def _issue(call: Call, scopes: list[str]) -> Obj:
    token = call.state.issue_user_token(scopes)
    return {"access_token": token.value, "token_type": "bearer", "expires_in": SIXTY_DAYS - 456}


@route("debug_token", None, "GET", auth="app_or_user")
def debug_token(call: Call) -> Obj:
    value = call.require("input_token")
    token = call.state.tokens.find(value)
    if token is None:
        return {"data": {"is_valid": False, "scopes": [], "error": {"code": 190, "message": "Invalid OAuth access token."}}}
    data = _describe(call.state, token)
    try:
        call.state.tokens.check(value, call.state.now())
    except GraphError as error:
        data["is_valid"] = False
        data["error"] = {"code": error.code, "message": error.message, "subcode": error.subcode}
    return {"data": data}


def _describe(state: SandboxState, token: Token) -> Obj:
    data: Obj = {
        "app_id": state.config["APP_ID"],
        "type": token.type,
        "application": state.config["APP_NAME"],
        "is_valid": True,
        "scopes": list(token.scopes),
    }
    if token.type == "APP":
        return data
    data.update(
        data_access_expires_at=token.data_access_expires_at,
        expires_at=token.expires_at,
        issued_at=token.issued_at,
        user_id=token.user_id,
    )
    if token.page_id:
        data["profile_id"] = token.page_id
    accounts = [obj["account_id"] for obj in state.store.all("adaccount")]
    data["granular_scopes"] = [_granular(state, scope, accounts) for scope in token.scopes]
    return data


def _granular(state: SandboxState, scope: str, accounts: list[str]) -> Obj:
    if scope in PAGE_SCOPES:
        return {"scope": scope, "target_ids": list(state.seed.page_ids)}
    if scope in ADS_SCOPES:
        return {"scope": scope, "target_ids": accounts}
    return {"scope": scope}


# -- the dialog (HTML, outside the Graph dispatcher) -------------------------------------
dialog = flask.Blueprint("sandbox_dialog", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in with Facebook (sandbox)</title></head>
<body>
<h1>{{ app_name }} is requesting access</h1>
<p>Continue as <strong>{{ user_name }}</strong> for <strong id="business">{{ business_name }}</strong>.</p>
<ul id="scopes">{% for scope, ok in scopes %}
  <li data-scope="{{ scope }}" class="{{ 'granted' if ok else 'declined' }}">{{ scope }}{% if not ok %} (declined){% endif %}</li>
{% endfor %}</ul>
<form method="post">
  {% for name, value in hidden %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}
  <button type="submit" id="approve" name="decision" value="approve">Approve</button>
  <button type="submit" id="cancel" name="decision" value="cancel">Cancel</button>
</form>
</body></html>"""
CARRIED = ("client_id", "redirect_uri", "state", "scope", "response_type", "return_scopes")


def _state() -> SandboxState:
    return t.cast("SandboxState", flask.current_app.extensions["sandbox"])


def _requested_scopes(raw: str) -> list[str]:
    return [s for s in raw.replace(" ", ",").split(",") if s]


def _dialog_error(message: str) -> flask.Response:
    body = f"<!doctype html><html><body><h1>Error</h1><p id='error'>{escape(message)}</p></body></html>"
    return flask.Response(body, 400, content_type="text/html; charset=utf-8")


def _validate(values: t.Mapping[str, str]) -> flask.Response | None:
    config = _state().config
    if values.get("client_id") != config["APP_ID"]:
        return _dialog_error("Invalid App ID: the provided app ID does not look like a valid app ID.")
    redirect = values.get("redirect_uri", "")
    allowed = config["REDIRECT_URIS"]
    if not redirect.startswith(("http://", "https://")) or (allowed is not None and redirect not in allowed):
        return _dialog_error(
            "URL Blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings."
        )
    return None


@dialog.get("/dialog/oauth")
@dialog.get("/<version>/dialog/oauth")
def show_dialog(version: str | None = None) -> flask.Response | str:
    values = flask.request.args
    problem = _validate(values)
    if problem is not None:
        return problem
    state = _state()
    declined = state.config["DECLINE_SCOPES"]
    return flask.render_template_string(
        PAGE,
        app_name=state.config["APP_NAME"],
        user_name=state.store.objects[state.seed.user_id]["name"],
        business_name=state.store.objects[state.seed.business_id]["name"],
        scopes=[(s, s not in declined) for s in _requested_scopes(values.get("scope", ""))],
        hidden=[(name, values[name]) for name in CARRIED if name in values],
    )


@dialog.post("/dialog/oauth")
@dialog.post("/<version>/dialog/oauth")
def answer_dialog(version: str | None = None) -> WerkzeugResponse:
    values = flask.request.form
    problem = _validate(values)
    if problem is not None:
        return problem
    query: dict[str, str] = {}
    if values.get("decision") == "approve":
        state = _state()
        requested = _requested_scopes(values.get("scope", ""))
        granted = [s for s in requested if s not in state.config["DECLINE_SCOPES"]]
        code = secrets.token_urlsafe(48)
        with state.lock:
            state.oauth_codes[code] = {
                "redirect_uri": values["redirect_uri"],
                "scopes": granted,
                "created": state.now(),
                "used": False,
            }
        query["code"] = code
        if values.get("return_scopes") == "true":
            query["granted_scopes"] = ",".join(granted)
            query["denied_scopes"] = ",".join(s for s in requested if s not in granted)
    else:
        query.update(error="access_denied", error_code="200", error_description="Permissions error", error_reason="user_denied")
    if "state" in values:
        query["state"] = values["state"]
    target = values["redirect_uri"]
    # Facebook appends "#_=_" to login redirects.
    return flask.redirect(f"{target}{'&' if '?' in target else '?'}{urlencode(query)}#_=_", 302)
