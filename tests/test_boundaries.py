"""The packages meet only where the architecture says: `sync` (the protocol), `printers` and
`service` (the web kit both apps are built from) import neither app, and the edge and the hub
never import each other."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

# package -> the top-level packages it may never import, not even through another one
FORBIDDEN = {
    "sync": {"edge", "hub", "service", "galley"},
    "printers": {"edge", "hub", "service", "galley"},
    "service": {"edge", "hub", "galley"},
    "edge": {"hub", "galley"},
    "hub": {"edge", "galley"},
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_it_may_not(package):
    code = (
        "import importlib, pkgutil, sys\n"
        f"root = importlib.import_module({package!r})\n"
        "for module in pkgutil.walk_packages(root.__path__, root.__name__ + '.'):\n"
        "    importlib.import_module(module.name)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert FORBIDDEN[package].isdisjoint(found.stdout.split()), found.stdout


# The edge's layers, in order: each may import only its own and those before it.
EDGE_LAYERS = ("core", "domain", "runtime", "api", "setup")


def test_each_layer_of_the_edge_imports_only_those_before_it():
    root = Path(__file__).resolve().parents[1] / "edge"
    for layer in EDGE_LAYERS:
        for path in (root / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else []
                )
                for name in names:
                    parts = name.split(".")
                    if parts[0] == "edge" and len(parts) > 1 and parts[1] in EDGE_LAYERS:
                        assert EDGE_LAYERS.index(parts[1]) <= EDGE_LAYERS.index(layer), (
                            f"{path.relative_to(root.parent)} imports {name}"
                        )
