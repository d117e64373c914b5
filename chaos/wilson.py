"""The Wilson score interval, and how many requests it takes to decide an objective.

Every SLO is judged as a ratio of good requests: pass if the 95% interval lies at or
above the objective, fail if it lies below, inconclusive if it contains it. The verdict
(``chaos.slo``) judges by it and the plan (``chaos.scenario.plan``) estimates by it, so it
sits below both.
"""

from __future__ import annotations

import math
from enum import StrEnum

Z95 = 1.959963984540054  # two-sided 95%


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


def wilson_interval(good: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The interval for the true good ratio; ``(0, 1)`` with no data."""
    if total <= 0:
        return 0.0, 1.0
    ratio = good / total
    z2 = z * z
    centre = (ratio + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(ratio * (1 - ratio) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def judge_ratio(good: int, total: int, objective: float, z: float = Z95) -> Verdict:
    low, high = wilson_interval(good, total, z)
    if low >= objective:
        return Verdict.PASS
    if high < objective:
        return Verdict.FAIL
    return Verdict.INCONCLUSIVE


def requests_to_pass(objective: float, z: float = Z95) -> int | None:
    """The fewest requests, all good, whose interval lies at or above ``objective``.

    With every request good the lower bound is n / (n + z^2), so n >= z^2 p / (1 - p):
    765 for 99.5%, 381 for 99%, 73 for 95%. None when the objective is 100%.
    """
    if objective >= 1:
        return None
    if objective <= 0:
        return 1
    needed = math.ceil(z * z * objective / (1 - objective) - 1e-9)
    while wilson_interval(needed, needed, z)[0] < objective:  # guard the float edge
        needed += 1
    return max(needed, 1)
