"""Drill suites: the shipped ones validate, a bad one gets every problem located, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chaos.drill.suite import SuiteKind, load_suite, suite_schema
from chaos.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
SUITES = sorted((ROOT / "gameday" / "drills").glob("*.yaml"))
OUTAGE = ROOT / "scenarios" / "provider-outage.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(text.replace("OUTAGE", str(OUTAGE)), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_suite(path)
    return [str(problem) for problem in caught.value.problems]


def test_the_shipped_suites_are_a_component_and_a_full_suite_of_library_scenarios() -> None:
    loaded = {path.stem: load_suite(path) for path in SUITES}
    assert {name: suite.suite.kind for name, suite in loaded.items()} == {
        "component": SuiteKind.COMPONENT,
        "full": SuiteKind.FULL,
    }
    assert [entry.name for entry in loaded["component"].entries] == [
        "provider-outage",
        "rate-limit-storm",
        "latency-spike",
        "quality-regression",
    ]
    assert [entry.name for entry in loaded["full"].entries] == ["full-blackout", "cost-explosion"]


def test_the_checked_in_schema_is_the_one_chaos_drill_schema_prints() -> None:
    written = json.loads((ROOT / "gameday" / "drills" / "drill-suite.schema.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(suite_schema()))


def test_every_problem_is_located_in_the_suite_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """version: 1
name: bad
kind: monthly
owner: me
scenarios:
  - scenario: OUTAGE
    targets: {recover: 30, availabilty: 99%}
""",
    )
    assert problems(path) == [
        f"{path}:3:7: kind: Input should be 'component' or 'full', got \"monthly\"",
        f"{path}:7:24: scenarios[0].targets.recover: expected a duration with a unit like 30s or 30ms, got 30",
        f'{path}:7:28: scenarios[0].targets.availabilty: unknown key "availabilty" (did you mean "availability"?)',
    ]


def test_a_missing_scenario_and_a_bad_override_are_located_where_the_suite_wrote_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """version: 1
name: bad
kind: component
owner: me
scenarios:
  - scenario: nowhere.yaml
    targets: {recover: 30s}
  - scenario: OUTAGE
    set: [load.users=many]
    targets: {recover: 30s}
""",
    )
    found = problems(path)
    assert found[0] == f"{path}:6:15: scenarios[0].scenario: no file {tmp_path / 'nowhere.yaml'}"
    assert found[1].startswith(f"{path}:9:11: load.users: ")


def test_targets_need_one_target(tmp_path: Path) -> None:
    path = write(
        tmp_path, "version: 1\nname: b\nkind: full\nowner: me\nscenarios:\n- {scenario: OUTAGE, targets: {}}\n"
    )
    column = path.read_text(encoding="utf-8").splitlines()[5].index("{}") + 1
    hint = "give at least one target (detect, mitigate, recover, failed_requests, ...)"
    assert problems(path) == [f"{path}:6:{column}: scenarios[0].targets: {hint}"]


def test_two_entries_of_one_scenario_need_a_name_each(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """version: 1
name: twice
kind: component
owner: me
scenarios:
  - scenario: OUTAGE
    targets: {recover: 30s}
  - scenario: OUTAGE
    targets: {recover: 30s}
  - scenario: OUTAGE
    name: outage-again
    targets: {recover: 30s}
""",
    )
    assert problems(path) == [f"{path}:8:5: scenarios[1]: provider-outage is already scenarios[0]: give one a name:"]


def test_chaos_drill_validate_prints_the_problems_and_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nname: x\nkind: full\nowner: me\nscenarios: []\n")
    done = subprocess.run(
        [sys.executable, "-m", "chaos", "drill", "validate", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert f"{path}:5:12: scenarios: " in done.stderr
    assert "Traceback" not in done.stderr
