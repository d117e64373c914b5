"""The intended timeline of each fault: inject, updates from its schedule, restore.

One fault becomes a list of ``FaultStep``s at offsets from the start of load, each with
the full settings (a typed spec) in force from then on. A ramp moves numeric settings
linearly every ``schedule.every``; a flap turns the fault off by setting its share of
affected requests (``rate``) or connections (``toxicity``) to 0; steps apply settings at
offsets into the window. The plan shows these; the run carries them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaos.kinds import FaultAction
from chaos.scenario.faults import Fault, FaultSpec
from chaos.scenario.units import STRICT_UNITS, parse_duration


@dataclass(frozen=True)
class FaultStep:
    offset: float
    action: FaultAction
    spec: FaultSpec
    active: bool = True  # False while a flap is in its off period


def fault_steps(fault: Fault, load_duration: float) -> list[FaultStep]:
    start, end = fault.at, fault.end(load_duration)
    spec = fault.spec
    schedule = fault.schedule
    steps = [FaultStep(start, FaultAction.INJECT, spec)]
    if schedule is not None and schedule.ramp is not None:
        steps = _ramp(spec, schedule.ramp, start, end, schedule.every)
    elif schedule is not None and schedule.flap is not None:
        steps = _flap(spec, start, end, schedule.flap.on, schedule.flap.off)
    elif schedule is not None and schedule.steps is not None:
        steps = _steps(spec, schedule.steps, start)
    return [*steps, FaultStep(end, FaultAction.RESTORE, steps[-1].spec, active=False)]


def with_settings(spec: FaultSpec, settings: dict[str, Any]) -> FaultSpec:
    """A copy of ``spec`` with ``settings`` validated in (values as YAML writes them)."""
    data = spec.model_dump(by_alias=True, exclude_none=True) | settings
    updated: FaultSpec = type(spec).model_validate(data, context=STRICT_UNITS)
    return updated


def _ramp(spec: FaultSpec, ramp: dict[str, tuple[Any, Any]], start: float, end: float, every: float) -> list[FaultStep]:
    first = with_settings(spec, {name: values[0] for name, values in ramp.items()})
    last = with_settings(spec, {name: values[1] for name, values in ramp.items()})
    steps: list[FaultStep] = []
    count = max(1, int((end - start) / every + 1e-9))
    for index in range(count):
        # The last update carries the final value; the restore follows at ``end``.
        fraction = index / (count - 1) if count > 1 else 1.0
        values = {}
        for name in ramp:
            a, b = getattr(first, name), getattr(last, name)
            value = a + (b - a) * fraction
            values[name] = round(value) if isinstance(a, int) and isinstance(b, int) else value
        action = FaultAction.INJECT if index == 0 else FaultAction.UPDATE
        steps.append(FaultStep(start + index * every, action, first.model_copy(update=values)))
    return steps


def _flap(spec: FaultSpec, start: float, end: float, on: float, off: float) -> list[FaultStep]:
    knob = "toxicity" if hasattr(spec, "toxicity") else "rate"
    quiet = spec.model_copy(update={knob: 0.0})
    steps: list[FaultStep] = []
    offset, active = start, True
    while offset < end - 1e-9:
        action = FaultAction.INJECT if not steps else FaultAction.UPDATE
        steps.append(FaultStep(offset, action, spec if active else quiet, active=active))
        offset += on if active else off
        active = not active
    return steps


def _steps(spec: FaultSpec, items: list[dict[str, Any]], start: float) -> list[FaultStep]:
    ordered = sorted(items, key=lambda item: parse_duration(item["at"]))
    current = spec
    steps: list[FaultStep] = []
    if not ordered or parse_duration(ordered[0]["at"]) > 0:
        steps.append(FaultStep(start, FaultAction.INJECT, spec))
    for item in ordered:
        current = with_settings(current, {key: value for key, value in item.items() if key != "at"})
        action = FaultAction.INJECT if not steps else FaultAction.UPDATE
        steps.append(FaultStep(start + parse_duration(item["at"]), action, current))
    return steps
