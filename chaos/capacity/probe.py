"""``chaos capacity probe``: climb the steps in one run, judge each, find the knee; then,
if the scenario asks, send a burst above it in a second run.

Each run is an ordinary run of the scenario with the probe's ``--set`` overrides
(``plan.py``), in a run directory of its own, started by the caller's ``run_one`` (the
command's, which prints and renders it as ``chaos run`` does). The probe's record is
``probe.json`` in its output folder, with its reports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import Field

from chaos.capacity.bursts import BurstResult, judge_burst
from chaos.capacity.plan import ProbePlan, burst_plan, step_plan
from chaos.capacity.steps import Figures, Knee, StepResult, find_knee, judge_steps
from chaos.errors import ChaosError
from chaos.journal import Journal, RunStatus
from chaos.scenario.capacity import CapacityProbe
from chaos.scenario.loading import ScenarioFile, load_scenario
from chaos.slo.loading import load_run
from chaos.slo.results import AbortDecision

RunOne = Callable[[ScenarioFile, Path, bool], Journal]  # (scenario, run directory, last run?) -> journal


class ProbeResult(Figures):
    scenario: str
    scenario_path: str
    probe: CapacityProbe
    every: float = Field(description="Each user's interval (the client timeout): the open-model arrivals' period.")
    runs: list[str] = Field(description="The run directories: the steps', then the burst's.")
    steps: list[StepResult]
    knee: Knee
    burst: BurstResult | None


def probe_settings(loaded: ScenarioFile, flags: dict[str, object]) -> CapacityProbe:
    """The scenario's ``capacity:`` block with the flags given over it."""
    written = loaded.scenario.capacity
    data: dict[str, object] = written.model_dump(by_alias=True, exclude_none=True) if written is not None else {}
    data.update({key: value for key, value in flags.items() if value is not None})
    missing = [key for key in ("from", "by", "to") if key not in data]
    if missing:
        raise ChaosError(
            f"{loaded.path}: the probe needs its steps: {', '.join(missing)} (the scenario has no capacity: block, "
            "or it lacks them)",
            hint="add capacity: {from: 2, by: 2, to: 20, step: 20s} to the scenario, or give --from, --by and --to",
        )
    try:
        return CapacityProbe.model_validate(data)
    except ValueError as exc:
        raise ChaosError(f"{loaded.path}: capacity: {exc}") from None


def _run(
    loaded: ScenarioFile, plan: ProbePlan, run_dir: Path, run_one: RunOne, *, last: bool
) -> tuple[Path, AbortDecision | None]:
    shaped = load_scenario(loaded.path, [*loaded.overrides, *plan.overrides], loaded.scale)
    journal = run_one(shaped, run_dir, last)
    if journal.status in (RunStatus.NOT_STARTED, RunStatus.FAILED) or journal.evaluation is None:
        raise ChaosError(f"{run_dir}: the probe's run did not run its load: {journal.reason or journal.status.value}")
    if journal.status is RunStatus.INTERRUPTED:
        raise KeyboardInterrupt
    return run_dir, journal.evaluation.aborted


def run_probe(
    loaded: ScenarioFile, probe: CapacityProbe, new_run_dir: Callable[[], Path], run_one: RunOne
) -> ProbeResult:
    scenario = loaded.scenario
    steps_plan = step_plan(scenario, probe)
    shaped = load_scenario(loaded.path, [*loaded.overrides, *steps_plan.overrides], loaded.scale).scenario
    run_dir, stopped = _run(loaded, steps_plan, new_run_dir(), run_one, last=probe.bursts is None)
    steps = judge_steps(shaped, load_run(run_dir, shaped), run_dir, steps_plan, stopped=stopped)
    knee = find_knee(steps)
    runs = [str(run_dir)]
    burst = None
    if probe.bursts is not None and knee.rate is not None:
        plan = burst_plan(scenario, probe.bursts, knee.rate)
        burst_shaped = load_scenario(loaded.path, [*loaded.overrides, *plan.overrides], loaded.scale).scenario
        burst_dir, burst_stopped = _run(loaded, plan, new_run_dir(), run_one, last=True)
        runs.append(str(burst_dir))
        burst = judge_burst(burst_shaped, load_run(burst_dir, burst_shaped), burst_dir, plan, stopped=burst_stopped)
    return ProbeResult(
        scenario=scenario.name,
        scenario_path=str(loaded.path),
        probe=probe,
        every=steps_plan.every,
        runs=runs,
        steps=steps,
        knee=knee,
        burst=burst,
    )
