"""Imports flow one way: each room imports only rooms below it (docs/definitions.md,
"Where a definition lives"). A definition two rooms share moves below both; an arrow that
ran back up would let a lower room's meaning depend on a higher one's. The import cycles
left stand inside one room each, and each is written down with its reason."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "chaos"

# Bottom first. A room imports rooms of lower layers only; rooms of one layer do not import
# each other.
LAYERS: list[set[str]] = [
    {"errors", "logs", "rundir", "ownership", "wilson", "kinds", "httpserver", "atomic"},
    {"envrefs", "records", "actions"},
    {"segments"},
    {"scenario"},
    {"evals"},
    {"providers", "toxiproxy", "slo", "containers"},
    {"observe"},
    {"stack", "faults", "journal", "history"},
    {"load"},
    {"run", "janitor"},
    {"report", "demo"},
    {"gameday", "drill", "capacity"},
    {"cli"},
    {"pytest_plugin", "__main__"},
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


# Each import cycle that remains, with its reason (docs/definitions.md says the same): a new
# one fails here, and so does one that is gone, so that this list and the page stay true.
CYCLES: dict[frozenset[str], str] = {
    frozenset(
        {
            "chaos.cli.capacity",
            "chaos.cli.drill",
            "chaos.cli.gameday",
            "chaos.cli.janitor",
            "chaos.cli.main",
            "chaos.cli.proxy",
            "chaos.cli.run",
        }
    ): ("the root registers the commands, and some of them read its options"),
    frozenset({"chaos.load.runtime.exchange", "chaos.load.runtime.session", "chaos.load.runtime.users"}): (
        "the session runs the user classes, which run one exchange; the way back is for type checking only"
    ),
    frozenset({"chaos.providers.embeddings", "chaos.providers.provider", "chaos.providers.streaming"}): (
        "a provider streams its answers (chat, embeddings), which name its Outcome for type checking only"
    ),
    frozenset(
        {
            "chaos.toxiproxy.server.connection",
            "chaos.toxiproxy.server.pipeline",
            "chaos.toxiproxy.server.proxy",
            "chaos.toxiproxy.server.toxics",
        }
    ): "a proxy, its connections and their toxics, as Toxiproxy itself has them",
}


def module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the chaos modules it imports (``from chaos.a import b`` names ``chaos.a.b``
    when that is a module, else ``chaos.a``)."""
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_of(path) for path in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "chaos":
                found |= {
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module for a in node.names
                }
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "chaos"}
        graph[module_of(path)] = found & known
    return graph


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The modules that import one another, directly or not, one set per cycle."""
    found: set[frozenset[str]] = set()
    graph = {module: set(imported) for module, imported in graph.items()}
    while True:
        try:
            TopologicalSorter(graph).prepare()
            return found
        except CycleError as exc:
            cycle = exc.args[1]
            members = reachable_both_ways(graph, cycle[0])
            found.add(frozenset(members))
            for module in members:  # the whole cycle found: cut it out and look for the next
                graph[module] = set()


def reachable_both_ways(graph: dict[str, set[str]], start: str) -> set[str]:
    def reach(edges: dict[str, set[str]]) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reverse: dict[str, set[str]] = {}
    for module, imported in graph.items():
        for target in imported:
            reverse.setdefault(target, set()).add(module)
    return reach(graph) & reach(reverse)


def test_the_cycles_finder_finds_every_cycle_whole() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"f"}, "f": {"e"}, "g": {"a"}}
    assert cycles(graph) == {frozenset("abc"), frozenset("ef")}
    assert cycles({"a": {"b"}, "b": set()}) == set()


def test_import_cycles_stay_inside_one_room_and_each_has_its_reason() -> None:
    found = cycles(import_graph())
    for cycle in found:
        assert len({module.rsplit(".", 1)[0] for module in cycle}) == 1, f"a cycle across packages: {sorted(cycle)}"
    came = [sorted(cycle) for cycle in found - set(CYCLES)]
    gone = [sorted(cycle) for cycle in set(CYCLES) - found]
    assert (came, gone) == ([], []), "a cycle came or went: write it (and why) here and in docs/definitions.md"
