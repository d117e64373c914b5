"""Good and counted requests over sliding windows, second by second.

A window of ``w`` seconds seen at second ``t`` holds the requests that ended in
``[t - w, t)`` plus, for SLOs that count them, the requests sent at or before ``t - w``
that had not ended by ``t``: in flight for longer than the window, they count as bad
(DESIGN.md: "Live checks count a request in flight longer than their window as bad").
The same arithmetic serves the burn-rate alerts, the response times and the live abort
check, evaluated at whole seconds; windows are whole seconds (rounded up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from chaos.slo.data import Floats, Ints, Requests
from chaos.slo.sli import Sli


@dataclass(frozen=True, eq=False)
class Signal:
    """One ratio SLO's requests, reduced to what windows need."""

    counted: Ints  # [k]: counted requests that ended in [k, k + 1)
    good: Ints  # [k]: of those, the good ones
    waiting_sent: Floats  # counted requests that may be caught in flight: when sent
    waiting_end: Floats  # and when they ended (inf: never)

    @property
    def seconds(self) -> int:
        return len(self.counted)


def whole_seconds(window: float) -> int:
    return max(1, math.ceil(window - 1e-9))


def signal(sli: Sli, requests: Requests, seconds: int) -> Signal:
    """The signal of ``requests`` (with their end times) over ``[0, seconds)``."""
    counted, good = sli.flags(requests)
    ended = ~requests.in_flight & counted
    bucket = np.clip(np.floor(requests.ended[ended]).astype(np.int64), 0, max(seconds - 1, 0))
    waiting = counted if sli.counts_in_flight else np.zeros(len(requests), dtype=np.bool_)
    return Signal(
        counted=np.bincount(bucket, minlength=seconds)[:seconds],
        good=np.bincount(bucket[good[ended]], minlength=seconds)[:seconds],
        waiting_sent=requests.sent[waiting],
        waiting_end=np.where(requests.in_flight, np.inf, requests.ended)[waiting],
    )


def window_counts(sig: Signal, window: float, at: Ints) -> tuple[Ints, Ints]:
    """``(good, counted)`` in the window of ``window`` seconds seen at each second of ``at``."""
    w = whole_seconds(window)
    total = np.concatenate([[0], np.cumsum(sig.counted)])
    good = np.concatenate([[0], np.cumsum(sig.good)])
    high = np.clip(at, 0, sig.seconds)
    low = np.clip(at - w, 0, sig.seconds)
    counted = total[high] - total[low]
    if len(sig.waiting_sent):
        # In flight at t for longer than w: due <= t (sent + w <= t) and not ended before t
        # (t < gone). Only requests still running when they fall due ever count.
        due = np.ceil(sig.waiting_sent + w)
        gone = np.floor(sig.waiting_end) + 1
        late = gone > due
        counted = counted + _at_most(due[late], at) - _at_most(gone[late], at)
    return good[high] - good[low], counted


def _at_most(values: Floats, at: Ints) -> Ints:
    """How many of ``values`` are <= each of ``at``."""
    return np.searchsorted(np.sort(values), at, side="right").astype(np.int64)


def burn_rate(good: Ints, counted: Ints, objective: float) -> Floats:
    """Bad ratio over the error budget (1 - objective); 0 with no requests."""
    bad = (counted - good).astype(np.float64)
    ratio = np.divide(bad, counted, out=np.zeros(len(bad)), where=counted > 0)
    budget = 1 - objective
    if budget <= 0:
        return np.where(ratio > 0, np.inf, 0.0)
    return ratio / budget


def breached(good: Ints, counted: Ints, objective: float) -> tuple[np.ndarray, np.ndarray]:
    """Per second: ``(within, below)`` the objective; neither when the window is empty."""
    has = counted > 0
    ratio = np.divide(good, counted, out=np.ones(len(good)), where=has)
    below = has & (ratio < objective - 1e-12)
    return has & ~below, below
