"""One run judged against its drill targets, beside its own verdict.

A target is met when its figure is at or under its maximum (times, failed requests,
extra cost) or at or above its minimum (availability); a time ``not needed`` (0) meets
every time target, ``never`` (inf) none, and a figure the run did not measure meets no
target (``not measured``). An entry passes when its run's own verdict is ``pass`` and it
meets every target; a run that never ended (no journal, or still ``running``) fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.drill.figures import TIME_MEASURES, Figures, figures_of, format_figure
from chaos.drill.suite import Targets
from chaos.drill.view import JournalView

# The target's field -> the figure it judges, whether it is a maximum, and its words.
TARGET_MEASURES: dict[str, tuple[str, bool, str]] = {
    "detect": ("detect", True, "time to detect"),
    "mitigate": ("mitigate", True, "time to mitigate"),
    "recover": ("recover", True, "time to recover"),
    "failed_requests": ("failed", True, "failed requests"),
    "availability": ("availability", False, "availability"),
    "extra_cost": ("extra_cost", True, "extra cost"),
}


@dataclass(frozen=True)
class Check:
    target: str
    measure: str
    limit: float
    measured: float | None
    met: bool

    @property
    def words(self) -> str:
        return TARGET_MEASURES[self.target][2]

    def sentence(self) -> str:
        """``time to recover 11 s, target at most 10 s: missed``."""
        bound = "at most" if TARGET_MEASURES[self.target][1] else "at least"
        measured = "not measured" if self.measured is None else format_figure(self.measure, self.measured)
        limit = f"{self.limit:.3g} s" if self.measure in TIME_MEASURES else format_figure(self.measure, self.limit)
        return f"{self.words} {measured}, target {bound} {limit}: {'met' if self.met else 'missed'}"


@dataclass(frozen=True)
class Judgement:
    verdict: str  # the run's own verdict, or "not run" / "killed"
    figures: Figures
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return self.verdict == "pass" and all(check.met for check in self.checks)

    def missed(self) -> list[Check]:
        return [check for check in self.checks if not check.met]


def judge(targets: Targets, journal: JournalView | None) -> Judgement:
    if journal is None:
        return Judgement("not run", Figures(), _checks(targets, Figures()))
    figures = figures_of(journal)
    verdict = journal.verdict or ("killed" if journal.status == "running" else journal.status)
    return Judgement(verdict, figures, _checks(targets, figures))


def _checks(targets: Targets, figures: Figures) -> tuple[Check, ...]:
    checks = []
    for target, (measure, is_max, _) in TARGET_MEASURES.items():
        limit = getattr(targets, target)
        if limit is None:
            continue
        measured = figures.get(measure)
        met = measured is not None and (measured <= limit if is_max else measured >= limit)
        checks.append(Check(target, measure, float(limit), measured, met))
    return tuple(checks)
