"""Each ratio SLO's error budget over a run, and when the budget policy would have fired.

The run's budget for an SLO is ``1 - objective`` times the requests it judged (over the
segments it covers); a segment's share of it is its bad requests over that budget, so
the segments add up to the run's share, the figure the game-day findings call "SLO
budget burned". The share consumed over a window is the burn rate over it
(``docs/definitions.md``, "Error budgets").

A budget rule (``chaos.scenario.budget``) is read as the burn-rate alerts are: at every
whole second ``t``, over the judged requests that ended in ``[t - window, t)``, by the
same window arithmetic (``chaos.slo.series``); it fires at the first second at which the
share consumed is at or past ``burns`` with ``min_requests`` in the window. The last
second read is the first whole second after the judged timeline's end, so a request
that timed out at the end of the stop grace (a lost end record) is read too. A window
longer than the run ends at the run's own share. Requests the stop of an abort or a
kill cut are never judged, so they spend nothing; a killed run's timeline ends at its
last record, and nothing fires on what came after it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from chaos.scenario.budget import BudgetRule
from chaos.scenario.selection import judged_in
from chaos.slo.frame import Frame
from chaos.slo.results import PolicyFiring, SegmentBudget, SloBudget, SloResult
from chaos.slo.series import burn_rate, signal, window_counts
from chaos.slo.sli import Sli, slis

# A share computed as (bad / n) / (1 - objective) lands a hair under 1 when it is exactly
# 1 (0.05 / 0.050000000000000044): a rule is reached within this tolerance.
_TOLERANCE = 1e-9


def slo_budgets(frame: Frame, results: Sequence[SloResult]) -> list[SloBudget]:
    """Every ratio SLO's budget spent per segment it judged, with its policy's firings."""
    budgets = []
    for name, sli in slis(frame.scenario).items():
        judged = [result for result in results if result.slo == name and result.total is not None]
        total = sum(result.total or 0 for result in judged)
        bad = sum((result.total or 0) - (result.good or 0) for result in judged)
        allowance = (1 - sli.objective) * total
        rules = [rule for rule in frame.scenario.budget if rule.slo == name]
        budgets.append(
            SloBudget(
                slo=name,
                objective=sli.objective,
                judged=total,
                bad=bad,
                consumed=_share(bad, allowance),
                segments=[
                    SegmentBudget(
                        segment=result.segment,
                        judged=result.total or 0,
                        bad=(result.total or 0) - (result.good or 0),
                        consumed=_share((result.total or 0) - (result.good or 0), allowance),
                    )
                    for result in judged
                ],
                policy=[_firing(frame, sli, rule) for rule in rules],
            )
        )
    return budgets


def _share(bad: int, allowance: float) -> float | None:
    return bad / allowance if allowance > 0 else None


def _firing(frame: Frame, sli: Sli, rule: BudgetRule) -> PolicyFiring:
    covered = [segment for segment in frame.segments if judged_in(sli.slo, segment)]
    last = math.floor(frame.horizon) + 1
    sig = signal(sli, frame.requests.take(frame.requests_in(covered)), last)
    at = np.arange(last + 1, dtype=np.int64)
    good, counted = window_counts(sig, rule.window, at)
    share = burn_rate(good, counted, sli.objective)
    enough = counted >= rule.min_requests
    reached = np.flatnonzero(enough & (share >= rule.burns - _TOLERANCE))
    fired_at = float(at[reached[0]]) if len(reached) else None
    return PolicyFiring(
        rule=rule.label,
        then=rule.then,
        burns=rule.burns,
        window=rule.window,
        min_requests=rule.min_requests,
        fired_at=fired_at,
        segment=_span_at(frame, fired_at) if fired_at is not None else None,
        consumed=round(float(share[reached[0]]), 6) if len(reached) else None,
        peak=round(float(share[enough].max()), 6) if enough.any() else None,
    )


def _span_at(frame: Frame, offset: float) -> str | None:
    """The span holding ``offset``: the last one for the second after the timeline's end."""
    spans = frame.timeline.spans
    inside = [span.name for span in spans if span.start <= offset < span.end]
    return inside[0] if inside else (spans[-1].name if spans else None)
