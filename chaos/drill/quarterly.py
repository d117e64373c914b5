"""The quarterly DR report's content, from the history and the suites: pure, no rendering.

- Per scenario (a suite entry) run in the quarter: how many drills ran it and how many
  passed, whether the latest passed and which targets it missed, and each figure's
  spread over the quarter's runs (lowest, median, highest).
- Trends: each figure's median per quarter, over the quarter and the four before it.
- Regressions, against the latest earlier quarter that ran the scenario (in words):
  a time that grew by at least 2 s and 25% or became ``never``; failed requests that
  grew by at least 10 and 25%; availability that fell by half a point or more; extra
  cost that grew by at least $0.01 and 25%; a scenario that passed every run before and
  failed one now.
- Due but not run: each entry of each suite not run within its kind's period (a
  component suite every quarter, a full suite in the last four quarters), or never.
- Action items: open ones, and closed ones with their notes.

A median is the lower median (``statistics.median_low``): always a measured value, so a
``never`` (inf) among them is shown as such rather than averaged.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chaos.drill.figures import MEASURES, TIME_MEASURES, format_figure
from chaos.drill.judge import TARGET_MEASURES
from chaos.drill.suite import SuiteFile
from chaos.history.quarters import shift
from chaos.history.store import ActionLine, History, ResultLine

TREND_QUARTERS = 5
MEASURE_WORDS = {
    "detect": "time to detect",
    "mitigate": "time to mitigate",
    "recover": "time to recover",
    "failed": "failed requests",
    "availability": "availability",
    "extra_cost": "extra cost",
}


@dataclass(frozen=True)
class Spread:
    low: float
    median: float
    high: float


@dataclass(frozen=True)
class ScenarioQuarter:
    entry: str
    suite: str
    runs: int
    passed: int
    latest_passed: bool
    latest_missed: tuple[str, ...]  # the latest run's missed targets and verdict, in words
    spreads: dict[str, Spread | None]


@dataclass(frozen=True)
class Trend:
    entry: str
    measure: str
    medians: tuple[float | None, ...]  # one per quarter of QuarterReport.quarters


@dataclass(frozen=True)
class Regression:
    entry: str
    measure: str
    since: str
    sentence: str


@dataclass(frozen=True)
class Due:
    suite: str
    kind: str
    entry: str
    last_run: str | None  # the latest quarter it ran in; None: never


@dataclass(frozen=True)
class QuarterReport:
    quarter: str
    quarters: tuple[str, ...]  # oldest first, ending with ``quarter``
    drills: int
    scenarios: tuple[ScenarioQuarter, ...]
    trends: tuple[Trend, ...]
    regressions: tuple[Regression, ...]
    due: tuple[Due, ...]
    open_actions: tuple[ActionLine, ...]
    closed_actions: tuple[ActionLine, ...]


def quarter_report(history: History, quarter: str, suites: Sequence[SuiteFile]) -> QuarterReport:
    quarters = tuple(shift(quarter, by) for by in range(1 - TREND_QUARTERS, 1))
    lines = history.results(quarters)
    by_entry: dict[str, list[ResultLine]] = {}
    for line in lines:
        if line.verdict != "not run":
            by_entry.setdefault(line.entry, []).append(line)
    scenarios = tuple(
        _scenario(entry, [line for line in runs if line.quarter == quarter])
        for entry, runs in sorted(by_entry.items())
        if any(line.quarter == quarter for line in runs)
    )
    trends = tuple(
        Trend(entry, measure, tuple(_median(runs, measure, q) for q in quarters))
        for entry, runs in sorted(by_entry.items())
        for measure in MEASURES
        if any(getattr(line, measure) is not None for line in runs)
    )
    regressions = tuple(
        found for entry, runs in sorted(by_entry.items()) for found in _regressions(entry, runs, quarters)
    )
    actions = history.actions()
    return QuarterReport(
        quarter=quarter,
        quarters=quarters,
        drills=len({line.drill_id for line in lines if line.quarter == quarter}),
        scenarios=scenarios,
        trends=trends,
        regressions=regressions,
        due=_due(history, quarter, suites),
        open_actions=tuple(action for action in actions if action.closed_at is None),
        closed_actions=tuple(action for action in actions if action.closed_at is not None),
    )


def _scenario(entry: str, runs: list[ResultLine]) -> ScenarioQuarter:
    latest = runs[-1]
    missed = [_check_sentence(check) for check in json.loads(latest.checks) if not check[4]]
    if latest.verdict != "pass":
        missed.insert(0, f"run verdict {latest.verdict}")
    spreads: dict[str, Spread | None] = {}
    for measure in MEASURES:
        values = sorted(float(v) for v in (getattr(line, measure) for line in runs) if v is not None)
        spreads[measure] = Spread(values[0], statistics.median_low(values), values[-1]) if values else None
    return ScenarioQuarter(
        entry=entry,
        suite=latest.suite,
        runs=len(runs),
        passed=sum(line.passed for line in runs),
        latest_passed=latest.passed,
        latest_missed=tuple(missed),
        spreads=spreads,
    )


def _check_sentence(check: list[object]) -> str:
    target, measure, limit, measured = str(check[0]), str(check[1]), float(str(check[2])), check[3]
    is_max = TARGET_MEASURES[target][1]
    shown = "not measured" if measured is None else format_figure(measure, float(str(measured)))
    bound = f"{limit:.3g} s" if measure in TIME_MEASURES else format_figure(measure, limit)
    return f"{MEASURE_WORDS[measure]} {shown} (target {'at most' if is_max else 'at least'} {bound})"


def _median(runs: list[ResultLine], measure: str, quarter: str) -> float | None:
    values = [float(v) for v in (getattr(line, measure) for line in runs if line.quarter == quarter) if v is not None]
    return statistics.median_low(values) if values else None


def _regressions(entry: str, runs: list[ResultLine], quarters: tuple[str, ...]) -> list[Regression]:
    now_quarter = quarters[-1]
    now_runs = [line for line in runs if line.quarter == now_quarter]
    earlier = [q for q in quarters[:-1] if any(line.quarter == q for line in runs)]
    if not now_runs or not earlier:
        return []
    since = earlier[-1]
    found = []
    for measure in MEASURES:
        before, now = _median(runs, measure, since), _median(runs, measure, now_quarter)
        if before is not None and now is not None and regressed(measure, before, now):
            verb = "fell" if measure == "availability" else "grew"
            sentence = f"{MEASURE_WORDS[measure]} {verb} from {_spell(measure, before)} to {_spell(measure, now)}"
            found.append(Regression(entry, measure, since, f"{sentence} (medians of {since} and {now_quarter})"))
    before_runs = [line for line in runs if line.quarter == since]
    failed_now = sum(not line.passed for line in now_runs)
    if all(line.passed for line in before_runs) and failed_now:
        sentence = f"passed every run in {since}, failed {failed_now} of {len(now_runs)} in {now_quarter}"
        found.append(Regression(entry, "result", since, sentence))
    return found


def regressed(measure: str, before: float, now: float) -> bool:
    """Whether a quarter's median ``now`` is a regression from ``before`` (the thresholds
    of the module's docstring)."""
    if measure in TIME_MEASURES:
        return (math.isinf(now) and not math.isinf(before)) or (now - before >= max(2.0, 0.25 * before))
    if measure == "failed":
        return now - before >= max(10.0, 0.25 * before)
    if measure == "availability":
        return before - now >= 0.005
    return now - before >= max(0.01, 0.25 * before)


def _spell(measure: str, value: float) -> str:
    if measure in TIME_MEASURES:
        return "never" if math.isinf(value) else f"{value:.3g} s"
    return format_figure(measure, value)


def _due(history: History, quarter: str, suites: Sequence[SuiteFile]) -> tuple[Due, ...]:
    last = history.last_run_quarters(quarter)
    due = []
    for suite in suites:
        window_start = shift(quarter, 1 - suite.suite.kind.every_quarters)
        for entry in suite.entries:
            ran = last.get(entry.name)
            if ran is None or ran < window_start:
                due.append(Due(suite.suite.name, suite.suite.kind.value, entry.name, ran))
    return tuple(due)


def suites_in(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml"))
