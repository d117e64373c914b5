"""What each SLO counts, and which of the requests it counts are good.

DESIGN.md, Definitions, "SLIs and verdicts": every ratio SLO is a share of good requests.

- availability: every request; good = not failed (and not degraded when ``degraded: bad``);
- latency "pN of METRIC <= max": requests of its kinds; good = not failed and METRIC <= max,
  so a failed request counts as infinitely slow and an outage can never improve it;
- eval pass rate: eval requests that got an answer; good = the answer was judged right
  (a failed eval request is an availability problem, not a quality one).

The same flags feed the verdicts, the burn-rate alerts, the response times and the live
abort check, so all of them agree on what "bad" means.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from chaos.kinds import RequestKind
from chaos.scenario.base import DegradedPolicy
from chaos.scenario.model import Scenario
from chaos.scenario.objectives import AvailabilitySlo, EvalPassRateSlo, LatencyMetric, LatencySlo, RatioSlo
from chaos.scenario.selection import counted_kinds, ratio_slos
from chaos.slo.data import EVAL_PASS, KIND_CODE, NONE, Bools, Floats, Requests


def latency_values(metric: LatencyMetric, requests: Requests) -> Floats:
    """Seconds from sending to the metric's moment; infinite for a failed request or a
    moment that never came."""
    moment = {
        LatencyMetric.TTFT: requests.first_token,
        LatencyMetric.E2E: requests.ended,
        LatencyMetric.HEADERS: requests.headers,
    }[metric]
    values = moment - requests.sent
    return np.where(requests.failed | np.isnan(values), np.inf, values)


def of_kinds(kinds: Iterable[RequestKind], requests: Requests) -> Bools:
    return np.isin(requests.kind, [KIND_CODE[kind.value] for kind in kinds])


@dataclass(frozen=True)
class Sli:
    """How one ratio SLO reads requests."""

    slo: RatioSlo
    degraded: DegradedPolicy

    @property
    def objective(self) -> float:
        return self.slo.objective

    @property
    def counts_in_flight(self) -> bool:
        """A request stuck in flight is bad for availability and latency; it has no
        answer to judge for an eval pass rate."""
        return not isinstance(self.slo, EvalPassRateSlo)

    def flags(self, requests: Requests) -> tuple[Bools, Bools]:
        """``(counted, good)`` per request; ``good`` implies ``counted``."""
        slo = self.slo
        counted = of_kinds(counted_kinds(slo), requests)
        if isinstance(slo, AvailabilitySlo):
            good = ~requests.failed
            if self.degraded is DegradedPolicy.BAD:
                good &= ~requests.degraded
        elif isinstance(slo, LatencySlo):
            good = latency_values(slo.metric, requests) <= slo.max
        else:
            counted &= requests.eval_pass != NONE
            good = requests.eval_pass == EVAL_PASS
        return counted, good & counted


def slis(scenario: Scenario) -> dict[str, Sli]:
    return {name: Sli(slo, scenario.degraded) for name, slo in ratio_slos(scenario).items()}
