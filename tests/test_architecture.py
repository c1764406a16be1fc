"""The house rules: imports flow one way between layers, and no two modules import each other.

Layers, lowest first: world <- agents <- model <- scenarios <- experiments <- viz <- cli. A module
may import its own package and any lower layer, never a higher one. Every import counts, also
those inside functions and under `if TYPE_CHECKING:` (a type-only import is still a dependency
a reader has to follow).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("world", "agents", "model", "scenarios", "experiments", "viz", "cli")
RANK = {name: i for i, name in enumerate(LAYERS)}


def _modules() -> dict[str, Path]:
    """Every module of the layered packages, by dotted name."""
    out = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _imports(path: Path, module: str) -> set[str]:
    """The project modules that `module` imports (absolute names; relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in RANK}


MODULES = _modules()


def _edges() -> list[tuple[str, str]]:
    edges = []
    for module, path in MODULES.items():
        for target in _imports(path, module):
            # `from pkg import name` names a module when pkg.name is one, else pkg itself.
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]
            if target in MODULES and target != module:
                edges.append((module, target))
    return edges


EDGES = _edges()


def test_the_layered_packages_exist() -> None:
    for package in LAYERS:
        assert package in MODULES, f"{package}/__init__.py is missing"


@pytest.mark.parametrize("layer", LAYERS)
def test_no_import_goes_up_a_layer(layer: str) -> None:
    upward = [
        f"{src} imports {dst}"
        for src, dst in EDGES
        if src.split(".")[0] == layer and RANK[dst.split(".")[0]] > RANK[layer]
    ]
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_module_cycle() -> None:
    graph = nx.DiGraph(EDGES)
    # A package's __init__ re-exporting its own modules is not a cycle a reader follows.
    graph.remove_edges_from([(s, d) for s, d in EDGES if "." not in s and d.startswith(f"{s}.")])
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The parser finds a function-level, type-only and relative import alike."""
    source = tmp_path / "example.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from model.city import City\n"
        "def f():\n    import viz.app\n"
        "from . import sibling\n",
        encoding="utf-8",
    )
    found = _imports(source, "agents.example")
    assert {"model.city", "viz.app", "agents", "agents.sibling"} <= found
