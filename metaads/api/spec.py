"""The OpenAPI 3.1 document of the admin JSON routes, built from the app itself: paths, methods and
path parameters from ``app.url_map``, everything else from the schemas each route declares with
``plugins.core.apidoc.documented``. apispec's marshmallow plugin turns the schemas into JSON
Schema (the routes are plain Flask views that answer a page or JSON, so a framework that owns
the routes, such as flask-smorest, would not fit; apispec only describes them).
"""

from __future__ import annotations

import re
import typing as t

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from werkzeug.routing import Rule

from metaads.leads.filters import CursorField, StatusList, UTCInstant
from metaads.leads.schemas import UserId
from plugins.core.apidoc import ErrorSchema, Operation, operation_for, operations_of
from plugins.core.http import ERROR_CODES

TITLE = "metaads admin API"
VERSION = "1"
ADMIN_PREFIX = "/admin/"
#: The largest id a path takes (ids are 32-bit integers in every table).
MAX_ID = 2**31 - 1
_PARAMETER = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTERS: dict[str, dict[str, t.Any]] = {
    "int": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    "default": {"type": "string", "pattern": "^[^/]+$"},
    "string": {"type": "string", "pattern": "^[^/]+$"},
}
#: Fields of our own whose JSON Schema apispec cannot guess.
_CUSTOM_FIELDS: dict[type, tuple[str, str | None]] = {
    UTCInstant: ("string", None),  # a date (midnight UTC) or a date-time
    StatusList: ("string", None),  # one status or several, comma separated
    CursorField: ("string", None),  # next_cursor / previous_cursor of a list answer
    UserId: ("string", None),  # a user id (the number itself is accepted too), "none" or null
}
#: What each error status means here, with the codes it carries.
ERRORS = {
    400: "`validation_error` (details.fields: the problems, by field) or `bad_request`.",
    401: "`unauthorized`: no session and no valid API token.",
    403: "`forbidden`: the user is not an administrator.",
    404: "`not_found`: no such object.",
}
DESCRIPTION = """Every admin route serves a page to a browser and JSON to a client that asks for it
(`Accept: application/json`, or any request with `Authorization: Bearer <API token>`; issue a
token with `flask --app wsgi accounts issue-token EMAIL`). Lists answer `{key: [...], "count",
"limit", "offset"}`, one object `{key: {...}}`. Money is an integer in the currency's minor
units, times are ISO 8601 UTC, Meta's ids are strings, our ids integers.

Every error answers `{"error": {"code", "message", "details"}}` with a 4xx or 5xx status.
Codes: `validation_error`, {codes}, and the route-specific ones named under each route."""


def build_spec(app: Flask) -> dict[str, t.Any]:
    """The OpenAPI document of every declared route under ``/admin/``, as a JSON-ready dict."""
    plugin = MarshmallowPlugin()
    codes = ", ".join(f"`{code}`" for code in sorted(set(ERROR_CODES.values())))
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[plugin],
        info={"description": DESCRIPTION.replace("{codes}", codes)},
    )
    for field, openapi_type in _CUSTOM_FIELDS.items():
        plugin.map_to_openapi_type(field, *openapi_type)
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "description": "An API token."})
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "session", "description": "A logged-in browser."}
    )
    spec.components.schema("Error", schema=ErrorSchema)
    for rule in sorted(documented_rules(app), key=lambda rule: rule.rule):
        view = app.view_functions[rule.endpoint]
        operations = {
            method.lower(): describe(rule, method, op, view.__doc__)
            for method in sorted(rule.methods or ())
            if method not in ("HEAD", "OPTIONS") and (op := operation_for(view, method)) is not None
        }
        spec.path(path=openapi_path(rule), operations=operations, parameters=path_parameters(rule))
    document = spec.to_dict()
    document["security"] = [{"bearerAuth": []}, {"session": []}]
    add_examples(document)
    return document


def documented_rules(app: Flask) -> list[Rule]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(ADMIN_PREFIX) and operations_of(app.view_functions[rule.endpoint])
    ]


def describe(rule: Rule, method: str, op: Operation, doc: str | None) -> dict[str, t.Any]:
    summary, _, description = (doc or rule.endpoint.split(".")[-1].replace("_", " ")).strip().partition("\n")
    responses: dict[str | int, t.Any] = {status: answer(status, schema) for status, schema in op.answers.items()}
    errors = {401: ERRORS[401], 403: ERRORS[403]}
    if rule.arguments:
        errors[404] = ERRORS[404]
    if op.query is not None or op.body is not None:
        errors[400] = ERRORS[400]
    errors.update(op.errors)
    for status, text in sorted(errors.items()):
        responses[status] = {"description": text, "content": {"application/json": {"schema": "Error"}}}
    operation: dict[str, t.Any] = {
        "operationId": rule.endpoint.replace(".", "_") + ("" if _single_method(rule) else f"_{method.lower()}"),
        "summary": summary.strip().rstrip("."),
        "tags": [tag_of(rule)],
        "responses": responses,
    }
    if description.strip():
        operation["description"] = _dedent(description)
    if op.query is not None:
        operation["parameters"] = [{"in": "query", "schema": op.query}]
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    return operation


def answer(status: int, schema: t.Any) -> dict[str, t.Any]:
    """A JSON answer of ``schema``, or a file when ``schema`` is a media type."""
    description = {200: "OK", 201: "Created", 202: "Accepted: the work goes on in a job."}.get(status, "OK")
    if isinstance(schema, str):
        return {"description": f"{description} (a file)", "content": {schema: {"schema": {"type": "string"}}}}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_path(rule: Rule) -> str:
    return _PARAMETER.sub(lambda match: "{" + match["name"] + "}", rule.rule)


def path_parameters(rule: Rule) -> list[dict[str, t.Any]]:
    return [
        {"in": "path", "name": match["name"], "required": True, "schema": dict(_CONVERTERS[match["converter"] or "default"])}
        for match in _PARAMETER.finditer(rule.rule)
    ]


def tag_of(rule: Rule) -> str:
    """The first part of the path after the blueprint's prefix: ``leads``, ``lead-forms``, ``socials``…"""
    parts = rule.rule.removeprefix(ADMIN_PREFIX).split("/")
    return parts[1] if parts[0] == "meta-ads" and len(parts) > 1 and parts[1] else parts[0]


def _single_method(rule: Rule) -> bool:
    return len((rule.methods or set()) - {"HEAD", "OPTIONS"}) == 1


def _dedent(text: str) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines())


# --- examples ---------------------------------------------------------------------------------


def add_examples(document: dict[str, t.Any]) -> None:
    """An example of every body and answer, made from its schema (so it cannot disagree with it)."""
    schemas = document["components"]["schemas"]
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
            for body in bodies:
                for media_type, media in body.get("content", {}).items():
                    if media_type == "application/json":
                        media["example"] = example_of(media["schema"], schemas)


def example_of(schema: dict[str, t.Any], schemas: dict[str, t.Any], depth: int = 0) -> t.Any:
    if "$ref" in schema:
        return example_of(schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas, depth)
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return next((value for value in schema["enum"] if value is not None), None)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object":
        if "properties" not in schema:
            return {}
        return {name: example_of(sub, schemas, depth + 1) for name, sub in schema["properties"].items()}
    if kind == "array":
        return [example_of(schema.get("items", {}), schemas, depth + 1)] if depth < 4 else []
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        return {"date-time": "2026-03-14T09:30:00+00:00", "date": "2026-03-14"}.get(schema.get("format", ""), "text")
    return None
