"""A gateway that is not the reference one, from this test tree (``foreign_gateway.py``:
OpenAI wire format only, its port on its command line, ``/health``, who served in
``x-upstream``), run through ``chaos suite`` over two library scenarios with overrides
only (``foreign-gateway.yaml``): no copy of any scenario. It has a fallback and a crude
breaker but no cache, so the blackout fails (its abort rule stops it), as the README's
table says it must."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.journal import read_journal
from chaos.wilson import Verdict
from tests.run.harness import ROOT, chaos_cli

pytestmark = pytest.mark.e2e

TARGET = Path(__file__).resolve().parent / "foreign-gateway.yaml"
SCENARIOS = ("provider-outage", "full-blackout")  # the fallback holds; without a cache the blackout fails
SCALE = "0.4"  # each run 40% of its length: the timeline scaled, every SLO still decidable


def test_a_foreign_gateway_runs_the_library_through_a_suite_with_overrides_only(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    files = [str(ROOT / "scenarios" / f"{name}.yaml") for name in SCENARIOS]
    result = chaos_cli("suite", *files, "--target", str(TARGET), "--scale", SCALE, "--runs-dir", str(runs), timeout=600)
    explain = result.stdout[-6000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr, explain
    # One table: a row per scenario, its verdict, what failed, its run directory.
    table = result.stdout[result.stdout.rindex("Suite") :]
    for name in SCENARIOS:
        assert f"scenarios/{name}.yaml" in table, explain
    run_dirs = sorted(runs.iterdir())
    assert len(run_dirs) == len(SCENARIOS), explain
    journals = {journal.scenario_name: journal for journal in map(read_journal, run_dirs)}
    assert set(journals) == set(SCENARIOS)
    for name, journal in journals.items():
        # The foreign gateway ran, started from the target file with its port filled in.
        run_dir = next(d for d in run_dirs if d.name.startswith(name))
        log = (run_dir / "logs" / "target.log").read_text()
        assert f"foreign gateway on {journal.endpoints['target'].rsplit(':', 1)[1]}" in log
        assert f"run {journal.run_id}, told its port as" in log
        assert 'target.served_by={"header": "x-upstream"}' in journal.overrides
        assert (run_dir / "scenario.yaml").read_text() == (ROOT / "scenarios" / f"{name}.yaml").read_text()
        assert journal.verdict is not None
        assert journal.verdict in table
    # Without a cache, every provider down is an outage for its users.
    blackout = journals["full-blackout"]
    assert blackout.verdict in ("fail", "aborted"), explain
    assert "availability" in (blackout.reason or ""), blackout.reason
    # Who served, read from x-upstream (model names mapped to providers): the fallback took over.
    outage = journals["provider-outage"].evaluation
    assert outage is not None
    served = next(e for e in outage.expectations if e.kind == "served_by")
    assert served.verdict is Verdict.PASS, served
    # The suite's exit code is its worst run's: an abort (3) over a failure (1).
    codes = {journal.exit_code for journal in journals.values()}
    assert result.returncode == (3 if 3 in codes else 1), explain
    assert f"exit {result.returncode}" in table
