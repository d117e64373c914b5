"""``chaos observe rules-check``: which of the team's alerting rules a run can show."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import click

from chaos.errors import ChaosError, ExitCode


@click.group()
def observe() -> None:
    """The target's own telemetry: traces, logs, metrics and alerts under chaos."""


@observe.command("rules-check")
@click.argument("rules", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--scenario",
    "scenario_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The scenario whose run the rules would watch (its load, its faults).",
)
@click.option("--scale", type=click.FloatRange(0, 100, min_open=True), default=1.0, help="As chaos run --scale.")
def rules_check(rules: Path, scenario_path: Path, scale: float) -> int:
    """List the alerting rules of the Prometheus RULES file that can never fire within a
    run of the scenario: a for: that outlasts the longest fault (plus the longest range
    the expression reads) or the whole load, or a burn-rate threshold F * (1 - O) above
    what any outage reaches (F above 1 / (1 - O)). promtool checks the file first, when
    it is installed.

    Exit 0 when every rule can fire, 1 when one cannot, 2 on a bad file.
    """
    from chaos.observe.rules import read_rules, why_never
    from chaos.scenario.loading import load_scenario

    promtool = shutil.which("promtool")
    if promtool is not None:
        checked = subprocess.run(
            [promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60, check=False
        )
        if checked.returncode != 0:
            raise ChaosError(f"{rules}: promtool check rules failed:\n{(checked.stdout + checked.stderr).strip()}")
    else:
        click.echo("promtool not found: the rules' syntax is not checked", err=True)
    scenario = load_scenario(scenario_path, scale=scale).scenario
    never = 0
    for rule in read_rules(rules):
        why = why_never(rule, scenario)
        never += why is not None
        verdict = f"can never fire: {why}" if why else "can fire"
        click.echo(f"{rule.group}/{rule.alert}: {verdict}")
    return int(ExitCode.FAIL if never else ExitCode.PASS)


COMMANDS = (observe,)
