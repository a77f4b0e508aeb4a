"""metaads' packages import only downwards (or sideways, without a cycle), in the layers its
``__init__`` docstring states."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import metaads

ROOT = Path(metaads.__file__).parent


def layers() -> dict[str, int]:
    """``{package or module: layer}`` from the numbered list of ``metaads.__doc__``."""
    found: dict[str, int] = {}
    for number, names in re.findall(r"^(\d+)\. ([a-z_, ]+):", metaads.__doc__ or "", re.MULTILINE):
        found.update({name.strip(): int(number) for name in names.split(",")})
    return found


def unit(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def imported_units(tree: ast.AST) -> set[str]:
    units = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] == "metaads":
                units.update([parts[1]] if len(parts) > 1 else [alias.name for alias in node.names])
        elif isinstance(node, ast.Import):
            units.update(a.name.split(".")[1] for a in node.names if a.name.startswith("metaads."))
    return units


def import_graph() -> dict[str, set[str]]:
    """``{unit: units it imports}`` over metaads' top-level packages and modules."""
    graph: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        if path.parent == ROOT and path.name == "__init__.py":
            continue  # the package's face: it imports the extension, the top
        here = unit(path)
        graph.setdefault(here, set()).update(imported_units(ast.parse(path.read_text(encoding="utf-8"))) - {here})
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle, as the path around it; empty when there is none."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_every_package_imports_only_its_own_layer_or_lower() -> None:
    layer = layers()
    assert layer.get("capture", 0) > layer.get("sync", 0) > layer.get("graph", 0) > 0, "the docstring lists the layers"
    wrong = []
    for here, imports in import_graph().items():
        assert here in layer, f"metaads.{here} is in no layer of metaads/__init__.py's docstring"
        wrong += [
            f"{here} (layer {layer[here]}) imports {there} (layer {layer.get(there)})"
            for there in imports
            if layer.get(there, 99) > layer[here]
        ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_packages() -> None:
    assert not cycle(import_graph()), " → ".join(cycle(import_graph()))
