"""How parameters travel to Graph: scalars as text, nested values as JSON strings.

Meta reads form and query fields as text; objects, arrays and booleans are sent as JSON inside
the field (``targeting={"geo_locations":...}``, ``special_ad_categories=[]``,
``is_adset_budget_sharing_enabled=false``), as the official SDK does (meta-graph.md §0).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import hmac
import json
import typing as t
from collections.abc import Mapping, Sequence


class _NoFields(enum.Enum):
    NO_FIELDS = "NO_FIELDS"


#: Pass as ``fields=`` to a GET on an endpoint that takes no ``fields`` (``debug_token``,
#: ``oauth/access_token``). Every other read must name its fields: Meta returns little more than
#: ``id`` otherwise.
NO_FIELDS: t.Final = _NoFields.NO_FIELDS

Fields = str | Sequence[str]
FieldsArg = Fields | t.Literal[_NoFields.NO_FIELDS]
Params = Mapping[str, t.Any]


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """``hex(HMAC-SHA256(key=app_secret, msg=access_token))``, sent beside every token."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def join_fields(fields: Fields) -> str:
    """``fields`` as Meta wants them: ``id,name,adsets.limit(5){id}``. Empty is an error."""
    joined = fields.strip() if isinstance(fields, str) else ",".join(f.strip() for f in fields if f.strip())
    if not joined:
        raise ValueError("fields= must name at least one field (Meta returns only ids without it)")
    return joined


def encode_value(value: t.Any) -> str:
    """One parameter value as the text Meta expects."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return encode_value(value.value)
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return json.dumps(_jsonable(value), separators=(",", ":"), default=_json_default)
    raise TypeError(f"cannot send a {type(value).__name__} to Graph")


def encode_params(params: Params | None) -> dict[str, str]:
    """``params`` encoded for a query string or form body; ``None`` values are left out."""
    return {key: encode_value(value) for key, value in (params or {}).items() if value is not None}


def _jsonable(value: t.Any) -> t.Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    return value


def _json_default(value: t.Any) -> t.Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot send a {type(value).__name__} to Graph")
