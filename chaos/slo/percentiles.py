"""Exact percentiles by nearest rank, from raw values (never from bucketed statistics).

The p-th percentile of n values is the value at rank ceil(p / 100 * n) in ascending
order. A failed request is infinitely slow, so a percentile that lands on one is
infinite: reported as None beside the success-only percentile, which is finite.
"""

from __future__ import annotations

import math

import numpy as np

from chaos.slo.data import Floats


def nearest_rank(values: Floats, percentile: float) -> float | None:
    """The nearest-rank percentile of ``values``; None with no values."""
    n = len(values)
    if n == 0:
        return None
    rank = min(n, max(1, math.ceil(percentile / 100 * n - 1e-9)))
    return float(np.partition(values, rank - 1)[rank - 1])


def reported(value: float | None) -> float | None:
    """A percentile as the results carry it: None when infinite (it lands on a failure)."""
    return value if value is not None and math.isfinite(value) else None
