"""The orchestrator's timing: how long ``chaos run`` takes beyond its load, and how late
each fault action lands against its schedule.

A short scenario (``run.yaml``: the embedded stack, the demo gateway, three faults, one of
them ramped, several actions falling on the same instant) runs through ``chaos run``
as a user runs it. From its run directory:

- wall time of the command against the scenario's load duration (target: at most the
  duration plus 15 s), split into start-up (until t = 0), the load with its stop grace,
  and the wind-down and verdict after it;
- each fault event's onset lag, ``t_actual - t_intended`` from ``events.jsonl`` (target:
  at most 100 ms), where ``t_actual`` is when the environment acknowledged the action.

The baseline beside the lags is the loop's own timer: how late ``asyncio.sleep`` wakes in
a process doing nothing else, the floor any scheduled action sits on.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from chaos.rundir import RunDir  # noqa: E402
from chaos.scenario.loading import load_scenario  # noqa: E402

SCENARIO = HERE / "run.yaml"
WALL_SLACK_S = 15.0
LAG_TARGET_S = 0.100


@dataclass(frozen=True)
class RunFigures:
    duration: float
    wall: float
    startup: float  # command start to t = 0
    load: float  # t = 0 to the load's exit (duration plus stop grace)
    after: float  # the load's exit to the command's exit: wind-down, verdict, journal
    lags: list[tuple[str, str, float]]  # (fault, action, lag in seconds)
    verdict: str


def run_once(runs_dir: Path) -> RunFigures:
    started = time.time()
    command = [sys.executable, "-m", "chaos", "run", str(SCENARIO), "--runs-dir", str(runs_dir), "--no-live"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    ended = time.time()
    (path,) = [path for path in runs_dir.iterdir() if path.is_dir()]
    run_dir = RunDir(path)
    journal = json.loads(run_dir.journal.read_text())
    if journal["t0"] is None:
        raise SystemExit(f"the run did not start (exit {done.returncode}):\n{done.stderr[-2000:]}")
    load_end = _load_end(run_dir.records)
    events = [json.loads(line) for line in run_dir.events.read_text().splitlines() if line.strip()]
    return RunFigures(
        duration=load_scenario(SCENARIO).scenario.load.duration,
        wall=ended - started,
        startup=journal["t0"] - started,
        load=load_end - journal["t0"],
        after=ended - load_end,
        lags=[(e["fault"], e["action"], e["t_actual"] - e["t_intended"]) for e in events],
        verdict=f"{journal['verdict']} (exit {done.returncode})",
    )


def _load_end(records: Path) -> float:
    """The time of the load's SUMMARY record: it wrote that as it exited."""
    last = 0.0
    for line in records.read_text().splitlines():
        if '"record":"load"' in line:
            last = max(last, float(json.loads(line)["t"]))
    return last


async def timer_lag(samples: int = 50, delay: float = 0.02) -> list[float]:
    lags = []
    for _ in range(samples):
        before = time.monotonic()
        await asyncio.sleep(delay)
        lags.append(time.monotonic() - before - delay)
    return lags


def report(rounds: int) -> bool:
    """Run the scenario ``rounds`` times; print the figures; True if both targets were met."""
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(rounds):
            figures.append(run_once(Path(tmp) / f"round{index}"))
    floor = asyncio.run(timer_lag())
    print(f"\nchaos run of {SCENARIO.relative_to(ROOT)} ({rounds} round{'s' * (rounds > 1)}, embedded stack)")
    print(f"{'round':<7}{'load':>7}{'wall':>8}{'overhead':>10}{'start-up':>10}{'load+grace':>12}{'after':>8}  verdict")
    for index, f in enumerate(figures):
        print(
            f"{index:<7}{f.duration:>6.1f}s{f.wall:>7.1f}s{f.wall - f.duration:>+9.1f}s{f.startup:>9.1f}s"
            f"{f.load:>11.1f}s{f.after:>7.1f}s  {f.verdict}"
        )
    worst_wall = max(f.wall - f.duration for f in figures)
    wall_met = worst_wall <= WALL_SLACK_S
    verdict = "met" if wall_met else "MISSED"
    print(f"target: wall <= duration + {WALL_SLACK_S:.0f}s: {verdict} (worst +{worst_wall:.1f}s)")
    lags = [lag for f in figures for _, _, lag in f.lags]
    print(f"\nfault onset lag, t_actual - t_intended ({len(lags)} events):")
    print(f"{'fault':<20}{'action':<9}" + "".join(f"{'round ' + str(i):>10}" for i in range(rounds)))
    for position, (fault, action, _) in enumerate(figures[0].lags):
        cells = "".join(
            f"{f.lags[position][2] * 1000:>8.1f}ms" if position < len(f.lags) else f"{'-':>10}" for f in figures
        )
        print(f"{fault:<20}{action:<9}{cells}")
    worst_lag = max(lags)
    print(
        f"median {statistics.median(lags) * 1000:.1f} ms, worst {worst_lag * 1000:.1f} ms; "
        f"baseline (asyncio.sleep wake-up in an idle process): median {statistics.median(floor) * 1000:.2f} ms, "
        f"worst {max(floor) * 1000:.2f} ms"
    )
    lag_met = worst_lag <= LAG_TARGET_S
    ratio = worst_lag / LAG_TARGET_S
    print(f"target: lag <= {LAG_TARGET_S * 1000:.0f} ms: {'met' if lag_met else 'MISSED'} (worst at {ratio:.2f}x)")
    return wall_met and lag_met


if __name__ == "__main__":
    sys.exit(0 if report(1 if "--smoke" in sys.argv else 3) else 1)
