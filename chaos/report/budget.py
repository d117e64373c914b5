"""The error budget as the reports show it: each SLO's budget spent per segment, and
whether and when each rule of the budget policy would have fired.

Read from the journal's ``evaluation.budgets`` (``chaos.slo.budget`` computed them); the
run page and the console both take their words from here.
"""

from __future__ import annotations

from chaos.errors import quote
from chaos.journal import Journal
from chaos.report import figures as fig
from chaos.report.view import Cell, Table, table
from chaos.slo.results import Evaluation, PolicyFiring

SPENT_NOTE = (
    "An SLO's error budget for the run is (1 - objective) x the requests it judged; each segment's share is its bad "
    "requests over that budget, so the segments add up to the run's. Over 100%: the run alone spent more than its "
    "budget. Requests cut by an abort's or a kill's stop are not judged and spend nothing."
)
POLICY_NOTE = (
    "Each rule of the scenario's budget: is read each second over the judged requests that ended in its trailing "
    "window, as the burn-rate alerts are; it would have fired at the first second the window had spent at least its "
    "share of the window's budget with enough requests in it. The run acts on none of them."
)


def spent_table(evaluation: Evaluation) -> Table:
    return table(
        "Error budget spent, by segment",
        ("SLO", "objective", "segment", "judged", "bad", "budget spent"),
        (
            (
                budget.slo,
                fig.percent(budget.objective, 2),
                segment,
                fig.count(judged),
                fig.count(bad),
                fig.percent(share),
            )
            for budget in evaluation.budgets
            for segment, judged, bad, share in (
                *((s.segment, s.judged, s.bad, s.consumed) for s in budget.segments),
                ("whole run", budget.judged, budget.bad, budget.consumed),
            )
        ),
        note=SPENT_NOTE,
    )


def policy_table(evaluation: Evaluation) -> Table | None:
    """The budget policy's rules and what each did in the run; None without a policy."""
    firings = [(budget.slo, firing) for budget in evaluation.budgets for firing in budget.policy]
    if not firings:
        return None
    return table(
        "Budget policy: would it have fired?",
        ("rule", "then", "would have fired", "spent then", "peak"),
        (
            (
                Cell(firing.rule, code=True),
                firing.then.value,
                fired(firing),
                fig.percent(firing.consumed),
                fig.percent(firing.peak),
            )
            for _, firing in firings
        ),
        note=POLICY_NOTE,
    )


def fired(firing: PolicyFiring) -> str:
    """``at t+33.0s (in outage)``, ``no``, or why it was never decided."""
    if firing.fired_at is not None:
        return f"at {fig.offset(firing.fired_at)} (in {firing.segment})"
    if firing.peak is None:
        return f"never decided: the window never held {firing.min_requests} requests"
    return "no"


def policy_lines(evaluation: Evaluation) -> list[str]:
    """One line a rule, for the console."""
    lines = []
    for budget in evaluation.budgets:
        for firing in budget.policy:
            what = fired(firing)
            if firing.fired_at is not None:
                what = f"would have fired {what}, {fig.percent(firing.consumed)} of the window's budget spent"
            elif firing.peak is not None:
                what = f"would not have fired (peak {fig.percent(firing.peak)})"
            lines.append(f"budget policy: {firing.rule}: {what}")
    return lines


def freeze_override(journal: Journal) -> str:
    """``"hotfix 1234" (the history said: ...)``: why the run started despite a freeze."""
    override = journal.freeze_override
    if override is None:
        return ""
    said = "; ".join(override.exhausted) if override.exhausted else "no freeze rule was reached"
    return f"{quote(override.reason)} (the history said: {said})"
