"""Synthetic multi-window burn-rate alerts, evaluated every second of the run.

A rule fires at second ``t`` when the burn rate (bad ratio / (1 - objective)) over its
long window and over its short window both exceed its factor, with at least
``min_samples`` requests in the long window; it clears at the first second that no
longer holds. The alerts show the signal is detectable; whether people detect it is for
the game day to say.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from chaos.scenario.base import Severity
from chaos.scenario.objectives import AlertRule
from chaos.slo.data import Bools, Ints
from chaos.slo.results import BurnSeries
from chaos.slo.series import Signal, burn_rate, window_counts


@dataclass(frozen=True)
class Firing:
    """One stretch during which a rule fired for one SLO (offsets, whole seconds)."""

    rule: str
    severity: Severity
    slo: str
    fired_at: float
    cleared_at: float | None  # None: still firing when the run ended


def watched(rule: AlertRule, signals: Mapping[str, object]) -> list[str]:
    """The SLOs a rule watches: those it names, or every ratio SLO."""
    return [name for name in (rule.slos or list(signals)) if name in signals]


def firing_series(rule: AlertRule, sig: Signal, objective: float, at: Ints) -> Bools:
    """Per second of ``at``: whether ``rule`` fires for this SLO."""
    good_long, counted_long = window_counts(sig, rule.long, at)
    good_short, counted_short = window_counts(sig, rule.short, at)
    return (
        (counted_long >= rule.min_samples)
        & (burn_rate(good_long, counted_long, objective) > rule.factor)
        & (burn_rate(good_short, counted_short, objective) > rule.factor)
    )


def burn_series(
    rules: Sequence[AlertRule], signals: Mapping[str, tuple[Signal, float]], seconds: int
) -> list[BurnSeries]:
    """Each rule's long-window burn rate for each SLO it watches, over seconds ``[0, seconds]``:
    the figure ``firing_series`` compares with the factor (rounded, for the journal)."""
    at = np.arange(seconds + 1, dtype=np.int64)
    found = []
    for rule in rules:
        for name in watched(rule, signals):
            sig, objective = signals[name]
            good, counted = window_counts(sig, rule.long, at)
            burn = burn_rate(good, counted, objective)
            shown = [
                round(float(value), 3) if enough and math.isfinite(value) else None
                for value, enough in zip(burn, counted >= rule.min_samples, strict=True)
            ]
            found.append(BurnSeries(rule=rule.label, severity=rule.severity, slo=name, factor=rule.factor, long=shown))
    return found


def alert_firings(
    rules: Sequence[AlertRule], signals: Mapping[str, tuple[Signal, float]], seconds: int
) -> list[Firing]:
    """Every stretch each rule fired for each SLO it watches, over seconds ``[0, seconds]``.

    ``signals`` maps an SLO's name to its signal and objective.
    """
    at = np.arange(seconds + 1, dtype=np.int64)
    firings = []
    for rule in rules:
        for name in watched(rule, signals):
            sig, objective = signals[name]
            firing = firing_series(rule, sig, objective, at)
            edges = np.diff(firing.astype(np.int8), prepend=np.int8(0))
            fired = at[edges == 1]
            cleared = at[edges == -1]
            for index, start in enumerate(fired):
                end = float(cleared[index]) if index < len(cleared) else None
                firings.append(Firing(rule.label, rule.severity, name, float(start), end))
    return sorted(firings, key=lambda firing: (firing.fired_at, firing.rule, firing.slo))
