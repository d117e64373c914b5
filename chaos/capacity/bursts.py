"""A burst above the knee, judged: the load it shed, the 429s the target passed on to its
users, and how long after the burst every SLO was back.

- **Shed**: of the requests sent during the burst, the share that failed or got a
  degraded answer (a gateway that sheds load on purpose answers fast, cached or 429).
- **429s passed to users**: requests the target answered 429, in the burst and after it
  (a provider's 429 the gateway passes on, rather than failing over or queueing).
- **Recovery**: from the burst's end until every ratio SLO is back within objective and
  stays there for the scenario's ``settle``, read as a fault's time to recover is
  (``chaos.slo.response``: a sliding 10 s window of good requests), the burst standing
  for the fault. ``not_needed`` if no SLO left its objective, ``never`` if not back
  before the load ended.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from chaos.capacity.measured import read_records
from chaos.capacity.plan import AFTER, BURST, ProbePlan
from chaos.capacity.steps import Figures, StepResult, judge_steps, judged_frame
from chaos.records import RequestEnded
from chaos.rundir import RunDir
from chaos.scenario.model import Scenario
from chaos.segments import Window
from chaos.slo.data import RunData
from chaos.slo.response import Health, fault_response
from chaos.slo.results import AbortDecision, ResponseTime
from chaos.slo.series import signal
from chaos.slo.sli import slis


class BurstResult(Figures):
    rate: float = Field(description="The burst's rate, requests per second.")
    base_rate: float
    start: float
    end: float
    shed: float | None = Field(description="Share of the burst's requests that failed or were degraded.")
    http_429_to_users: int = Field(description="Requests the target answered 429, from the burst's start on.")
    recovery: ResponseTime = Field(description="Seconds after the burst until every SLO was back (or a word).")
    windows: list[StepResult] = Field(description="Before, during and after the burst, each judged as a segment.")


def judge_burst(
    scenario: Scenario, data: RunData, run_dir: Path, plan: ProbePlan, *, stopped: AbortDecision | None
) -> BurstResult:
    windows = judge_steps(scenario, data, run_dir, plan, stopped=stopped)
    aborted = stopped is not None
    burst = next(w for w in plan.windows if w.name == BURST)
    after = next(w for w in plan.windows if w.name == AFTER)
    frame = judged_frame(scenario, data, plan, aborted=aborted)
    requests = frame.requests
    inside = (requests.sent >= burst.start) & (requests.sent < burst.end)
    shed = float((requests.failed | requests.degraded)[inside].mean()) if inside.any() else None
    ended = [r for r in read_records(RunDir(run_dir).records) if isinstance(r, RequestEnded)]
    passed_on = sum(r.status == 429 and r.t_sent - data.t0 >= burst.start for r in ended)
    by_name = slis(scenario)
    seconds = int(np.ceil(frame.horizon))
    health = Health(by_name, {name: signal(sli, requests, seconds + 1) for name, sli in by_name.items()}, seconds)
    response = fault_response(
        Window(BURST, burst.start, burst.end),
        True,
        health,
        [],
        settle=scenario.settle,
        observed_until=min(frame.load_end, after.end),
    )
    recovery = response.recover
    if isinstance(recovery, float | int):
        recovery = max(0.0, float(recovery) - (burst.end - burst.start))  # timed from the injection: from the end
    return BurstResult(
        rate=burst.rate,
        base_rate=after.rate,
        start=burst.start,
        end=burst.end,
        shed=shed,
        http_429_to_users=passed_on,
        recovery=recovery,
        windows=windows,
    )
