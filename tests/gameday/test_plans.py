"""Plans are validated as scenarios are: every problem located (``file:line:column: path:
message``), exit code 2; the shipped plans are valid, their timeline printable, and the
JSON Schema committed beside them is the one the models give."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from chaos.cli.main import main
from chaos.errors import ScenarioError
from chaos.gameday.loading import load_plan
from chaos.gameday.schema import plan_schema
from chaos.gameday.timetable import timetable
from chaos.scenario.yamlsource import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
PLANS = sorted((ROOT / "gameday").glob("*.yaml"))
OUTAGE = ROOT / "scenarios" / "provider-outage.yaml"

HEADER = """\
version: 1
name: mini
title: Mini
objectives: [Practise]
roles:
  ic: {title: Incident commander, who: [Ann]}
severities: {SEV-1: all down, SEV-2: degraded}
"""


def write_plan(tmp_path: Path, steps: str, header: str = HEADER) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(header + steps.replace("SCENARIO", str(OUTAGE)), encoding="utf-8")
    return path


def test_the_shipped_plans_are_three_and_valid_at_full_length_and_scaled() -> None:
    assert [path.stem for path in PLANS] == ["cost-explosion", "provider-outage", "quality-regression"]
    for path in PLANS:
        for scale in (1.0, 0.4):
            loaded = load_plan(path, scale=scale)
            assert loaded.plan.severities
            assert loaded.plan.checkpoints
            assert loaded.plan.runs
            assert any(step for step in loaded.plan.steps if getattr(step, "comms", None) is not None)


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_a_shipped_plan_validates_against_the_committed_schema(path: Path) -> None:
    data, _ = parse_yaml(path.read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "gameday.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)


def test_the_committed_schema_is_the_models_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gameday", "schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == plan_schema()
    committed = json.loads((ROOT / "gameday.schema.json").read_text(encoding="utf-8"))
    assert committed == printed, "gameday.schema.json is stale: run `chaos gameday schema -o gameday.schema.json`"


def test_the_plan_command_shows_faults_and_deadlines_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gameday", "plan", str(ROOT / "gameday" / "provider-outage.yaml"), "--scale", "0.4"]) == 0
    out = capsys.readouterr().out
    assert out.index("fault primary-503 injected") < out.index("fault primary-503 restored")
    rows = timetable(load_plan(ROOT / "gameday" / "provider-outage.yaml", scale=0.4))
    declare = next(row for row in rows if "declare-severity" in row.what)
    injected = next(row for row in rows if row.what.startswith("fault primary-503 injected"))
    # 5 s of start-up, then the fault at 30 s x 0.4; the deadline is 3 minutes after it, unscaled
    assert injected.at == pytest.approx(5 + 12)
    assert declare.due == pytest.approx(5 + 12 + 180)


BAD = [
    (
        "unknown key, with a suggestion",
        "stpes:\n  - brief: hi\n",
        '8:1: stpes: unknown key "stpes" (did you mean "steps"?)',
    ),
    ("unknown step kind", "steps:\n  - brif: hi\n", "9:5: steps[0]: a step takes exactly one of: brief, run,"),
    (
        "a checkpoint after a fault no run has",
        "steps:\n  - run: {name: outage, scenario: SCENARIO, background: true}\n"
        "  - checkpoint: {id: c, role: ic, do: D, within: 3m, after: {fault: primary-500}}\n",
        "10:69: steps[1].checkpoint.after.fault: no run before this step has a fault 'primary-500' "
        "(faults: primary-503)",
    ),
    (
        "an anchor with two kinds",
        "steps:\n  - checkpoint: {id: c, role: ic, do: D, within: 3m, after: {alert: page, checkpoint: x}}\n",
        "9:61: steps[0].checkpoint.after: after: takes exactly one of fault, alert, checkpoint",
    ),
    (
        "an unknown role",
        "steps:\n  - checkpoint: {id: c, role: cto, do: D, within: 3m}\n",
        "9:31: steps[0].checkpoint.role: no role 'cto'; roles: ic",
    ),
    (
        "a deadline without a unit",
        "steps:\n  - checkpoint: {id: c, role: ic, do: D, within: 3 minutes}\n",
        '9:50: steps[0].checkpoint.within: expected a duration like 250ms, 90s or 1m30s, got "3 minutes"',
    ),
    (
        "two runs at once",
        "steps:\n  - run: {name: a, scenario: SCENARIO, background: true}\n  - run: {name: b, scenario: SCENARIO}\n",
        "10:10: steps[1].run: runs go one at a time: a is still running (wait until it)",
    ),
    (
        "waiting for a run that is not in the background",
        "steps:\n  - run: {name: a, scenario: SCENARIO}\n  - wait: {until: a}\n",
        "10:19: steps[1].wait.until: 'a' is not a background run going on",
    ),
    (
        "a missing scenario file",
        "steps:\n  - run: {name: a, scenario: nowhere.yaml}\n",
        "9:30: steps[0].run.scenario: no scenario file 'nowhere.yaml'",
    ),
    (
        "a severity asked of a plan without severities",
        "steps:\n  - checkpoint: {id: c, role: ic, do: D, within: 3m, records: [severity]}\n",
        "8:63: steps[0].checkpoint.records: asks for a severity, but the plan defines no severities",
    ),
    (
        "a webhook URL that is no reference",
        "notify:\n  - {name: hook, url: '${not a var}'}\nsteps:\n  - brief: hi\n",
        "9:23: notify[0].url: ${not a var} is not an environment variable reference",
    ),
]


@pytest.mark.parametrize(("case", "steps", "expected"), BAD, ids=[case for case, _, _ in BAD])
def test_a_bad_plan_gets_its_located_problem(tmp_path: Path, case: str, steps: str, expected: str) -> None:
    header = HEADER.replace("severities: {SEV-1: all down, SEV-2: degraded}\n", "") if "severities" in case else HEADER
    path = write_plan(tmp_path, steps, header)
    with pytest.raises(ScenarioError) as info:
        load_plan(path)
    messages = [str(problem) for problem in info.value.problems]
    assert any(message.startswith(f"{path}:{expected}") for message in messages), messages


def test_a_problem_in_a_run_s_override_is_located_at_its_line_in_the_plan(tmp_path: Path) -> None:
    path = write_plan(
        tmp_path, "steps:\n  - run:\n      name: a\n      scenario: SCENARIO\n      set: [load.userz=3]\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_plan(path)
    assert [str(p) for p in info.value.problems] == [
        f'{path}:12:13: load.userz: unknown key "userz" (did you mean "users"?)'
    ]


def test_a_comms_template_is_checked_where_it_is_written(tmp_path: Path) -> None:
    (tmp_path / "status.md.j2").write_text("Availability: {{ availability }}\nServed: {{ servd_by }}\n")
    (tmp_path / "broken.md.j2").write_text("Hello\n{% if severity %}\n")
    steps = (
        "steps:\n  - comms: {id: a, channel: status-page, template: status.md.j2}\n"
        "  - comms: {id: b, channel: internal, template: broken.md.j2}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_plan(write_plan(tmp_path, steps))
    problems = [str(p) for p in info.value.problems]
    assert problems[0].startswith(f"{tmp_path / 'status.md.j2'}:2: unknown figure 'servd_by'; one of: active_faults")
    assert problems[1].startswith(f"{tmp_path / 'broken.md.j2'}:2: not a valid Jinja2 template")


def test_an_invalid_plan_exits_2_with_the_problem_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_plan(tmp_path, "steps:\n  - brif: hi\n")
    assert main(["gameday", "plan", str(path)]) == 2
    assert f"{path}:9:5: steps[0]: a step takes exactly one of" in capsys.readouterr().err
    assert main(["gameday", "run", str(path), "--auto", "--gamedays-dir", str(tmp_path / "gd")]) == 2
    assert not (tmp_path / "gd").exists()
