"""A run directory's file names are spelled once, in ``chaos/rundir.py``: no module of the
package or of the benchmarks writes one as a string of its own, so that a reader and a
writer cannot drift apart (help texts and docstrings may name them in prose)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from chaos.rundir import RunDir

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    path for folder in ("chaos", "benchmarks") for path in (ROOT / folder).rglob("*.py") if path.name != "rundir.py"
)


def file_names() -> set[str]:
    """Every name ``RunDir`` gives a file (those with a dot: ``logs`` is a common word)."""
    run_dir = RunDir(Path("run"))
    named: set[str] = set()
    for attribute in vars(RunDir).values():
        if isinstance(attribute, property):
            value = attribute.__get__(run_dir)
            named |= {path.name for path in (value if isinstance(value, tuple) else (value,))}
    return {name for name in named if "." in name}


def test_the_names_looked_for_are_the_run_directorys() -> None:
    assert {"journal.json", "records.jsonl", "ledger.jsonl", "events.jsonl", "run.json"} <= file_names()


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_spells_a_run_directory_file_name(path: Path) -> None:
    names = file_names()
    spelled = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(node.value == name or node.value.endswith("/" + name) for name in names)
    ]
    assert spelled == [], "name the file through chaos.rundir.RunDir"
