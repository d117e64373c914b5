"""``{placeholders}`` in target.start and target.env: each names a value of the
environment contract, unknown ones are located errors, and the run fills them in."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.errors import ScenarioError
from chaos.scenario import contract
from chaos.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = ROOT / "scenarios" / "provider-outage.yaml"


def test_every_placeholder_names_its_contract_variable() -> None:
    scenario = load_scenario(OUTAGE).scenario
    names = contract.of_scenario(scenario)
    assert names["port"] == "CHAOS_TARGET_PORT"
    assert names["run_id"] == "CHAOS_RUN_ID"
    assert names["providers"] == "CHAOS_PROVIDERS"
    assert names["eval_set"] == "CHAOS_EVAL_SET"  # the scenario has one
    assert names["provider.primary.url"] == "CHAOS_PROVIDER_PRIMARY_URL"
    assert names["provider.tertiary.price_output"] == "CHAOS_PROVIDER_TERTIARY_PRICE_OUTPUT"


def test_fill_replaces_placeholders_and_leaves_other_braces() -> None:
    names = {"port": "CHAOS_TARGET_PORT", "provider.primary-eu.url": "CHAOS_PROVIDER_PRIMARY_EU_URL"}
    values = {"CHAOS_TARGET_PORT": "4000", "CHAOS_PROVIDER_PRIMARY_EU_URL": "http://127.0.0.1:9/v1"}
    assert contract.fill("--port={port}", names, values) == "--port=4000"
    assert contract.fill("{provider.primary-eu.url}/x", names, values) == "http://127.0.0.1:9/v1/x"
    assert contract.fill('{"port": 1} ${HOME} {PORT}', names, values) == '{"port": 1} ${HOME} {PORT}'


def test_unknown_placeholders_are_located_with_a_suggestion(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        OUTAGE.read_text().replace(
            "  start: [python, -m, chaos.demo.gateway]",
            '  start: [python, -m, chaos.demo.gateway, "{prot}"]\n  env: {UP: "{provider.primry.url}"}',
        )
    )
    with pytest.raises(ScenarioError) as raised:
        load_scenario(scenario)
    message = raised.value.message
    assert (
        f'{scenario}:15:43: target.start[3]: {{prot}} is not a value this run sets (did you mean "{{port}}"?)'
        in message
    )
    assert (
        'target.env.UP: {provider.primry.url} is not a value this run sets (did you mean "{provider.primary.url}"?)'
        in message
    )


def test_values_a_run_does_not_set_are_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    text = OUTAGE.read_text().replace("    price: {input: 15, output: 75}            # USD per 1M tokens\n", "")
    scenario.write_text(
        text.replace("  health: /healthz", '  health: /healthz\n  env: {P: "{provider.primary.price_input}"}')
    )
    with pytest.raises(ScenarioError, match=r"\{provider.primary.price_input\} is not a value this run sets"):
        load_scenario(scenario)
