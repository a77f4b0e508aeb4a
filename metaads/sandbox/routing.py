"""The request context handlers see (``Call``) and the route table they register into."""

from __future__ import annotations

import ast
import dataclasses
import json
import typing as t

from metaads.sandbox.errors import GraphError, param_error
from metaads.sandbox.fields import FieldSpec, parse_fields

if t.TYPE_CHECKING:
    from metaads.sandbox.state import SandboxState
    from metaads.sandbox.tokens import Token

Handler = t.Callable[["Call"], t.Any]


@dataclasses.dataclass
class Call:
    """One Graph request (top-level or a Batch API item) while it is being answered."""

    state: SandboxState
    method: str
    version: str
    path: str  # version-less: "/123/leads", "/" for the Batch API
    params: dict[str, str]  # without access_token / appsecret_proof / appsecret_time
    base_url: str  # "http://127.0.0.1:5000/"
    token_value: str | None = None
    auth_params: dict[str, str] = dataclasses.field(default_factory=dict)
    in_batch: bool = False
    token: Token | None = None
    kind: str | None = None
    node: dict[str, t.Any] | None = None
    edge: str | None = None
    # What the call spends, for the usage headers (§10).
    usage_object: str | None = None
    usage_type: str | None = None
    ad_account_id: str | None = None
    insights: bool = False

    @property
    def node_id(self) -> str:
        assert self.node is not None
        return str(self.node["id"])

    def fields(self) -> list[FieldSpec] | None:
        return parse_fields(self.params.get("fields"))

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.params.get(name)
        return default if value is None or value == "" else value

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise param_error(f"The parameter {name} is required", blame=name)
        return value

    def json(self, name: str, default: t.Any = None) -> t.Any:
        """A JSON-encoded param (how the SDK sends lists and objects, §0 Request encoding)."""
        raw = self.get(name)
        return default if raw is None else parse_json_param(name, raw)

    def list(self, name: str) -> list[str] | None:
        """A list param sent as a JSON array or as ``a,b,c``."""
        raw = self.get(name)
        if raw is None:
            return None
        if raw.lstrip().startswith("["):
            value = parse_json_param(name, raw)
            if not isinstance(value, list):
                raise param_error(f"Param {name} must be an array", blame=name)
            return [str(item) for item in value]
        return [part.strip() for part in raw.split(",") if part.strip()]

    def spend(self, usage_type: str, obj: str | None, ad_account: str | None = None) -> None:
        """Say which business object the call counts against (BUC header key)."""
        self.usage_type, self.usage_object = usage_type, obj
        if ad_account:
            self.ad_account_id = ad_account


def parse_json_param(name: str, raw: str) -> t.Any:
    """JSON, or the single-quoted dialect Graph also takes (§2.3)."""
    try:
        return json.loads(raw)
    except ValueError:
        pass
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        raise param_error(f"Param {name} must be a valid JSON value", blame=name) from None


@dataclasses.dataclass
class Route:
    handler: Handler
    #: "none", "any" (any live token), "user" (user or system user), "page" (that Page's
    #: token), "app" (app token), "app_or_user".
    auth: str = "any"
    scope: str | None = None
    #: False when the handler talks to the network and takes the state lock itself.
    locked: bool = True


#: (node kind, edge or None, method) → Route
ROUTES: dict[tuple[str, str | None, str], Route] = {}


def route(
    kind: str, edge: str | None, *methods: str, auth: str = "any", scope: str | None = None, locked: bool = True
) -> t.Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for method in methods:
            ROUTES[(kind, edge, method)] = Route(handler, auth, scope, locked)
        return handler

    return register


def require_enum(call: Call, name: str, value: str, allowed: t.Iterable[str]) -> str:
    allowed = list(allowed)
    if value not in allowed:
        raise param_error(f"Param {name} must be one of {{{', '.join(allowed)}}}", blame=name)
    return value


def as_bool(value: str | None) -> bool:
    return str(value).lower() in ("1", "true", "yes")


def success() -> dict[str, bool]:
    return {"success": True}


def not_found(call: Call) -> GraphError:
    from metaads.sandbox.errors import unsupported

    return unsupported(call.method, call.path.strip("/").split("/")[0])


def graph_json(body: t.Any) -> str:
    """Graph's JSON text: ASCII-only with ``\\uXXXX`` escapes and ``\\/`` (clients must parse, not grep)."""
    return json.dumps(body, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")
