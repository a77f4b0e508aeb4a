"""``fields=`` syntax (field expansion, ``.limit(n)``) and rendering stored objects through it."""

from __future__ import annotations

import dataclasses
import typing as t

from metaads.sandbox.errors import GraphError, nonexisting_field

if t.TYPE_CHECKING:
    from metaads.sandbox.routing import Call

Getter = t.Callable[["Call", dict[str, t.Any]], t.Any]
#: An edge lister returns the child kind and the visible children, in Graph order.
EdgeLister = t.Callable[["Call", dict[str, t.Any]], tuple[str, list[dict[str, t.Any]]]]


@dataclasses.dataclass
class FieldSpec:
    """One entry of ``fields=``: ``name.limit(5){child,...}``."""

    name: str
    children: list[FieldSpec] | None = None
    limit: int | None = None

    def text(self) -> str:
        out = self.name + (f".limit({self.limit})" if self.limit is not None else "")
        if self.children is not None:
            out += "{" + specs_text(self.children) + "}"
        return out


def specs_text(specs: list[FieldSpec]) -> str:
    return ",".join(spec.text() for spec in specs)


@dataclasses.dataclass(frozen=True)
class Ref:
    """A field whose value is another node (``page``, ``campaign``, ``business``...)."""

    kind: str
    obj: dict[str, t.Any]


@dataclasses.dataclass
class NodeType:
    """What a kind of node exposes: its Graph type name, default fields, fields and edges."""

    kind: str
    graph_name: str
    default_fields: tuple[str, ...]
    fields: dict[str, Getter]
    edges: dict[str, EdgeLister] = dataclasses.field(default_factory=dict)


#: kind → NodeType; filled by the node modules at import.
REGISTRY: dict[str, NodeType] = {}


def register(node_type: NodeType) -> NodeType:
    REGISTRY[node_type.kind] = node_type
    return node_type


def stored(name: str) -> Getter:
    """Getter for a field kept verbatim on the stored object."""
    return lambda call, obj: obj.get(name)


class _Parser:
    """Recursive descent over ``a,b.limit(2){c,d{e}}``; errors are Graph's code 2500."""

    def __init__(self, text: str) -> None:
        self.text = "".join(text.split())
        self.pos = 0

    def fail(self, expected: str) -> GraphError:
        found = self.text[self.pos] if self.pos < len(self.text) else "end of string"
        return GraphError(
            f'Syntax error "Expected {expected} instead of "{found}"." at character {self.pos}: {self.text}',
            2500,
        )

    def parse(self) -> list[FieldSpec]:
        specs = self.items()
        if self.pos != len(self.text):
            raise self.fail("end of string")
        return specs

    def items(self) -> list[FieldSpec]:
        specs = [self.item()]
        while self.peek(","):
            self.pos += 1
            specs.append(self.item())
        return specs

    def item(self) -> FieldSpec:
        spec = FieldSpec(self.name())
        while self.peek("."):
            self.pos += 1
            modifier, argument = self.name(), self.argument()
            if modifier == "limit":
                if not argument.isdigit():
                    raise self.fail("a number")
                spec.limit = int(argument)
        if self.peek("{"):
            self.pos += 1
            spec.children = self.items()
            if not self.peek("}"):
                raise self.fail('"}"')
            self.pos += 1
        return spec

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "_"):
            self.pos += 1
        if start == self.pos:
            raise self.fail("a field name")
        return self.text[start : self.pos]

    def argument(self) -> str:
        if not self.peek("("):
            raise self.fail('"("')
        end = self.text.find(")", self.pos)
        if end < 0:
            raise self.fail('")"')
        argument, self.pos = self.text[self.pos + 1 : end], end + 1
        return argument

    def peek(self, char: str) -> bool:
        return self.pos < len(self.text) and self.text[self.pos] == char


def parse_fields(text: str | None) -> list[FieldSpec] | None:
    """``None`` or blank → None (use the node's defaults)."""
    if text is None or not text.strip():
        return None
    return _Parser(text).parse()


def render(call: Call, kind: str, obj: dict[str, t.Any], specs: list[FieldSpec] | None) -> dict[str, t.Any]:
    """The JSON Graph returns for ``obj`` with ``fields=specs``; ``id`` always comes along."""
    node_type = REGISTRY[kind]
    if specs is None:
        specs = [FieldSpec(name) for name in node_type.default_fields]
    out: dict[str, t.Any] = {}
    for spec in specs:
        if spec.name in node_type.edges:
            out[spec.name] = _render_edge(call, node_type, obj, spec)
        elif spec.name in node_type.fields:
            value = node_type.fields[spec.name](call, obj)
            if value is not None:
                out[spec.name] = _materialize(call, value, spec.children)
        elif call.state.config["STRICT_FIELDS"]:
            raise nonexisting_field(spec.name, node_type.graph_name)
    if "id" in node_type.fields and "id" not in out:
        out["id"] = node_type.fields["id"](call, obj)
    return out


def _materialize(call: Call, value: t.Any, children: list[FieldSpec] | None) -> t.Any:
    if isinstance(value, Ref):
        return render(call, value.kind, value.obj, children)
    if isinstance(value, list):
        return [_materialize(call, item, children) for item in value]
    if isinstance(value, dict) and children is not None:
        wanted = {spec.name: spec for spec in children}
        return {k: _materialize(call, v, wanted[k].children) for k, v in value.items() if k in wanted}
    return value


def _render_edge(call: Call, node_type: NodeType, obj: dict[str, t.Any], spec: FieldSpec) -> dict[str, t.Any]:
    from metaads.sandbox.paging import paginate

    child_kind, children = node_type.edges[spec.name](call, obj)
    path = f"/{node_type.fields['id'](call, obj)}/{spec.name}"
    params = {"fields": specs_text(spec.children)} if spec.children else {}
    if spec.limit is not None:
        params["limit"] = str(spec.limit)
    page = paginate(call, children, params=params, path=path, nested=True)
    page["data"] = [render(call, child_kind, child, spec.children) for child in page["data"]]
    return page
