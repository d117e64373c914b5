"""Imports flow one way: each room imports only rooms below it (docs/definitions.md,
"Where a definition lives"). A definition two rooms share moves below both; an arrow that
ran back up would let a lower room's meaning depend on a higher one's."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "chaos"

# Bottom first. A room imports rooms of lower layers only; rooms of one layer do not import
# each other.
LAYERS: list[set[str]] = [
    {"errors", "logs", "rundir", "ownership", "wilson", "kinds", "httpserver"},
    {"envrefs", "records"},
    {"segments"},
    {"scenario"},
    {"evals"},
    {"providers", "toxiproxy", "slo"},
    {"stack", "faults", "journal"},
    {"load"},
    {"run"},
    {"report", "demo"},
    {"cli"},
    {"__main__"},
]
LAYER = {room: index for index, rooms in enumerate(LAYERS) for room in rooms}


def room_of(module: str) -> str:
    """``chaos.scenario.plan`` -> ``scenario``; ``chaos.records`` -> ``records``."""
    return module.split(".")[1]


def imports(path: Path) -> list[tuple[int, str]]:
    """Every chaos module ``path`` imports (lazily, or for type checking only, too), by line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chaos."):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.module == "chaos":
            found += [(node.lineno, f"chaos.{alias.name}") for alias in node.names if alias.name != "__version__"]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("chaos.")]
    return found


MODULES = sorted(path for path in PACKAGE.rglob("*.py") if path.relative_to(PACKAGE).parts[0] != "__init__.py")


def test_every_room_has_a_layer() -> None:
    rooms = {room_of(".".join(("chaos", *path.relative_to(PACKAGE).with_suffix("").parts))) for path in MODULES}
    assert rooms == set(LAYER), "a new room: give it its layer here and in docs/definitions.md"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_a_module_imports_only_its_own_room_and_lower_layers(path: Path) -> None:
    room = path.relative_to(PACKAGE).with_suffix("").parts[0]
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {room} imports {module}"
        for line, module in imports(path)
        if room_of(module) != room and LAYER[room_of(module)] >= LAYER[room]
    ]
    assert upward == []
