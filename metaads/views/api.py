"""The API's description, for programs (``openapi.json``) and for people (``api``, rendered on
the server from the same document: no script, no CDN, works offline)."""

from __future__ import annotations

import json
import typing as t

from flask import current_app, jsonify, render_template
from werkzeug.wrappers import Response

from metaads.api.spec import build_spec
from metaads.views import bp


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(build_spec(current_app._get_current_object()))  # type: ignore[attr-defined]


@bp.get("/api")
def api_reference() -> str:
    document = build_spec(current_app._get_current_object())  # type: ignore[attr-defined]
    return render_template("metaads/api.html", spec=document, tags=by_tag(document), as_json=pretty, type_of=type_of)


def by_tag(document: dict[str, t.Any]) -> dict[str, list[tuple[str, str, dict[str, t.Any]]]]:
    """The operations grouped by tag, in path order: ``{tag: [(method, path, operation)]}``."""
    grouped: dict[str, list[tuple[str, str, dict[str, t.Any]]]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                grouped.setdefault(operation["tags"][0], []).append((method.upper(), path, operation))
    return grouped


def pretty(value: t.Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def type_of(schema: dict[str, t.Any]) -> str:
    """A JSON Schema in a few words: ``integer | null``, ``array of Lead``, ``Lead``."""
    if "$ref" in schema:
        return str(schema["$ref"].rsplit("/", 1)[-1])
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    words = []
    for one in kinds:
        if one == "array":
            words.append("array of " + type_of(schema.get("items", {})))
        elif one == "string" and schema.get("format"):
            words.append(f"string ({schema['format']})")
        else:
            words.append(str(one))
    if "enum" in schema:
        words.append("one of " + ", ".join(str(v) for v in schema["enum"] if v is not None))
    return " | ".join(words)
