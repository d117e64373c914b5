"""A budget freeze: does the recorded history say a ``freeze`` rule's budget is spent?

"The history says a budget is exhausted" means, for each ``freeze`` rule of the
scenario's budget policy (``chaos.scenario.budget``): over the runs the history indexes
of the same scenario (by name) that started inside the rule's window before now
(``now - window < started_at <= now``), whatever their verdict or status (an aborted,
interrupted or rebuilt run's judged requests were real traffic), the bad requests of the
rule's SLO over its error budget, ``(1 - objective) x`` the requests those runs judged,
is at or past the rule's ``burns`` (100% by default: exhausted), with at least
``min_requests`` judged. The objective is the scenario's own, as it is now. A run's
requests are those its verdict judged (``SloBudget``, the segments the SLO covers); a
run indexed before the history kept budgets counts nothing until ``chaos drill reindex``.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.history.store import History, WindowBudget
from chaos.scenario.budget import BudgetAction, BudgetRule, format_window
from chaos.scenario.model import Scenario
from chaos.scenario.selection import ratio_slos
from chaos.scenario.units import format_percent

# (bad / judged) / (1 - objective) lands a hair under the threshold when it is exactly
# on it: the same tolerance as the verdict's (``chaos.slo.budget``).
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Exhausted:
    """A freeze rule the history says is reached."""

    rule: BudgetRule
    scenario: str
    objective: float
    spent: WindowBudget
    since: float

    @property
    def consumed(self) -> float:
        return self.spent.bad / ((1 - self.objective) * self.spent.judged)

    def describe(self) -> str:
        rule, spent = self.rule, self.spent
        runs = f"{spent.runs} run{'s' if spent.runs != 1 else ''}"
        return (
            f"{rule.slo} has spent {self.consumed * 100:.1f}% of its error budget over the last "
            f"{format_window(rule.window)} ({spent.bad} bad of {spent.judged} requests judged in {runs} of "
            f'"{self.scenario}"; objective {format_percent(self.objective)}, the freeze rule is at '
            f"{format_percent(rule.burns)})"
        )


def exhausted_budgets(history: History, scenario: Scenario, now: float) -> list[Exhausted]:
    """Every freeze rule of ``scenario`` that the history says is reached at ``now``."""
    found = []
    slos = ratio_slos(scenario)
    for rule in scenario.budget:
        slo = slos.get(rule.slo)
        if rule.then is not BudgetAction.FREEZE or slo is None or slo.objective >= 1:
            continue
        objective = slo.objective
        since = now - rule.window
        spent = history.budget_spent(scenario.name, rule.slo, since, now)
        if spent.judged < rule.min_requests:
            continue
        if spent.bad / ((1 - objective) * spent.judged) >= rule.burns - _TOLERANCE:
            found.append(Exhausted(rule, scenario.name, objective, spent, since))
    return found
