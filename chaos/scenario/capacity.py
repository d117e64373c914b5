"""The scenario's ``capacity:`` block: the steps ``chaos capacity probe`` climbs, and the
burst it sends above the knee it finds.

    capacity:
      from: 4          # requests per second at the first step
      by: 2            # added at each step
      to: 30           # the ceiling: the last step tried
      step: 20s        # how long each step lasts
      bursts: {times: 1.5, for: 10s, base: 50%, lead: 10s, after: 20s}

Load is open-model: each step sends its rate whatever the target's latency (each user
sends a request every ``load.client_timeout``: ``chaos/capacity/plan.py`` says why).
"""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from chaos.scenario.base import Strict
from chaos.scenario.units import Duration, Percent

MAX_RATE = 10_000.0  # requests per second one machine's load can send
MAX_STEPS = 50


class ProbeBursts(Strict):
    """After the knee: ``lead`` at ``base`` x the knee's rate, then ``for`` at ``times`` x
    it, then ``after`` at the base again, where recovery is timed."""

    times: float = Field(gt=1, le=20, description="The burst's rate over the knee's, e.g. 1.5.")
    length: Duration = Field(alias="for", gt=0, description="How long the burst lasts.")
    base: Percent = Field(0.5, gt=0, description="The load around the burst, as a share of the knee's rate.")
    lead: Duration = Field(10.0, gt=0, description="Base load judged before the burst (default 10s).")
    after: Duration = Field(20.0, gt=0, description="Base load after the burst, where recovery is timed (default 20s).")


class CapacityProbe(Strict):
    start: float = Field(alias="from", gt=0, le=MAX_RATE, description="Requests per second at the first step.")
    by: float = Field(gt=0, le=MAX_RATE, description="Requests per second added at each step.")
    to: float = Field(gt=0, le=MAX_RATE, description="The ceiling: no step goes above it.")
    step: Duration = Field(20.0, gt=0, description="How long each step lasts (default 20s).")
    bursts: ProbeBursts | None = Field(None, description="A burst above the knee, once it is found (default: none).")

    @model_validator(mode="after")
    def _climbs(self) -> CapacityProbe:
        if self.to < self.start:
            raise ValueError("the ceiling (to) lies below the first step (from)")
        if (self.to - self.start) / self.by >= MAX_STEPS:  # before counting them: a tiny by is millions
            raise ValueError(f"at most {MAX_STEPS} steps: raise by, or narrow from..to")
        return self

    @property
    def rates(self) -> list[float]:
        """Each step's rate, from ``from`` by ``by`` up to ``to``."""
        count = math.floor((self.to - self.start) / self.by + 1e-9) + 1
        return [round(self.start + index * self.by, 9) for index in range(count)]
