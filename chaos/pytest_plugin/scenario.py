"""A whole scenario as a test: ``chaos run`` in a child process, judged by its verdict.

Why a child process: ``chaos run`` starts Locust, which monkey-patches its process with
gevent on import; patched inside a pytest session it would change the sockets, threads
and time of every test after it (and of the fixtures' own servers). The child is exactly
what a user runs, its run directory is the one ``chaos report`` reads, and its whole
process group is stopped (SIGINT first, so that it restores its faults) if the test is
interrupted. The result is read back from the run's journal.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from chaos.journal import Journal, read_journal
from chaos.pytest_plugin.session_log import SessionLog
from chaos.records import Finding
from chaos.report.console_run import render_run
from chaos.rundir import RunDir
from chaos.slo.results import ExpectationResult, SloResult
from chaos.stack.processes import terminate

# ``chaos run`` restores every fault on SIGINT; this is how long it is given to.
STOP_GRACE_S = 30.0
TABLE_WIDTH = 120


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario run: its journal (every figure), where it ran, and how it ended."""

    scenario: str
    run_dir: Path
    exit_code: int
    journal: Journal | None
    output: str  # what chaos run printed
    inconclusive_passes: bool = False

    @property
    def verdict(self) -> str:
        """pass, fail, inconclusive or aborted; ``not run`` when chaos run refused to start."""
        if self.journal is None or self.journal.verdict is None:
            return "not run"
        return self.journal.verdict.value

    @property
    def slos(self) -> list[SloResult]:
        """The SLO x segment table, one result per cell."""
        evaluation = self.journal.evaluation if self.journal is not None else None
        return evaluation.slos if evaluation is not None else []

    @property
    def expectations(self) -> list[ExpectationResult]:
        evaluation = self.journal.evaluation if self.journal is not None else None
        return evaluation.expectations if evaluation is not None else []

    @property
    def findings(self) -> list[Finding]:
        return self.journal.findings if self.journal is not None else []

    @property
    def passed(self) -> bool:
        return self.verdict == "pass" or (self.verdict == "inconclusive" and self.inconclusive_passes)

    def table(self) -> str:
        """The verdict as ``chaos report`` shows it."""
        if self.journal is None:
            return self.output
        text = io.StringIO()
        render_run(
            self.journal, Console(file=text, width=TABLE_WIDTH, no_color=True, highlight=False), str(self.run_dir)
        )
        return text.getvalue()

    def check(self) -> None:
        """Fail the test, with the verdict table and the run directory, unless it passed."""
        if self.passed:
            return
        pytest.fail(
            f"scenario {self.scenario}: verdict {self.verdict} (exit {self.exit_code})\n\n{self.table()}\n"
            f"run directory: {self.run_dir}",
            pytrace=False,
        )


class ScenarioRunner:
    """The ``chaos_run`` fixture: ``chaos_run(path, scale=0.4, target="gw.yaml")``."""

    def __init__(self, tmp_path: Path, log: SessionLog, test: str, *, inconclusive_passes: bool) -> None:
        self.runs_dir = tmp_path / "runs"
        self._runs = 0
        self._log = log
        self._test = test
        self._inconclusive_passes = inconclusive_passes

    def __call__(
        self,
        scenario: str | Path,
        *,
        scale: float | None = None,
        target: str | Path | None = None,
        args: Sequence[str] = (),
    ) -> ScenarioResult:
        """Run and judge: the test fails unless the verdict is pass."""
        result = self.run(scenario, scale=scale, target=target, args=args)
        result.check()
        return result

    def run(
        self,
        scenario: str | Path,
        *,
        scale: float | None = None,
        target: str | Path | None = None,
        args: Sequence[str] = (),
    ) -> ScenarioResult:
        """Run without judging. ``target`` is a target file (``chaos run --target``);
        ``args`` are more of chaos run's options (``--set``, ``--target-start``, ...)."""
        self._runs += 1
        runs_dir = self.runs_dir / str(self._runs)  # each run of the test in a folder of its own
        command = [sys.executable, "-m", "chaos.pytest_plugin.child", str(os.getpid()), "run", str(scenario)]
        command += ["--runs-dir", str(runs_dir), "--no-live"]
        if scale is not None:
            command += ["--scale", str(scale)]
        if target is not None:
            command += ["--target", str(target)]
        command += list(args)
        runs_dir.mkdir(parents=True)
        exit_code, output = _run(command)
        run_dir = next((path for path in runs_dir.iterdir() if path.is_dir()), None)
        journal = _journal(run_dir)
        result = ScenarioResult(
            str(scenario), run_dir or runs_dir, exit_code, journal, output, self._inconclusive_passes
        )
        self._log.verdict(self._test, str(scenario), result.verdict, exit_code, str(result.run_dir))
        return result


def _run(command: list[str]) -> tuple[int, str]:
    """Run ``command`` to its end; if the test is interrupted meanwhile, SIGINT it (it
    restores its faults), then end its whole process group."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
        start_new_session=True,
    )
    try:
        output, _ = process.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_GRACE_S)
        terminate(process, grace=1.0, group=True)
        raise
    return process.returncode, output.decode(errors="replace")


def _journal(run_dir: Path | None) -> Journal | None:
    if run_dir is None or not RunDir(run_dir).journal.exists():
        return None
    return read_journal(run_dir)
