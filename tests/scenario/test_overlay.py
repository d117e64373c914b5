"""A target laid over a scenario: flags and a target file become overrides, applied
before validation, located where they were written, and kept for a rebuild."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.errors import ChaosError, ScenarioError
from chaos.scenario.base import Api
from chaos.scenario.loading import load_scenario, scenario_from_text
from chaos.scenario.overlay import TargetOverlay, parse_served_by

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = ROOT / "scenarios" / "provider-outage.yaml"


def test_flags_replace_the_target_and_clear_the_url_or_start_they_displace() -> None:
    overlay = TargetOverlay(
        start="node gw.js --port {port}", api="anthropic", provider_api="openai", served_by="header:x-up"
    )
    loaded = load_scenario(OUTAGE, overlay.overrides())
    target = loaded.scenario.target
    assert target.start == ["node", "gw.js", "--port", "{port}"]
    assert target.url is None
    assert target.api is Api.ANTHROPIC
    assert (target.served_by.header, target.served_by.json_field, target.served_by.ledger) == ("x-up", None, False)
    # Every provider is served in the one format the gateway speaks; models stay.
    assert {name: p.api for name, p in loaded.scenario.providers.items()} == dict.fromkeys(
        ("primary", "secondary", "tertiary"), Api.OPENAI
    )
    assert loaded.scenario.providers["primary"].model == "claude-opus"
    # What the journal keeps: the scenario as written plus these, which read back the same.
    again = scenario_from_text(loaded.text, loaded.path, loaded.overrides)
    assert again.scenario == loaded.scenario


@pytest.mark.parametrize("api", [Api.OPENAI, Api.ANTHROPIC])
def test_a_gateway_of_one_wire_format_gets_every_provider_in_it(api: Api) -> None:
    loaded = load_scenario(OUTAGE, TargetOverlay(api=api.value, provider_api=api.value).overrides())
    assert loaded.scenario.target.api is api
    assert {p.api for p in loaded.scenario.providers.values()} == {api}
    assert [p.model for p in loaded.scenario.providers.values()] == ["claude-opus", "claude-sonnet", "gpt-4o-mini"]


def test_a_url_clears_the_start_command() -> None:
    loaded = load_scenario(OUTAGE, TargetOverlay(url="http://127.0.0.1:4000").overrides())
    assert (loaded.scenario.target.start, loaded.scenario.target.url) == (None, "http://127.0.0.1:4000")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("header:x-served-by", {"header": "x-served-by"}),
        ("json:model", {"json": "model"}),
        ("field:model", {"json": "model"}),
        ("ledger", {"ledger": True}),
    ],
)
def test_served_by_forms(spec: str, expected: dict[str, object]) -> None:
    assert parse_served_by(spec) == expected


@pytest.mark.parametrize("spec", ["header", "header:", "ledger:x", "model", ""])
def test_a_bad_served_by_names_the_flag(spec: str) -> None:
    with pytest.raises(ChaosError, match="--served-by"):
        parse_served_by(spec)


def test_a_target_file_merges_over_the_target_key_by_key(tmp_path: Path) -> None:
    file = tmp_path / "gw.yaml"
    file.write_text("target:\n  start: [./gw, --port, '{port}']\n  health: /health\n  ready_timeout: 2m\n")
    scenario = load_scenario(OUTAGE, TargetOverlay(file=file).overrides()).scenario
    assert scenario.target.start == ["./gw", "--port", "{port}"]
    assert scenario.target.health == "/health"
    assert scenario.target.ready_timeout == 120
    assert scenario.target.served_by.header == "x-served-by"  # kept from the scenario
    # Flags come after the file.
    flagged = load_scenario(OUTAGE, TargetOverlay(file=file, served_by="ledger").overrides()).scenario
    assert flagged.target.served_by.ledger


def test_problems_in_a_target_file_are_located_in_it(tmp_path: Path) -> None:
    file = tmp_path / "gw.yaml"
    file.write_text("target:\n  start: [./gw]\n  ready_timeout: 2\n  api: grpc\n")
    with pytest.raises(ScenarioError) as raised:
        load_scenario(OUTAGE, TargetOverlay(file=file).overrides())
    lines = raised.value.message.splitlines()
    assert f"{file}:3:18: target.ready_timeout: expected a duration with a unit like 2s or 2ms, got 2" in lines
    assert any(line.startswith(f"{file}:4:8: target.api: Input should be 'openai' or 'anthropic'") for line in lines)


def test_a_target_file_holds_only_the_target_and_where_it_runs(tmp_path: Path) -> None:
    file = tmp_path / "gw.yaml"
    file.write_text("target: {start: [./gw]}\nslos: {}\nstak: {}\n")
    with pytest.raises(ScenarioError) as raised:
        TargetOverlay(file=file).overrides()
    message = raised.value.message
    assert f'{file}:2:1: slos: unknown key "slos"; a target file holds environment, target, stack, safety' in message
    assert f'{file}:3:1: stak: unknown key "stak" (did you mean "stack"?)' in message


def test_a_bad_start_command_names_the_flag() -> None:
    with pytest.raises(ChaosError, match="--target-start"):
        TargetOverlay(start="node 'gw.js").overrides()
