"""tracker's import graph, read from the source with `ast`: which module imports which, and the
layer each belongs to. tests/test_layers.py holds the layers to one direction; docs/architecture.md
prints the graph with cog."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"

#: Lowest first: a module may import its own layer and the layers before it, never one after it.
#: errors, values, inputs, outputs and stages are the core that every layer may use.
LAYERS = ("core", "intake", "ledger", "imports", "scores", "site", "cli")
CORE = {"tracker", "tracker.errors", "tracker.values", "tracker.inputs", "tracker.outputs", "tracker.stages"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    if module in CORE:
        return "core"
    if module == "tracker.__main__":  # `python -m tracker` runs the command line
        return "cli"
    return module.split(".")[1]


def _typing_only(tree: ast.AST) -> set[int]:
    """The nodes under `if TYPE_CHECKING:`: imports for annotations only, never run."""
    nodes: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            nodes.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return nodes


def imports() -> dict[str, set[str]]:
    """module → the tracker modules it imports at run time (at the top or inside a function)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _typing_only(tree)
        found: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tracker":
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.split(".")[0] == "tracker")
        graph[name] = found - {name}
    return graph


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a higher layer by a lower one."""
    return [f"{m} ({layer(m)}) imports {d} ({layer(d)})" for m, deps in sorted(graph.items())
            for d in sorted(deps) if LAYERS.index(layer(d)) > LAYERS.index(layer(m))]


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """Modules that reach themselves through their imports."""
    out = []
    for start in sorted(graph):
        seen, stack = set(), list(graph[start])
        while stack:
            m = stack.pop()
            if m == start:
                out.append(start)
                break
            if m not in seen:
                seen.add(m)
                stack.extend(graph.get(m, ()))
    return out


def layer_graph_markdown() -> str:
    """The graph between layers and, per layer, between its modules, for docs/architecture.md."""
    graph = imports()
    lines = ["| layer | modules | imports from the layers |", "| --- | --- | --- |"]
    for name in LAYERS:
        members = sorted(m for m in graph if layer(m) == name)
        below = sorted({layer(d) for m in members for d in graph[m]} - {name}, key=LAYERS.index)
        lines.append(f"| {name} | {', '.join(f'`{m}`' for m in members)} | {', '.join(below) or '–'} |")
    lines += ["", "Every import of one tracker module by another (at run time):", "", "```"]
    for m in sorted(graph):
        if graph[m]:
            lines.append(f"{m} -> {', '.join(sorted(graph[m]))}")
    lines.append("```")
    return "\n".join(lines)


def module_map_markdown() -> str:
    """Each module with the first line of its docstring, by layer, for docs/architecture.md."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    lines = []
    for name in LAYERS:
        lines.append(f"\n**{name}**\n")
        for m in sorted(m for m in modules if layer(m) == name):
            doc = ast.get_docstring(ast.parse(modules[m].read_text(encoding="utf-8"))) or ""
            first = " ".join(doc.split("\n\n")[0].split())
            lines.append(f"- `{m}`: {first}")
    return "\n".join(lines).lstrip("\n")
