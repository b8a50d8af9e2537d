"""nn's modules import downward only: no cycle among them, not even through an import inside a function."""

from __future__ import annotations

import ast
import pathlib

import nn

NN = pathlib.Path(nn.__file__).parent


def imports_of(path: pathlib.Path) -> set[str]:
    """The nn modules a file imports, wherever the import statement is (top level, function, TYPE_CHECKING)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(n for n in names if n.startswith("nn.") and (NN / f"{n[3:]}.py").exists())
    return found


def import_graph() -> dict[str, set[str]]:
    return {f"nn.{p.stem}": imports_of(p) - {f"nn.{p.stem}"} for p in sorted(NN.glob("*.py")) if p.stem != "__init__"}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import path that leads from a module back to itself (depth-first search with the current path)."""
    found, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            found.append(path[path.index(module):] + [module])
            return
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, path + [module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    return found


def test_the_cycle_finder_finds_a_cycle_through_three_modules():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_nn_modules_import_no_cycle():
    graph = import_graph()
    assert "nn.io" in graph["nn.module"]  # model.save(path) writes through nn.io ...
    assert "nn.layers" not in graph["nn.io"] and "nn.module" not in graph["nn.io"]  # ... which knows no model
    assert cycles(graph) == []


def test_no_nn_module_imports_numpy():
    # NumPy numbers are taken by duck typing (numbers.Real, numbers.Integral), so nn never needs NumPy itself.
    imported = set()
    for path in NN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert "autograd" in imported and "numpy" not in imported
