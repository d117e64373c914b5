"""``chaos reset``: what a run left in an environment, cleared through the same APIs, and
nothing of another run's. The leftovers are put there as runs put them (``chaos.faults``
with each run's context); the checks read the environment's own APIs."""

from __future__ import annotations

from pathlib import Path

import yaml

from chaos.faults import FaultContext, live_fault
from chaos.providers.admin_client import AdminClient
from chaos.scenario.loading import load_scenario
from chaos.toxiproxy.client import ToxiproxyClient
from tests.run.conftest import StagingStack
from tests.run.harness import KILL, chaos_cli

ADMIN_TTL_S = 60.0


async def leave_faults(staging: StagingStack, run_id: str, *, faults: list[str], lease: bool) -> None:
    """Inject ``faults`` of the kill scenario as run ``run_id`` would, and walk away."""
    scenario = load_scenario(KILL).scenario
    disabled: list[str] = []
    async with AdminClient(staging.admin_url) as admin, ToxiproxyClient(staging.toxiproxy_url) as toxiproxy:
        token = (await admin.take_lease(run_id, ttl_s=ADMIN_TTL_S, proxies=[])).token if lease else None

        async def proxy_disabled(proxy: str, down: bool) -> None:
            disabled.append(proxy)
            if token is not None:
                await admin.take_lease(run_id, ttl_s=ADMIN_TTL_S, proxies=disabled, token=token)

        context = FaultContext(run_id, admin, toxiproxy, {name: name for name in scenario.providers}, proxy_disabled)
        for fault in scenario.faults:
            if fault.name in faults:
                live = live_fault(fault, context)
                await live.inject(fault.spec, ttl_s=ADMIN_TTL_S)
                assert await live.in_effect()


def reset(staging: StagingStack, *args: str) -> str:
    result = chaos_cli("reset", *args, "--toxiproxy", staging.toxiproxy_url, "--providers-admin", staging.admin_url)
    assert result.returncode == 0, result.stderr
    return result.stdout


def owners(staging: StagingStack) -> dict[str, set[str]]:
    left = staging.leftovers()
    return {
        "behaviours": {b["run"] for b in left.behaviours},
        "toxics": {name for _, name in left.toxics},
        "disabled": set(left.disabled),
    }


async def test_reset_of_one_run_clears_its_faults_its_proxies_and_its_lease_and_nothing_else(
    staging: StagingStack,
) -> None:
    await leave_faults(staging, "run-a", faults=["primary-503", "secondary-slow", "tertiary-down"], lease=True)
    await leave_faults(staging, "run-b", faults=["primary-503", "secondary-slow"], lease=False)
    before = owners(staging)
    assert before["behaviours"] == {"run-a", "run-b"}
    assert before["disabled"] == {"tertiary"}

    output = reset(staging, "--run", "run-a", "--force")
    assert "lease of run run-a broken" in output
    assert "proxies re-enabled: tertiary" in output
    left = staging.leftovers()
    assert [b["run"] for b in left.behaviours] == ["run-b"]
    assert [name for _, name in left.toxics] == ["chaos-run-b-secondary-slow"]
    assert (left.disabled, left.lease) == ([], None)

    reset(staging, "--run", "run-b")
    assert staging.leftovers().empty


async def test_reset_of_one_run_leaves_another_runs_lease_and_disabled_proxy(staging: StagingStack) -> None:
    await leave_faults(staging, "run-b", faults=["tertiary-down"], lease=True)
    await leave_faults(staging, "run-a", faults=["secondary-slow"], lease=False)

    output = reset(staging, "--run", "run-a", "--force")
    assert "lease" not in output
    left = staging.leftovers()
    assert left.toxics == [("tertiary", "chaos-run-b-tertiary-down")]  # run b's marker
    assert left.disabled == ["tertiary"]
    assert left.lease is not None
    assert (left.lease["run"], left.lease["proxies"]) == ("run-b", ["tertiary"])

    output = reset(staging, "--all")
    assert "every behaviour cleared" in output
    assert "lease of run run-b kept: it lapses by itself within" in output
    assert staging.leftovers().lease is not None  # only its token, or --force, ends a live lease
    output = reset(staging, "--all", "--force")
    assert "lease of run run-b broken" in output
    assert staging.leftovers().empty


async def test_reset_takes_its_urls_from_a_staging_scenario(staging: StagingStack, tmp_path: Path) -> None:
    await leave_faults(staging, "run-c", faults=["primary-503", "tertiary-down"], lease=False)
    data = yaml.safe_load(KILL.read_text())
    data["environment"] = "staging"
    data["target"] = {**data["target"], "url": "${CHAOS_TEST_TARGET}"}
    del data["target"]["start"]
    data["stack"] = {"toxiproxy": "${CHAOS_TEST_TOXIPROXY}", "providers_admin": "${CHAOS_TEST_PROVIDERS_ADMIN}"}
    scenario = tmp_path / "staging.yaml"
    scenario.write_text(yaml.safe_dump(data))
    result = chaos_cli("reset", "--run", "run-c", "--scenario", str(scenario), env=staging.env())
    assert result.returncode == 0, result.stderr
    assert "proxies re-enabled: tertiary" in result.stdout
    assert staging.leftovers().empty


def test_reset_needs_a_run_or_all_and_somewhere_to_reset() -> None:
    for args, message in (
        ((), "give --run RUN_ID or --all"),
        (("--run", "x", "--all"), "give --run RUN_ID or --all"),
        (("--run", "x"), "nothing to reset"),
    ):
        result = chaos_cli("reset", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr
        assert "Traceback" not in result.stderr
