"""How a started target is told where it is: placeholders in its command and its env are
filled from the environment contract, and ``${...}`` references see the contract too."""

from __future__ import annotations

from pathlib import Path

from chaos.scenario.loading import load_scenario
from chaos.scenario.overlay import TargetOverlay
from chaos.stack.endpoints import ProviderRoute, target_environment
from chaos.stack.local import started_target

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = ROOT / "scenarios" / "provider-outage.yaml"


def test_the_contract_fills_the_command_and_the_env(tmp_path: Path) -> None:
    target = tmp_path / "gw.yaml"
    target.write_text(
        "target:\n"
        "  start: [gw, --port, '{port}', --upstream, '{provider.secondary.url}', '{\"json\": 1}']\n"
        "  env: {PORT: '${CHAOS_TARGET_PORT}', FIRST: '{provider.primary.model} via ${CHAOS_PROVIDER_PRIMARY_URL}',"
        " KEY: '${GW_KEY:-none}'}\n"
    )
    scenario = load_scenario(OUTAGE, TargetOverlay(file=target).overrides()).scenario
    routes = tuple(
        ProviderRoute(name, p.api.value, p.model, name, f"http://127.0.0.1:{9000 + i}")
        for i, (name, p) in enumerate(scenario.providers.items())
    )
    contract_env = target_environment(scenario, routes, port=4321, run_id="r1", extra={})
    argv, env = started_target(scenario, contract_env, {"CHAOS_TARGET_PORT": "stale", "HOME": "/root"})
    assert argv == ["gw", "--port", "4321", "--upstream", "http://127.0.0.1:9001", '{"json": 1}']
    assert env == {"PORT": "4321", "FIRST": "claude-opus via http://127.0.0.1:9000", "KEY": "none"}
