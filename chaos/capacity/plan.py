"""What a probe runs: its steps (or its burst) as ``--set`` overrides of the scenario, so
that the run is an ordinary ``chaos run`` whose journal records how it was shaped (and
``chaos report`` can rebuild it), and the windows each step is judged in.

**Open-model load.** Capacity is a question about arrivals: a closed model (users who
wait for an answer, then think) sends less when the target slows down, and hides the
knee it is looking for. Locust has no arrival-rate mode, so the probe builds one from
two of its parts: ``constant_throughput`` (``load.wait.every``: each user starts a
request every ``every`` seconds, less the time its last one took) and a
``LoadTestShape`` (``load.shape.stages``: the users of each step). With ``every`` equal to
the client timeout, no request outlives its user's interval (it is timed out first), so
each user sends exactly one request per interval whatever the target's latency: a step
of rate r runs ceil(r x every) users, spawned over one interval so that their phases
spread evenly. That first interval of each step is its ramp, not judged.

**Stopping at the knee.** For each ratio SLO the probe adds an abort rule: its good share
over the last judged stretch of a step (``step - every``) below its objective stops the
run. The run's own verdict is beside the point (its timeline is one long baseline); the
probe judges each step's window as a segment (``chaos/capacity/steps.py``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from chaos.errors import ChaosError
from chaos.scenario.base import MAX_SPAWN_RATE, MAX_USERS
from chaos.scenario.capacity import CapacityProbe, ProbeBursts
from chaos.scenario.model import Scenario
from chaos.scenario.objectives import CostSlo, MaxCostRule
from chaos.scenario.units import format_duration

BURST = "burst"
BEFORE = "before"
AFTER = "after"


@dataclass(frozen=True)
class Window:
    """A stretch judged as one segment: ``name`` from ``start`` to ``end`` (offsets), at ``rate``."""

    name: str
    start: float
    end: float
    rate: float
    users: int
    begin: float = -1.0  # where its load began, its ramp included (default: its start)

    @property
    def load_from(self) -> float:
        return self.start if self.begin < 0 else self.begin

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class ProbePlan:
    overrides: tuple[str, ...]
    windows: tuple[Window, ...]
    every: float  # each user's interval: the scenario's client timeout
    duration: float


def _users(rate: float, every: float) -> int:
    users = math.ceil(rate * every - 1e-9)
    if users > MAX_USERS:
        raise ChaosError(f"a rate of {rate:g}/s needs {users} users (one request every {every:g}s each): too many")
    return max(users, 1)


def _stage(until: float, users: int, previous: int, every: float) -> dict[str, object]:
    # New users spread over one interval; users leaving go at once.
    rate = (users - previous) / every if users > previous else max(previous - users, 1)
    return {
        "until": format_duration(until),
        "users": users,
        "spawn_rate": round(min(max(rate, 0.01), MAX_SPAWN_RATE), 6),
    }


def _ratio_aborts(scenario: Scenario, over: float) -> list[dict[str, object]]:
    """Stop once a ratio SLO's good share over the last ``over`` falls below its objective."""
    return [
        {"slo": name, "below": f"{slo.objective * 100:g}%", "over": format_duration(over)}
        for name, slo in scenario.slos.items()
        if not isinstance(slo, CostSlo)
    ]


def _common(
    scenario: Scenario, users: int, duration: float, stages: list[dict[str, object]], aborts: list[dict[str, object]]
) -> list[str]:
    every = scenario.load.client_timeout
    kept = [rule.model_dump(by_alias=True, mode="json") for rule in scenario.abort if isinstance(rule, MaxCostRule)]
    return [
        "faults=[]",
        "expect=[]",
        f"abort={json.dumps(aborts + kept)}",
        f"load.users={users}",
        f"load.duration={format_duration(duration)}",
        "load.warmup=0s",
        f"load.wait={json.dumps({'every': format_duration(every)})}",
        f"load.shape={json.dumps({'stages': stages})}",
    ]


def step_plan(scenario: Scenario, probe: CapacityProbe) -> ProbePlan:
    """The staircase: each rate of ``probe`` for ``probe.step``, its first interval a ramp."""
    every = scenario.load.client_timeout
    if probe.step < 2 * every:
        raise ChaosError(
            f"capacity.step ({format_duration(probe.step)}) must be at least twice load.client_timeout "
            f"({format_duration(every)}): each step's first client timeout is its ramp, not judged",
            hint="lengthen capacity.step, or shorten load.client_timeout",
        )
    windows, stages, previous = [], [], 0
    for index, rate in enumerate(probe.rates):
        start = index * probe.step
        users = _users(rate, every)
        stages.append(_stage(start + probe.step, users, previous, every))
        windows.append(Window(f"step-{index + 1}", start + every, start + probe.step, rate, users, start))
        previous = users
    duration = len(windows) * probe.step
    aborts = _ratio_aborts(scenario, probe.step - every)
    overrides = _common(scenario, max(w.users for w in windows), duration, stages, aborts)
    return ProbePlan(tuple(overrides), tuple(windows), every, duration)


def burst_plan(scenario: Scenario, bursts: ProbeBursts, knee_rate: float) -> ProbePlan:
    """Base load (``bursts.base`` x the knee) for ``lead``, the burst (``times`` x the knee)
    for ``for`` (its new users spread over one interval, as a step's), the base again for
    ``after``. No abort rule of the probe's: a burst is
    meant to break an SLO; how the target sheds it and comes back is the question."""
    every = scenario.load.client_timeout
    base, burst = bursts.base * knee_rate, bursts.times * knee_rate
    base_users, burst_users = _users(base, every), _users(burst, every)
    first = every + bursts.lead
    ends = [first, first + bursts.length, first + bursts.length + bursts.after]
    stages = [
        _stage(ends[0], base_users, 0, every),
        _stage(ends[1], burst_users, base_users, every),
        _stage(ends[2], base_users, burst_users, every),
    ]
    windows = (
        Window(BEFORE, every, ends[0], base, base_users),
        Window(BURST, ends[0], ends[1], burst, burst_users),
        Window(AFTER, ends[1], ends[2], base, base_users),
    )
    overrides = _common(scenario, burst_users, ends[2], stages, [])
    return ProbePlan(tuple(overrides), windows, every, ends[2])
