"""The README's short run, exactly as written: its plan says everything is decidable, and
the run passes against the demo gateway.

The commands are read from the README's "Shorter runs" block and run from a folder
holding the repository's ``scenarios/`` (so ``--runs-dir runs`` lands there); ``chaos``
is the interpreter's ``python -m chaos``, as the venv's ``chaos`` script is.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from chaos.journal import read_journal

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


@pytest.mark.e2e
def test_the_readme_short_run_passes_as_written(tmp_path: Path) -> None:
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    plan, run = short_run_commands()
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
    ran = subprocess.run(
        [sys.executable, "-m", "chaos", *run[1:], "--no-live"],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = ran.stdout + ran.stderr[-3000:]
    assert ran.returncode == 0, output
    (run_dir,) = (tmp_path / "runs").iterdir()
    journal = read_journal(run_dir)
    assert journal.scale == float(run[run.index("--scale") + 1])
    assert journal.exit_code == 0, output
    # Judged again from the raw records, the run is read at the scale it ran at.
    rebuilt = subprocess.run(
        [sys.executable, "-m", "chaos", "report", "--rebuild", str(run_dir)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    again = read_journal(run_dir)
    assert again.scale == journal.scale
    assert [(r.slo, r.segment, r.total) for r in again.evaluation.slos] == [
        (r.slo, r.segment, r.total) for r in journal.evaluation.slos
    ]
