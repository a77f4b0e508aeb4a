"""What a JSON route declares about itself, next to the route: the schemas of its query string,
its body and its answers. The OpenAPI document is built from these declarations and the routes'
own rules (paths, methods, path parameters), so it cannot drift from the code.

Only the declaration lives here (the platform's blueprints declare their routes too, and the
platform never imports metaads); ``metaads.api.spec`` turns the declarations into OpenAPI.

    @bp.get("/accounts")
    @documented(answers=page_of("accounts", AdAccountSchema), query=PagingSchema)
    def accounts_index(): ...
"""

from __future__ import annotations

import dataclasses
import typing as t
from collections.abc import Callable, Mapping

from marshmallow import Schema, fields

SchemaLike = type[Schema] | Schema
#: An answer: the schema of a JSON body, or the media type of a file (``"text/csv"``).
Answer = SchemaLike | str
V = t.TypeVar("V", bound=Callable[..., t.Any])

#: The attribute a declared view carries: its operations by method (``None``: every method of
#: its rule). ``functools.wraps`` copies it onto wrappers.
ATTRIBUTE = "__api_operations__"


@dataclasses.dataclass(frozen=True)
class Operation:
    """One route's declaration. ``answers`` maps a success status to the schema of its body;
    ``errors`` names the error statuses the route itself raises beyond the ones every admin route
    has (401, 403; 404 with a path parameter; 400 with a query or a body), each with when."""

    answers: Mapping[int, Answer]
    query: SchemaLike | None = None
    body: SchemaLike | None = None
    errors: Mapping[int, str] = dataclasses.field(default_factory=dict)


def documented(
    *,
    answers: Answer | Mapping[int, Answer],
    query: SchemaLike | None = None,
    body: SchemaLike | None = None,
    errors: Mapping[int, str] | None = None,
    method: str | None = None,
) -> Callable[[V], V]:
    """Declare a route's schemas (a bare answer is the 200's). Put it under the route decorator;
    a route whose methods answer differently declares each ``method`` on its own."""
    declared = Operation(
        answers=answers if isinstance(answers, Mapping) else {200: answers},
        query=query,
        body=body,
        errors=dict(errors or {}),
    )

    def declare(view: V) -> V:
        setattr(view, ATTRIBUTE, {**operations_of(view), method: declared})
        return view

    return declare


def operations_of(view: Callable[..., t.Any]) -> dict[str | None, Operation]:
    return t.cast(dict[str | None, Operation], getattr(view, ATTRIBUTE, {}))


def operation_for(view: Callable[..., t.Any], method: str) -> Operation | None:
    declared = operations_of(view)
    return declared.get(method, declared.get(None))


# --- the shapes every list and object answer has (design.md) -----------------------------------

_made: dict[tuple[str, ...], type[Schema]] = {}


def one_of(key: str, schema: type[Schema]) -> type[Schema]:
    """``{key: {...}}``: one object."""
    return _named(f"{_stem(schema)}Answer", (key, schema.__name__), {key: fields.Nested(schema)})


def page_of(key: str, schema: type[Schema]) -> type[Schema]:
    """``{key: [...], "count", "limit", "offset"}``: one page of a list with offset paging."""
    shape: dict[str, fields.Field] = {
        key: fields.List(fields.Nested(schema)),
        "count": fields.Integer(metadata={"description": "How many match, on every page."}),
        "limit": fields.Integer(),
        "offset": fields.Integer(),
    }
    return _named(f"{_stem(schema)}Page", ("page", key, schema.__name__), shape)


def _named(name: str, identity: tuple[str, ...], shape: dict[str, fields.Field]) -> type[Schema]:
    # One class per shape: OpenAPI components are named after classes, and two classes with one
    # name would collide.
    if identity not in _made:
        _made[identity] = Schema.from_dict(shape, name=name)
    return _made[identity]


def _stem(schema: type[Schema]) -> str:
    return schema.__name__.removesuffix("Schema")


# --- the error envelope -----------------------------------------------------------------------


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "Machine-readable, e.g. validation_error, not_found."})
    message = fields.String(required=True, metadata={"description": "One sentence for people."})
    details = fields.Dict(
        required=True,
        metadata={"description": 'More about it; a validation_error has {"fields": {name: [problems]}}.'},
    )


class ErrorSchema(Schema):
    """Every error answer: ``{"error": {"code", "message", "details"}}``."""

    error = fields.Nested(ErrorBodySchema, required=True)
