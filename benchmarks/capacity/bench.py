"""How a capacity probe's step results depend on the step's length.

A system with a known knee: it answers every request up to ``CAPACITY`` requests a
second and fails the share above it (1 - capacity / rate), with a background failure rate
of ``BACKGROUND`` at any load. The probe climbs 4, 6, ... 20 requests a second (so the
true knee is 12) with availability at 99%, for several step lengths; each staircase is
written as a run's records (open-model arrivals: Poisson at the step's rate, from each
step's start) and judged by the probe's own code (``chaos.capacity.steps``: each step's
window after its 2 s ramp a segment, Wilson 95%). Per step length, over ``--seeds``
seeded staircases:

- the requests a judged window holds at the knee, against what 99% needs to pass with no
  failure (``chaos.wilson.requests_to_pass``: what ``chaos plan`` warns by);
- the share of the steps below the knee the probe could decide (``holding``, not
  ``undecided``);
- the knee found: how often it is the true one, and how far off it is otherwise.

No stack is started: this isolates the statistics of a step from the target's noise
(``tests/capacity/test_probe_e2e.py`` runs a real probe).

    python benchmarks/capacity/bench.py [--smoke] [--seeds N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from chaos.capacity.plan import step_plan
from chaos.capacity.steps import StepState, find_knee, judge_steps
from chaos.kinds import ErrorKind, LoadEventKind, Outcome, RequestKind
from chaos.records import LoadEvent, RequestEnded, RequestSent, dump_record
from chaos.rundir import RunDir
from chaos.scenario.capacity import CapacityProbe
from chaos.scenario.model import Scenario
from chaos.slo.loading import load_run
from chaos.wilson import requests_to_pass

CAPACITY = 12.0
BACKGROUND = 0.002
OBJECTIVE = 0.99
EVERY = 2.0  # the client timeout: each step's ramp
T0 = 1_800_000_000.0
SCENARIO = {
    "version": 1,
    "name": "bench",
    "target": {"url": "http://127.0.0.1:9"},
    "providers": {"primary": {"api": "openai", "model": "m"}},
    "load": {"users": 1, "duration": 10.0, "client_timeout": EVERY, "stop_grace": 1.0},
    "slos": {"availability": {"objective": OBJECTIVE}},
    "alerts": [],
}


def staircase(directory: Path, probe: CapacityProbe, seed: int) -> None:
    """The records of one staircase: Poisson arrivals at each step's rate, each failing
    with the background rate plus the share above the capacity."""
    rng = random.Random(seed)
    lines = [dump_record(LoadEvent(event=LoadEventKind.START, t=T0))]
    for index, rate in enumerate(probe.rates):
        t, end = index * probe.step, (index + 1) * probe.step
        failing = BACKGROUND + max(0.0, 1 - CAPACITY / rate)
        while (t := t + rng.expovariate(rate)) < end:
            request = f"s{index}-{t:.6f}"
            ok = rng.random() >= failing
            common = {"id": request, "kind": RequestKind.CHAT, "endpoint": "/v1/chat/completions", "stream": False}
            lines.append(dump_record(RequestSent(**common, t_sent=T0 + t)))
            lines.append(
                dump_record(
                    RequestEnded(
                        **common,
                        t_sent=T0 + t,
                        t_headers=T0 + t + 0.1 if ok else None,
                        t_ended=T0 + t + 0.2,
                        status=200 if ok else 503,
                        outcome=Outcome.OK if ok else Outcome.FAILED,
                        error_kind=None if ok else ErrorKind.HTTP_5XX,
                    )
                )
            )
    lines.append(dump_record(LoadEvent(event=LoadEventKind.STOP, t=T0 + len(probe.rates) * probe.step)))
    directory.mkdir(parents=True)
    RunDir(directory).records.write_text("".join(lines), encoding="utf-8")


def one_length(step: float, seeds: int, root: Path) -> dict[str, float]:
    probe = CapacityProbe.model_validate({"from": 4, "by": 2, "to": 20, "step": step})
    scenario = Scenario.model_validate({**SCENARIO, "load": {**SCENARIO["load"], "duration": step * len(probe.rates)}})
    plan = step_plan(scenario, probe)
    knees, decided, at_knee = [], [], []
    for seed in range(seeds):
        directory = root / f"step{step:g}-seed{seed}"
        staircase(directory, probe, seed)
        steps = judge_steps(scenario, load_run(directory, scenario), directory, plan, stopped=None)
        knee = find_knee(steps)
        knees.append(knee.rate if knee.rate is not None else 0.0)
        below = [s for s in steps if s.rate <= CAPACITY]
        decided.append(sum(s.state is StepState.HOLDING for s in below) / len(below))
        at_knee += [s.summary.requests for s in steps if s.rate == CAPACITY and s.summary is not None]
    return {
        "step": step,
        "window_requests": statistics.median(at_knee),
        "decided": statistics.mean(decided),
        "exact": sum(k == CAPACITY for k in knees) / len(knees),
        "within_one": sum(abs(k - CAPACITY) <= probe.by for k in knees) / len(knees),
        "low": min(knees),
        "high": max(knees),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="two step lengths, two staircases each: seconds")
    parser.add_argument("--seeds", type=int, default=20, help="staircases per step length (default 20)")
    args = parser.parse_args()
    lengths = [6.0, 20.0] if args.smoke else [4.0, 6.0, 10.0, 20.0, 40.0, 60.0]
    seeds = 2 if args.smoke else args.seeds
    needed = requests_to_pass(OBJECTIVE)
    print(f"true knee {CAPACITY:g}/s; availability {OBJECTIVE:.0%} needs {needed} requests with no failure to pass")
    print(f"{'step':>6} {'judged':>7} {'requests':>9} {'decided':>8} {'knee exact':>11} {'within 1':>9} {'range':>11}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="capacity-bench-") as temporary:
        for step in lengths:
            row = one_length(step, seeds, Path(temporary))
            print(
                f"{row['step']:>5g}s {row['step'] - EVERY:>6g}s {row['window_requests']:>9.0f} "
                f"{row['decided']:>8.0%} {row['exact']:>11.0%} {row['within_one']:>9.0%} "
                f"{row['low']:>5g}-{row['high']:<5g}"
            )
    print(f"{seeds} staircases per length, {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
