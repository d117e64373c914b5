"""The command answers --version and validates the shipped scenario library."""

from pathlib import Path

from chaos.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_version_prints_and_exits_zero(capsys):
    assert main(["--version"]) == 0
    assert "chaos, version" in capsys.readouterr().out


def test_library_scenarios_are_valid(capsys):
    scenarios = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    assert scenarios
    assert main(["validate", *scenarios]) == 0
    assert capsys.readouterr().out.count("ok ") == len(scenarios)
