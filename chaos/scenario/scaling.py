"""A scenario played shorter (or longer): ``--scale 0.4`` scales its timeline.

What scales is every *time in the run*: the load's duration and warm-up, the until of
each stage and the period and length of bursts, each fault's offset and window, its
schedule (a ramp's period, a flap's on and off, the offsets of steps), the settle after a
restore, the windows of burn-rate alerts and of abort rules, and a change plan's start
and steps' holds. A scaled run is the same run
with every segment ``scale`` times as long, so each segment gets ``scale`` times the
requests.

What does not scale is every property of the system under test, of its providers and of
its users: latency profiles, fault delays and toxics' latencies and timeouts, quotas
(rpm, tpm) and retry-after, the client timeout and stop grace, think time and spawn
rates (so the request rate stays what it was), objectives and thresholds, and the
``within`` and ``after`` of expectations (how fast the gateway detects, fails over and
recovers is what they measure: a breaker's cool-down is no shorter in a shorter run).
``chaos plan --scale`` says what the shorter run can still decide.
"""

from __future__ import annotations

from collections.abc import Callable

from chaos.scenario.change import Change
from chaos.scenario.faults import Fault, Schedule
from chaos.scenario.model import Load, Scenario
from chaos.scenario.objectives import AbortRule, AlertRule, SloBelowRule
from chaos.scenario.traffic import Shape
from chaos.scenario.units import format_duration, parse_duration

_Scale = Callable[[float], float]


def scale_scenario(scenario: Scenario, factor: float) -> Scenario:
    """``scenario`` with every time in the run multiplied by ``factor`` (see the module)."""
    if factor == 1:
        return scenario

    def t(seconds: float) -> float:
        # Milliseconds: 30 s x 0.4 is 12 s, not 12.000000000000002.
        return round(seconds * factor, 3)

    return scenario.model_copy(
        update={
            "load": _load(scenario.load, t),
            "faults": [_fault(fault, t) for fault in scenario.faults],
            "settle": t(scenario.settle),
            "alerts": [_alert(rule, t) for rule in scenario.alerts],
            "abort": [_abort(rule, t) for rule in scenario.abort],
            "change": _change(scenario.change, t) if scenario.change is not None else None,
        }
    )


def _change(change: Change, t: _Scale) -> Change:
    """The plan's start and each step's hold scale; how often a held gate is asked again,
    the hooks' timeouts and the time to roll back (the target's own) do not."""
    steps = [step.model_copy(update={"hold": t(step.hold)}) for step in change.steps]
    return change.model_copy(update={"at": t(change.at), "steps": steps})


def _load(load: Load, t: _Scale) -> Load:
    return load.model_copy(
        update={
            "duration": t(load.duration),
            "warmup": t(load.warmup),
            "shape": _shape(load.shape, t) if load.shape is not None else None,
        }
    )


def _shape(shape: Shape, t: _Scale) -> Shape:
    stages = [stage.model_copy(update={"until": t(stage.until)}) for stage in shape.stages or []]
    bursts = shape.bursts
    if bursts is not None:
        bursts = bursts.model_copy(update={"every": t(bursts.every), "length": t(bursts.length)})
    return shape.model_copy(update={"stages": stages or None, "bursts": bursts})


def _fault(fault: Fault, t: _Scale) -> Fault:
    return fault.model_copy(
        update={
            "at": t(fault.at),
            "duration": t(fault.duration) if fault.duration is not None else None,
            "schedule": _schedule(fault.schedule, t) if fault.schedule is not None else None,
        }
    )


def _schedule(schedule: Schedule, t: _Scale) -> Schedule:
    flap = schedule.flap
    if flap is not None:
        flap = flap.model_copy(update={"on": t(flap.on), "off": t(flap.off)})
    steps = schedule.steps
    if steps is not None:
        # A step's offset is kept as the language writes it (a duration with its unit).
        steps = [{**step, "at": format_duration(t(parse_duration(step["at"])))} for step in steps]
    return schedule.model_copy(update={"every": t(schedule.every), "flap": flap, "steps": steps})


def _alert(rule: AlertRule, t: _Scale) -> AlertRule:
    return rule.model_copy(update={"long": t(rule.long), "short": t(rule.short)})


def _abort(rule: AbortRule, t: _Scale) -> AbortRule:
    if isinstance(rule, SloBelowRule):
        return rule.model_copy(update={"over": t(rule.over)})
    return rule
