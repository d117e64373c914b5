"""validate / plan / schema as a user sees them: exit codes, located messages, JSON."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chaos.cli import main
from chaos.scenario.loading import load_scenario
from chaos.scenario.plan import build_plan
from chaos.scenario.schema import scenario_schema
from chaos.scenario.units import format_duration

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = str(ROOT / "scenarios" / "provider-outage.yaml")
INVALID = ROOT / "tests" / "scenario" / "invalid"


def test_validate_reports_every_problem_located_and_exits_2(capsys):
    path = str(INVALID / "windows-and-schedules.yaml")
    assert main(["validate", path]) == 2
    err = capsys.readouterr().err
    assert f"{path}:11:9: faults[0].at: starts at 5s, inside the warm-up" in err
    assert f"{path}:39:15: faults[5].schedule: the down toxic has no setting" in err
    assert err.rstrip().endswith(f"9 problems in {path}")
    assert "Traceback" not in err


def test_validate_json_lists_files_and_problems(capsys):
    assert main(["validate", "--json", OUTAGE, str(INVALID / "empty.yaml")]) == 2
    document = json.loads(capsys.readouterr().out)
    first, second = document["files"]
    assert first == {"path": OUTAGE, "valid": True, "problems": []}
    assert second["valid"] is False
    assert second["problems"][0]["message"].startswith("the file is empty")


def test_set_overrides_a_value_before_validation(capsys):
    assert main(["validate", "--set", "faults[0].at=5s", OUTAGE]) == 2
    err = capsys.readouterr().err
    assert "--set faults[0].at=5s: faults[0].at: starts at 5s, inside the warm-up" in err
    assert main(["validate", "--set", "load.duration=70s", "--set", "load.users=40", OUTAGE]) == 0


@pytest.mark.parametrize(
    ("override", "message"), [("nonsense", "expected PATH=VALUE"), ("faults[9].at=1s", "no item [9]")]
)
def test_bad_set_is_a_located_error(capsys, override, message):
    assert main(["validate", "--set", override, OUTAGE]) == 2
    assert message in capsys.readouterr().err


def tables(out: str) -> dict[str, list[list[str]]]:
    """The console's tables by the first word of their title: each row's cells, in order."""
    found: dict[str, list[list[str]]] = {}
    title = None
    for line in out.splitlines():
        if line.startswith("│") and title is not None:
            found[title].append([cell.strip() for cell in line.strip().strip("│").split("│")])
        elif line.strip() and line[0] not in "┏┃┡└":
            title = line.split()[0]
            found[title] = []
    return found


def test_plan_prints_the_timeline_the_segments_and_what_cannot_be_decided(capsys):
    assert main(["plan", "--set", "load.users=10", OUTAGE]) == 0  # too few users to decide 99.5%
    out = capsys.readouterr().out
    plan = build_plan(load_scenario(Path(OUTAGE), ["load.users=10"]).scenario)
    shown = tables(out)
    assert [row[:4] for row in shown["Timeline"]] == [
        [format_duration(span.start), format_duration(span.end), span.name, "yes" if span.judged else "no"]
        for span in plan.spans
    ]
    assert [span.name for span in plan.spans] == ["warmup", "baseline", "primary-503", "settle", "recovery", "grace"]
    assert [row[0] for row in shown["Segments"]] == ["baseline", "primary-503", "recovery"]
    undecidable = [(row[0], row[1]) for row in shown["Can"] if row[-1] == "cannot pass"]
    assert ("availability", "primary-503") in undecidable
    assert undecidable == [(need.slo, need.segment) for need in plan.needs if not need.decidable]
    warnings = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert [warning.split(":")[1].strip() for warning in warnings[: len(undecidable)]] == [
        f"{slo} in {segment}" for slo, segment in undecidable
    ]
    assert ["page 14.4x 30s/5s", "availability, ttft_p95, e2e_p99", "ok"] in shown["Burn-rate"]


def test_plan_json_is_machine_readable(capsys):
    assert main(["plan", "--json", "--set", "load.users=10", OUTAGE]) == 0  # too few users to decide 99%
    plan = json.loads(capsys.readouterr().out)
    assert [segment["name"] for segment in plan["segments"]] == ["baseline", "primary-503", "recovery"]
    assert plan["faults"][0]["steps"][0] == {
        "offset": 30.0,
        "action": "inject",
        "settings": {"rate": "100%", "status": 503},
        "active": True,
    }
    assert any("99% needs 381" in warning for warning in plan["warnings"])


def test_plan_of_an_invalid_file_exits_2(capsys):
    assert main(["plan", str(INVALID / "types.yaml")]) == 2
    assert "types.yaml:22:11: load.warmup" in capsys.readouterr().err


def test_schema_matches_the_committed_file(capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == scenario_schema()
    committed = json.loads((ROOT / "scenario.schema.json").read_text(encoding="utf-8"))
    assert committed == printed, "scenario.schema.json is stale: run `chaos schema -o scenario.schema.json`"


def test_schema_output_file(tmp_path):
    out = tmp_path / "s.json"
    assert main(["schema", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["title"] == "chaos scenario"


@pytest.mark.parametrize("command", [[], ["validate"], ["plan"], ["schema"]])
def test_help_everywhere(capsys, command):
    assert main([*command, "--help"]) == 0
    assert "Usage: chaos" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "No such command 'nope'"),
        (["validate"], "Missing argument"),
        (["plan", "--bogus", OUTAGE], "No such option"),
    ],
)
def test_usage_errors_exit_2(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_missing_file_is_a_located_error(capsys, tmp_path):
    assert main(["validate", str(tmp_path / "none.yaml")]) == 2
    assert f"{tmp_path / 'none.yaml'}: no such file" in capsys.readouterr().err


def test_cli_import_and_validate_load_no_locust_gevent_server_or_report_renderer():
    code = (
        "import sys; from chaos.cli import main; "
        f"assert main(['validate', {OUTAGE!r}]) == 0; assert main(['plan', {OUTAGE!r}]) == 0; "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'locust', 'gevent', 'geventhttpclient', 'aiohttp', 'uvloop', 'numpy', 'matplotlib', 'jinja2'} "
        "or m.startswith(('chaos.providers', 'chaos.toxiproxy', 'chaos.load'))); "
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def run_chaos(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaos", *args], capture_output=True, text=True, check=False)


def test_console_script_exit_codes_through_a_real_process():
    ok = run_chaos("validate", OUTAGE)
    assert (ok.returncode, ok.stderr) == (0, "")
    bad = run_chaos("validate", str(INVALID / "types.yaml"))
    assert bad.returncode == 2
    assert "types.yaml:15:5: target.served_by.jsn" in bad.stderr
    assert "Traceback" not in bad.stderr
