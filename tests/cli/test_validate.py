"""`chaos validate` as a first hour meets it: a minimal scenario passes, a broken one is
reported whole, and a problem an override caused names the override."""

import subprocess
import sys
from pathlib import Path

import pytest

from chaos.cli import main

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = str(ROOT / "tests" / "scenario" / "valid" / "minimal.yaml")
EVERY_PROBLEM = str(ROOT / "tests" / "scenario" / "invalid" / "every-problem-at-once.yaml")


def test_a_fifteen_line_scenario_for_your_own_app_validates_at_the_first_try(capsys):
    assert len(Path(MINIMAL).read_text().splitlines()) == 15
    assert main(["validate", MINIMAL]) == 0
    assert capsys.readouterr().out == f"ok {MINIMAL}: my-gateway (2 providers, 1 fault, 1 SLO)\n"
    assert main(["plan", MINIMAL]) == 0


def test_structural_and_cross_field_problems_are_reported_together():
    result = subprocess.run(
        [sys.executable, "-m", "chaos", "validate", EVERY_PROBLEM], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    for expected in (
        ":9:3: target.helth: unknown key",  # structural: a typo
        ":12:20: providers.secondary.api: Input should be",  # structural: a wrong value
        ":17:44: load.mix.eval: eval traffic needs load.eval_set",  # cross-field
        ":20:9: faults[0].at: starts at 5s, inside the warm-up",  # cross-field
        ":26:10: faults[1].for: ends at 1m10s, after the load ends",  # cross-field
        ':32:15: faults[2].provider: no provider named "tertiary"',  # a dangling name
    ):
        assert any(line.startswith(EVERY_PROBLEM + expected) for line in lines), expected
    assert lines[-1] == f"13 problems in {EVERY_PROBLEM}"
    assert "Traceback" not in result.stderr


def validate_with(capsys, *overrides: str) -> list[str]:
    argv = ["validate", *(arg for override in overrides for arg in ("--set", override)), MINIMAL]
    assert main(argv) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].endswith(f" in {MINIMAL}"), "the summary names the file, not the override"
    return lines[:-1]


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ("loadx.users=3", '--set loadx.users=3: loadx: unknown key "loadx" (did you mean "load"?)'),
        (
            "faults[0].http_error.statuss=500",
            "--set faults[0].http_error.statuss=500: faults[0].http_error.statuss: "
            'unknown key "statuss" (did you mean "status"?)',
        ),
        (
            "load.users=abc",
            "--set load.users=abc: load.users: "
            'Input should be a valid integer, unable to parse string as an integer, got "abc"',
        ),
        (
            "faults[0].at=5s",
            "--set faults[0].at=5s: faults[0].at: starts at 5s, inside the warm-up (until 12s: ramp-up plus "
            "load.warmup); faults start after a baseline is measured",
        ),
        (
            "faults[0].provider=primry",
            "--set faults[0].provider=primry: faults[0].provider: "
            'no provider named "primry" (known: fallback, primary)',
        ),
    ],
)
def test_a_problem_in_an_overridden_value_is_located_at_the_override(capsys, override, problem):
    assert validate_with(capsys, override) == [problem]


def test_an_override_that_cannot_be_set_is_named_and_the_file_summed_up(capsys):
    assert validate_with(capsys, "faults[9].at=1s", "nonsense") == [
        "--set faults[9].at=1s: faults[9].at: no item [9] to set",
        "--set: nonsense: expected PATH=VALUE, e.g. load.duration=20s",
    ]


def test_keys_missing_from_a_mapping_an_override_made_are_the_override_s(capsys):
    assert validate_with(capsys, "load.shape.bursts.every=5s") == [
        "--set load.shape.bursts.every=5s: load.shape.bursts.for: missing required key",
        "--set load.shape.bursts.every=5s: load.shape.bursts.users: missing required key",
    ]


def test_a_problem_an_override_caused_elsewhere_stays_located_and_names_the_override(capsys):
    assert validate_with(capsys, "load.duration=1m", "load.users=40") == [
        f"{MINIMAL}:13:40: faults[0].for: ends at 1m10s, after the load ends (1m); with --set load.duration=1m"
    ]
    assert validate_with(capsys, "load.mix.chat=60%") == [
        f"{MINIMAL}:11:8: load.mix: the mix must add up to 100%, it adds up to 110%; with --set load.mix.chat=60%"
    ]
    assert validate_with(capsys, "load.users=300") == [
        f"{MINIMAL}:13:30: faults[0].at: starts at 30s, inside the warm-up (until 40s: ramp-up plus load.warmup); "
        "faults start after a baseline is measured; with --set load.users=300"
    ]
