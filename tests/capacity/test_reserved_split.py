"""The reserved/burst split of least expected cost, against a brute-force search over the
split whose expected cost is computed independently: the mean over 200,000 equally likely
hours (the lognormal's quantiles at (i + 0.5) / n), not the closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from chaos.capacity.variability import HourlyLoad, best_split, expected_cost, lognormal_sigma

HOURS = 200_000


def sampled_hours(load: HourlyLoad) -> np.ndarray:
    z = norm.ppf((np.arange(HOURS) + 0.5) / HOURS)
    return np.exp(math.log(load.mean) - load.sigma**2 / 2 + load.sigma * z)


def brute_force(load: HourlyLoad, discount: float, step: int) -> tuple[float, float]:
    """(commitment, cost per minute) of least mean cost over every multiple of ``step``:
    each commitment's cost is (1 - discount) x itself plus the mean of the hours' excess
    over it (summed from the sorted hours above it)."""
    hours = np.sort(sampled_hours(load))
    above = np.concatenate([np.cumsum(hours[::-1])[::-1], [0.0]])  # sum of the hours from index i on
    commits = np.arange(0, hours[-1] + step, step, dtype=np.float64)
    first_above = np.searchsorted(hours, commits, side="right")
    excess = (above[first_above] - commits * (HOURS - first_above)) / HOURS
    costs = (1 - discount) * commits + excess
    best = int(np.argmin(costs))
    return float(commits[best]), float(costs[best])


@pytest.mark.parametrize(
    ("mean", "peak_to_mean", "discount", "step"),
    [(1000.0, 3.0, 0.4, 10), (1000.0, 1.5, 0.2, 10), (5000.0, 6.0, 0.6, 50), (800.0, 2.0, 0.05, 5)],
)
def test_the_split_is_the_brute_force_searchs(mean: float, peak_to_mean: float, discount: float, step: int) -> None:
    load = HourlyLoad(mean, lognormal_sigma(peak_to_mean, 0.99))
    split = best_split(load, discount, step)
    reserved, cost = brute_force(load, discount, step)
    assert abs(split.reserved - reserved) <= step  # the sample's quantiles are the distribution's, to a hair
    assert split.cost == pytest.approx(cost, rel=1e-3)
    assert split.cost <= expected_cost(load, reserved, discount) + 1e-9


def test_the_peak_is_the_stated_quantile_and_the_mean_the_mean() -> None:
    load = HourlyLoad(1000.0, lognormal_sigma(3.0, 0.99))
    assert load.quantile(0.99) == pytest.approx(3000.0)
    assert float(sampled_hours(load).mean()) == pytest.approx(1000.0, rel=1e-3)
    assert load.expected_excess(0.0) == 1000.0  # nothing committed: every token is burst


def test_no_discount_commits_nothing_and_a_spread_too_wide_is_refused() -> None:
    load = HourlyLoad(1000.0, lognormal_sigma(3.0, 0.99))
    assert best_split(load, 0.0).reserved == 0.0
    assert math.isnan(lognormal_sigma(20.0, 0.99))  # no lognormal of mean 1 has its p99 at 20
