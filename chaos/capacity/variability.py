"""How the load varies hour by hour, and the reserved/burst split that costs least under it.

**The assumption.** The load of an hour (tokens per minute at one provider) is lognormal:
its mean is the forecast's mean, and the forecast's peak, ``peak_to_mean`` times the mean,
is its ``peak_quantile`` quantile (99% by default: about 7 hours a month busier than the
peak). Lognormal because load is positive and skewed to the right, with a few busy hours
far above a typical one. With z the quantile's standard normal score, the spread sigma
solves exp(sigma z - sigma^2 / 2) = peak_to_mean: sigma = z - sqrt(z^2 - 2 ln(peak_to_mean)),
the smaller root (the larger one would put most of the mass near zero).

**The cost.** Committing R tokens per minute costs (1 - discount) x list x R for every
minute, used or not; load above R pays list price. Per minute, in list-price units:
C(R) = (1 - d) R + E[(L - R)+], with E[(L - R)+] = m Phi(d1) - R Phi(d2) for a lognormal of
mean m (d1 = (ln(m / R) + sigma^2 / 2) / sigma, d2 = d1 - sigma). C is convex, its
derivative (1 - d) - P(L > R) vanishes where P(L <= R) = d: commit the load's
``discount`` quantile (the newsvendor's critical ratio). With commitments in steps, the
best step is the cheaper of the two around it (convexity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm


def lognormal_sigma(peak_to_mean: float, peak_quantile: float) -> float:
    """The spread that puts the ``peak_quantile`` quantile at ``peak_to_mean`` x the mean;
    NaN when none does (the ratio is too high for that quantile)."""
    z = float(norm.ppf(peak_quantile))
    discriminant = z * z - 2 * math.log(peak_to_mean)
    if discriminant < 0:
        return math.nan
    return z - math.sqrt(discriminant)


@dataclass(frozen=True)
class HourlyLoad:
    """Per-hour load, lognormal with this mean and spread (see the module's assumption)."""

    mean: float
    sigma: float

    @property
    def _mu(self) -> float:
        return math.log(self.mean) - self.sigma**2 / 2

    def quantile(self, share: float) -> float:
        if self.mean <= 0:
            return 0.0
        return math.exp(self._mu + self.sigma * float(norm.ppf(share)))

    def expected_excess(self, reserved: float) -> float:
        """E[(L - reserved)+]: the mean load above the commitment (what burst serves)."""
        if self.mean <= 0:
            return 0.0
        if reserved <= 0:
            return self.mean
        d1 = (math.log(self.mean / reserved) + self.sigma**2 / 2) / self.sigma
        return self.mean * float(norm.cdf(d1)) - reserved * float(norm.cdf(d1 - self.sigma))


def expected_cost(load: HourlyLoad, reserved: float, discount: float) -> float:
    """Expected cost per minute, in list-price token units, of committing ``reserved``."""
    return (1 - discount) * reserved + load.expected_excess(reserved)


@dataclass(frozen=True)
class Split:
    reserved: float = 0.0  # tokens per minute committed
    cost: float = 0.0  # expected, per minute, in list-price token units
    all_burst_cost: float = 0.0  # the same with nothing committed: the mean load

    @property
    def saving(self) -> float:
        """Share of the all-burst cost the commitment saves."""
        return 1 - self.cost / self.all_burst_cost if self.all_burst_cost > 0 else 0.0


def best_split(load: HourlyLoad, discount: float, step: int = 1) -> Split:
    """The commitment (a multiple of ``step``) with the least expected cost."""
    all_burst = expected_cost(load, 0.0, discount)
    if load.mean <= 0 or discount <= 0:
        return Split(0.0, all_burst, all_burst)
    ideal = load.quantile(discount)
    below = math.floor(ideal / step) * step
    candidates = [below, below + step]
    cost, reserved = min((expected_cost(load, r, discount), float(r)) for r in candidates)
    return Split(reserved, cost, all_burst)
