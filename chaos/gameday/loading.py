"""A plan file -> a validated ``PlanFile``, or every problem with its location.

Plans are read and located by the scenario's own machinery (``chaos.scenario.yamlsource``
and ``locate``): ``file:line:column: path: message``, a "did you mean" for unknown keys.
Once the plan's shape is valid, the checks that span it run: each run step's scenario
is loaded with the step's overrides (each located at its line in the plan), then
``--set`` and ``--scale``, so a problem in a scenario is located in the scenario file or
at the override; names resolve (roles, faults, earlier checkpoints, background runs);
runs go one at a time; comms templates parse and name only known figures; webhook URLs
are well-formed ``${ENV}`` references.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from chaos.envrefs import check_references
from chaos.errors import Problem, ScenarioError
from chaos.faults import unsupported_faults
from chaos.gameday.comms import check_template
from chaos.gameday.plan import (
    CheckpointStep,
    CommsStep,
    Plan,
    Record,
    RunStep,
    WaitStep,
)
from chaos.scenario.loading import ScenarioFile, load_scenario
from chaos.scenario.locate import Locator
from chaos.scenario.overlay import Override
from chaos.scenario.units import STRICT_UNITS
from chaos.scenario.yamlsource import Loc, SourceMap, parse_mapping, read_located


@dataclass(frozen=True)
class PlanFile:
    path: Path
    text: str
    plan: Plan
    scenarios: dict[str, ScenarioFile] = field(default_factory=dict)  # by run name
    overrides: tuple[str, ...] = ()
    scale: float = 1.0

    def resolve(self, relative: Path) -> Path:
        return relative if relative.is_absolute() else self.path.parent / relative


def load_plan(path: Path, overrides: Sequence[str] = (), scale: float = 1.0) -> PlanFile:
    """Read and validate a plan and every scenario it runs; raises ``ScenarioError``."""
    source = str(path)
    text = read_located(path)
    data, source_map = parse_mapping(text, source, "a game-day plan", "starts with version: 1", "version, name, ...")
    locator = Locator(source, source_map, {}, root=Plan)
    try:
        plan = Plan.model_validate(data, context=STRICT_UNITS)
    except ValidationError as exc:
        raise ScenarioError(sorted(locator.from_pydantic(data, exc.errors()), key=_order), source=source) from None
    checks = _Checks(plan, path=path, source_map=source_map, locator=locator, overrides=tuple(overrides), scale=scale)
    problems = checks.run()
    if problems:
        raise ScenarioError(problems, source=source)
    return PlanFile(path, text, plan, checks.scenarios, tuple(overrides), scale)


class _Checks:
    def __init__(
        self,
        plan: Plan,
        *,
        path: Path,
        source_map: SourceMap,
        locator: Locator,
        overrides: tuple[str, ...],
        scale: float,
    ) -> None:
        self.plan, self.path, self.source_map, self.locator = plan, path, source_map, locator
        self.overrides, self.scale = overrides, scale
        self.scenarios: dict[str, ScenarioFile] = {}
        self.problems: list[Problem] = []

    def at(self, loc: Loc, message: str) -> None:
        self.problems.append(self.locator.at(loc, message))

    def run(self) -> list[Problem]:
        plan = self.plan
        for index, hook in enumerate(plan.notify):
            try:
                check_references(hook.url)
            except ValueError as exc:
                self.at(("notify", index, "url"), str(exc))
        faults: set[str] = set()  # of the runs started so far
        checkpoints: set[str] = set()
        comms: set[str] = set()
        background: str | None = None
        runs: set[str] = set()
        for index, step in enumerate(plan.steps):
            loc: Loc = ("steps", index)
            if isinstance(step, RunStep):
                spec = step.run
                if spec.name in runs:
                    self.at((*loc, "run", "name"), f"another run step is named {spec.name!r}")
                runs.add(spec.name)
                if background is not None:
                    self.at((*loc, "run"), f"runs go one at a time: {background} is still running (wait until it)")
                faults |= self._scenario(loc, index)
                background = spec.name if spec.background else None
            elif isinstance(step, CheckpointStep):
                self._checkpoint(step, loc, faults, checkpoints)
                checkpoints.add(step.checkpoint.id)
            elif isinstance(step, CommsStep):
                if step.comms.id in comms:
                    self.at((*loc, "comms", "id"), f"another comms step is named {step.comms.id!r}")
                comms.add(step.comms.id)
                self._role(step.comms.role, (*loc, "comms", "role"))
                for problem in check_template(self._resolve(step.comms.template)):
                    self.problems.append(problem)
            elif isinstance(step, WaitStep) and step.wait.until is not None:
                if step.wait.until != background:
                    going = (
                        f"the run going on is {background}" if background else "no run is going on in the background"
                    )
                    self.at((*loc, "wait", "until"), f"{step.wait.until!r} is not a background run going on ({going})")
                else:
                    background = None
        return self.problems

    def _resolve(self, relative: Path) -> Path:
        return relative if relative.is_absolute() else self.path.parent / relative

    def _role(self, role: str | None, loc: Loc) -> None:
        if role is not None and role not in self.plan.roles:
            self.at(loc, f"no role {role!r}; roles: {', '.join(self.plan.roles)}")

    def _checkpoint(self, step: CheckpointStep, loc: Loc, faults: set[str], checkpoints: set[str]) -> None:
        checkpoint = step.checkpoint
        here = (*loc, "checkpoint")
        if checkpoint.id in checkpoints:
            self.at((*here, "id"), f"another checkpoint is named {checkpoint.id!r}")
        self._role(checkpoint.role, (*here, "role"))
        if Record.SEVERITY in checkpoint.records and not self.plan.severities:
            self.at((*here, "records"), "asks for a severity, but the plan defines no severities")
        after = checkpoint.after
        if after is not None and after.fault is not None and after.fault not in faults:
            known = ", ".join(sorted(faults)) or "none"
            self.at((*here, "after", "fault"), f"no run before this step has a fault {after.fault!r} (faults: {known})")
        if after is not None and after.checkpoint is not None and after.checkpoint not in checkpoints:
            self.at((*here, "after", "checkpoint"), f"no earlier checkpoint {after.checkpoint!r}")

    def _scenario(self, loc: Loc, index: int) -> set[str]:
        step = self.plan.steps[index]
        assert isinstance(step, RunStep)
        spec = step.run
        located = []
        for number, text in enumerate(spec.set):
            line, column = self.source_map.value_mark((*loc, "run", "set", number)) or (None, None)
            located.append(Override(text, str(self.path), line, column))
        try:
            loaded = load_scenario(self._resolve(spec.scenario), [*located, *self.overrides], self.scale)
        except ScenarioError as exc:
            if len(exc.problems) == 1 and exc.problems[0].line is None and exc.problems[0].message == "no such file":
                self.at((*loc, "run", "scenario"), f"no scenario file {str(spec.scenario)!r}")
            else:
                self.problems += exc.problems
            return set()
        for why in unsupported_faults(loaded.scenario):
            self.at((*loc, "run", "scenario"), f"cannot be run: {why}")
        self.scenarios[spec.name] = loaded
        return {fault.name for fault in loaded.scenario.faults}


def _order(problem: Problem) -> tuple[int, int, str]:
    return problem.line or 0, problem.column or 0, problem.path
