"""The package's layout: bprop's modules import each other without a cycle.

The import graph is read from the source with ``ast``: one node per module of
src/bprop (a package is its ``__init__``), one edge per import statement that
names a bprop module, wherever it stands (module level, inside a function or a
class, in a try block); only imports under ``if TYPE_CHECKING:`` are left out,
since they never run. ``from P import name`` is an edge to the module P.name
when there is one, otherwise to P. A package's ``__init__`` that Python runs
before a submodule is not an edge of its own: every module would otherwise
depend on bprop/__init__.py, which imports the public API.

A cycle among these modules, even one hidden in a function-local import, means
neither module can be read, tested or imported without the other; each
strongly connected component of more than one module is reported with the
lines that close it. Optional heavy dependencies (matplotlib, onnx, starlette,
...) may still be imported inside functions: they are not bprop modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bprop

PACKAGE = Path(bprop.__file__).parent


def module_files(root: Path) -> dict[str, tuple[Path, bool]]:
    """{dotted module name: (file, is a package)} for every .py file under ``root``."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = (path, is_package)
    return modules


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                skipped.update(id(inner) for inner in ast.walk(statement))
    return skipped


def import_graph(root: Path) -> dict[str, dict[str, str]]:
    """{module: {imported module of the same package: "file:line" of the first such import}}."""
    modules = module_files(root)
    graph: dict[str, dict[str, str]] = {}
    for name, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skipped = _type_checking_nodes(tree)
        edges = graph.setdefault(name, {})
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                           for alias in node.names]
            for target in targets:
                if target.split(".")[0] == root.name:
                    edges.setdefault(target, f"{path.relative_to(root.parent)}:{node.lineno}")
    return graph


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing
    itself), each sorted, by Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, {}):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def describe(graph, component) -> str:
    members = set(component)
    lines = [f"{source} -> {target}  ({where})" for source in component
             for target, where in sorted(graph[source].items()) if target in members]
    return "import cycle among " + ", ".join(component) + ":\n    " + "\n    ".join(lines)


def test_bprop_has_no_import_cycle():
    graph = import_graph(PACKAGE)
    assert len(graph) > 50 and "bprop.network" in graph["bprop"]
    unknown = {target for edges in graph.values() for target in edges} - set(graph)
    assert not unknown, f"imports of bprop modules the graph does not know: {sorted(unknown)}"
    found = cycles(graph)
    assert not found, "\n".join(describe(graph, component) for component in found)


def test_the_checker_finds_a_cycle_hidden_in_a_function(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from .a import A\n__version__ = '1'\n")
    (package / "a.py").write_text("from . import b\n\nclass A:\n    def save(self):\n        from .sub.c import f\n")
    (package / "b.py").write_text("import numpy\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "c.py").write_text("def f():\n    from .. import __version__\n")
    (package / "sub" / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import A\n")
    graph = import_graph(package)
    assert graph["pkg.a"] == {"pkg.b": "pkg/a.py:1", "pkg.sub.c": "pkg/a.py:5"}
    assert graph["pkg.sub.d"] == {}  # under TYPE_CHECKING: never runs
    assert cycles(graph) == [["pkg", "pkg.a", "pkg.sub.c"]]
    assert "pkg.sub.c -> pkg  (pkg/sub/c.py:2)" in describe(graph, cycles(graph)[0])

    (package / "sub" / "c.py").write_text("from ..version import __version__\n")
    (package / "version.py").write_text("__version__ = '1'\n")
    assert cycles(import_graph(package)) == []
