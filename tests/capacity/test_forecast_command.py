"""``chaos capacity forecast`` as a user runs it: the README's command on the shipped
example, bad input files located with exit 2, and the committed JSON Schemas current."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from chaos.capacity.inputs import forecast_schema, prices_schema
from chaos.cli.main import main
from tests.capacity.fixtures import TRAFFIC, inputs, measured_run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "capacity"
README_COMMAND = (
    "chaos capacity forecast examples/capacity/measured-run "
    "--traffic examples/capacity/traffic.yaml --prices examples/capacity/prices.yaml -o {out}"
)


def test_the_readmes_command_prices_the_shipped_example(tmp_path: Path) -> None:
    assert README_COMMAND.format(out="runs/capacity/forecast") in (ROOT / "README.md").read_text(encoding="utf-8")
    command = README_COMMAND.format(out=tmp_path / "forecast").split()
    done = subprocess.run(
        [sys.executable, "-m", "chaos", *command[1:]],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Base case: $" in done.stdout
    assert "Reserved against burst" in done.stdout
    written = json.loads((tmp_path / "forecast" / "forecast.json").read_text(encoding="utf-8"))
    assert [case["case"] for case in written["cases"]] == ["best", "base", "worst"]
    html = (tmp_path / "forecast" / "report.html").read_text(encoding="utf-8")
    assert "Token budgets per feature" in html
    assert "<svg" in html
    assert "<script" not in html
    assert (tmp_path / "forecast" / "charts" / "cost-per-case.svg").is_file()


def test_a_bad_forecast_is_located_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = measured_run(tmp_path / "run")
    bad = TRAFFIC.replace("peak_to_mean: 2", "peak_to_mean: 0.5").replace("base: 50%", "base: lots")
    traffic, prices = inputs(tmp_path, traffic=bad)
    code = main(["capacity", "forecast", str(run_dir), "--traffic", str(traffic), "--prices", str(prices)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{traffic}:3:15: peak_to_mean:" in err
    assert f"{traffic}:4:" in err
    assert "growth.base" in err
    assert "Traceback" not in err


def test_a_directory_that_is_no_run_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    traffic, prices = inputs(tmp_path)
    (tmp_path / "empty").mkdir()
    code = main(["capacity", "forecast", str(tmp_path / "empty"), "--traffic", str(traffic), "--prices", str(prices)])
    assert code == 2
    assert "is not a run directory" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("what", "file", "schema"),
    [
        ("forecast", "traffic-forecast.schema.json", forecast_schema),
        ("prices", "price-sheet.schema.json", prices_schema),
    ],
)
def test_the_committed_schemas_are_the_models_and_the_examples_validate(
    what: str, file: str, schema: Callable[[], dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["capacity", "schema", what]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == schema()
    committed = json.loads((EXAMPLE / file).read_text(encoding="utf-8"))
    assert committed == printed, f"{file} is stale: run `chaos capacity schema {what} -o examples/capacity/{file}`"
    example = EXAMPLE / ("traffic.yaml" if what == "forecast" else "prices.yaml")
    jsonschema.validate(yaml.safe_load(example.read_text(encoding="utf-8")), committed)


def test_the_measuring_scenario_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE / "measure.yaml")]) == 0
