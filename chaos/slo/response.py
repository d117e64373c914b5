"""Time to detect, to mitigate and to recover, per fault, from its actual injection.

Health is read second by second over a sliding window of ``RESPONSE_WINDOW`` seconds
(the ratio of good requests in it, requests in flight for longer counting as bad):

- detect: the first page alert firing at or after the injection, until the restore plus
  ``settle``;
- mitigate: availability (every ratio SLO when there is no availability SLO) back within
  objective while the fault is still active, and staying there until it ends;
- recover: after the restore, every ratio SLO within objective (no window below it) for
  ``settle`` seconds.

Each is a duration, ``not_needed`` when no window left the objective during the fault
(the fault's window plus ``RESPONSE_WINDOW``), or ``never`` when it did not happen within
the run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from chaos.scenario.base import Severity
from chaos.scenario.objectives import AvailabilitySlo
from chaos.segments import Window
from chaos.slo.alerts import Firing
from chaos.slo.data import Bools
from chaos.slo.results import NEVER, NOT_NEEDED, FaultResponse, ResponseTime
from chaos.slo.series import Signal, breached, window_counts
from chaos.slo.sli import Sli

RESPONSE_WINDOW = 10.0


class Health:
    """Per second ``[0, seconds]``: which SLOs' windows are within or below objective."""

    def __init__(self, slis: Mapping[str, Sli], signals: Mapping[str, Signal], seconds: int) -> None:
        self.at = np.arange(seconds + 1, dtype=np.int64)
        self.within: dict[str, Bools] = {}
        self.below: dict[str, Bools] = {}
        for name, sli in slis.items():
            good, counted = window_counts(signals[name], RESPONSE_WINDOW, self.at)
            self.within[name], self.below[name] = breached(good, counted, sli.objective)
        availability = [name for name, sli in slis.items() if isinstance(sli.slo, AvailabilitySlo)]
        self.availability = availability or list(slis)

    def any_below(self, names: Sequence[str]) -> Bools:
        below = np.zeros(len(self.at), dtype=np.bool_)
        for name in names:
            below |= self.below[name]
        return below

    def all_within(self, names: Sequence[str]) -> Bools:
        within = np.ones(len(self.at), dtype=np.bool_)
        for name in names:
            within &= self.within[name]
        return within


def fault_response(
    window: Window, restored: bool, health: Health, firings: Sequence[Firing], *, settle: float, observed_until: float
) -> FaultResponse:
    """``restored``: the fault has a restore event (else it was active until load end);
    ``observed_until``: the last offset with load."""
    start, end = window.start, window.end
    at = health.at
    affected = (at > start) & (at <= end + RESPONSE_WINDOW)
    left_objective = bool(health.any_below(list(health.below))[affected].any())
    return FaultResponse(
        fault=window.fault,
        injected_at=start,
        restored_at=end if restored else None,
        detect=_detect(window, firings, settle, left_objective),
        mitigate=_mitigate(window, health, observed_until),
        recover=_recover(window, restored, health, settle, observed_until) if left_objective else NOT_NEEDED,
    )


def _detect(window: Window, firings: Sequence[Firing], settle: float, left_objective: bool) -> ResponseTime:
    until = window.end + settle
    fired = [
        max(firing.fired_at, window.start)
        for firing in firings
        if firing.severity is Severity.PAGE
        and firing.fired_at <= until
        and (firing.cleared_at is None or firing.cleared_at > window.start)
    ]
    if fired:
        return min(fired) - window.start
    return NEVER if left_objective else NOT_NEEDED


def _mitigate(window: Window, health: Health, observed_until: float) -> ResponseTime:
    at = health.at
    active = (at > window.start) & (at <= min(window.end, observed_until))
    below = health.any_below(health.availability) & active
    if not below.any():
        return NOT_NEEDED
    first_breach = int(at[below][0])
    within = health.all_within(health.availability)
    candidates = active & (at > first_breach)
    # The start of the last stretch within objective that lasts until the fault ends.
    tail = candidates & within
    last_active = int(at[active][-1])
    if not tail.any() or not tail[last_active]:
        return NEVER
    broken = candidates & ~within
    start = int(at[broken][-1]) + 1 if broken.any() else int(at[candidates][0])
    return start - window.start


def _recover(window: Window, restored: bool, health: Health, settle: float, observed_until: float) -> ResponseTime:
    if not restored:
        return NEVER
    hold = max(0, math.ceil(settle - 1e-9))
    last = min(math.floor(observed_until), len(health.at) - 1) - hold
    starts = np.arange(math.ceil(window.end - 1e-9), last + 1)
    if len(starts) == 0:
        return NEVER
    # Seconds below objective before each second: none in [t, t + hold] means recovered at t.
    below = np.concatenate([[0], np.cumsum(health.any_below(list(health.below)))])
    clean = below[starts + hold + 1] - below[starts] == 0
    return float(starts[clean][0]) - window.start if clean.any() else NEVER
