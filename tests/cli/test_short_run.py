"""The README's short run, exactly as written: its plan says everything is decidable; the
run is the library matrix's healthy run of the same scenario (tests/library/test_matrix.py
holds the two together), which passes and is judged the same again from its records.

The commands are read from the README's "Shorter runs" block and run from a folder
holding the repository's ``scenarios/``; ``chaos`` is the interpreter's ``python -m
chaos``, as the venv's ``chaos`` script is.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def short_run_commands() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Shorter runs", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the README's Shorter runs section has no sh block"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_shows_a_plan_then_a_run_of_a_library_scenario_at_a_scale() -> None:
    plan, run = short_run_commands()
    assert plan[:2] == ["chaos", "plan"]
    assert run[:2] == ["chaos", "run"]
    assert "--scale" in plan
    assert "--scale" in run
    assert plan[2] == run[2]
    assert (ROOT / plan[2]).is_file()


def test_the_readme_short_plan_says_everything_is_decidable(tmp_path: Path) -> None:
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    plan, _ = short_run_commands()
    planned = subprocess.run(
        [sys.executable, "-m", "chaos", *plan[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert planned.returncode == 0, planned.stderr
    assert "decidable at scale" in planned.stdout, planned.stdout
