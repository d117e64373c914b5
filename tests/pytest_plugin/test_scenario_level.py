"""The scenario level as a team runs it: the README's `pytest examples/pytest`, and
examples/pytest/test_gateway_scenario.py in a fresh pytest process: ``chaos run`` against
the demo gateway (each run about 20 s), judged by the real verdict; and what an
interrupted run leaves behind: nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chaos.journal import read_journal
from chaos.kinds import FaultAction

pytest_plugins = ("pytester",)
pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pytest"
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
BROKEN = "target.start=[python, -m, chaos.demo.gateway, --break, fallback]"


def scenario_example(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    for name in ("gateway-outage.yaml", "test_gateway_scenario.py"):
        shutil.copy(EXAMPLE / name, pytester.path / name)


def test_the_readme_command_passes_the_whole_example_with_its_scenario(tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "examples/pytest", f"--chaos-report={report}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^=+ 6 passed in", done.stdout, re.MULTILINE), done.stdout
    assert re.search(r"gateway-outage\.yaml` \| ✅ pass \| 0 \| `\S+/runs/1/gateway-outage-", report.read_text())


def test_a_gateway_without_its_fallback_fails_the_test_with_the_verdict_table_and_the_run_directory(
    pytester: pytest.Pytester,
) -> None:
    scenario_example(pytester)
    test_file = pytester.path / "test_gateway_scenario.py"
    test_file.write_text(
        test_file.read_text().replace(
            "@pytest.mark.chaos_scenario(SCENARIO)",
            f"@pytest.mark.chaos_scenario(SCENARIO, args=['--set', '{BROKEN}'])",
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert re.search(r"scenario \S+gateway-outage\.yaml: verdict fail \(exit 1\)", output), output
    assert re.search(r"availability .*primary-down|primary-down .*availability", output)
    assert "verdict: FAIL" in output
    run_dir = Path(re.findall(r"^run directory: (\S+)$", output, re.MULTILINE)[-1])
    assert run_dir.is_relative_to(pytester.path)  # under pytest's tmp_path
    journal = read_journal(run_dir)
    assert (journal.verdict, journal.exit_code) == ("fail", 1)
    assert journal.overrides == [BROKEN]
    # The test body never ran: the verdict failed it first.
    assert "assert availability ==" not in output


# Ctrl-C once the fault is in (its inject line in the run's events.jsonl), not at a fixed
# time: on a loaded machine the stack can take longer to come up than any fixed delay allows.
# The test hears its Ctrl-C even when started in the background, which inherits SIGINT
# ignored (a shell without job control does that): CI missed it so.
INTERRUPTED = """
import os, signal, threading, pathlib, time

def interrupt_once_injected():
    deadline = time.monotonic() + 50
    while time.monotonic() < deadline:
        for events in pathlib.Path.cwd().glob("**/events.jsonl"):
            if '"inject"' in events.read_text():
                os.kill(os.getpid(), signal.SIGINT)
                return
        time.sleep(0.1)

def test_interrupted_mid_run(chaos_run):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    threading.Thread(target=interrupt_once_injected, daemon=True).start()
    chaos_run(pathlib.Path("gateway-outage.yaml"))
"""


def test_an_interrupted_run_restores_its_fault_and_leaves_no_process(pytester: pytest.Pytester) -> None:
    scenario_example(pytester)
    (pytester.path / "test_gateway_scenario.py").unlink()
    pytester.makepyfile(test_interrupted=INTERRUPTED)
    started = time.monotonic()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    assert time.monotonic() - started < 60
    (journal_file,) = pytester.path.glob("**/runs/1/*/journal.json")
    events = read_journal(journal_file.parent).events
    # The fault at 5 s was injected, then restored on the way out.
    assert [(e.fault, e.action) for e in events] == [
        ("primary-down", FaultAction.INJECT),
        ("primary-down", FaultAction.RESTORE),
    ]
    assert all(e.ok for e in events)
    assert leftover_processes(pytester.path) == []


def leftover_processes(folder: Path) -> list[str]:
    """Processes whose command line names ``folder`` (every child of a run names its run directory)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(folder) in command:
            found.append(json.dumps({"pid": proc.name, "command": command}))
    return found
