"""The quarterly report's content over five quarters of fixture drills, and the same
report from a history rebuilt from the files alone."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from chaos.drill.quarterly import QuarterReport, Spread, quarter_report, regressed
from chaos.drill.reindex import reindex
from chaos.drill.suite import load_suite
from chaos.history.store import History
from tests.drill import five_quarters

ROOT = Path(__file__).resolve().parents[2]
SUITES = [load_suite(path) for path in sorted((ROOT / "gameday" / "drills").glob("*.yaml"))]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs_dir = tmp_path_factory.mktemp("runs")
    five_quarters.build(runs_dir)
    reindex(runs_dir, runs_dir / "history.sqlite")
    return runs_dir


def report(history: Path, quarter: str = "2026Q4") -> QuarterReport:
    with History.open(history) as store:
        return quarter_report(store, quarter, SUITES)


def test_each_scenario_of_the_quarter_has_its_results_and_spread(runs: Path) -> None:
    made = report(runs / "history.sqlite")
    assert made.quarters == five_quarters.QUARTERS
    assert made.drills == 3
    outage, storm = made.scenarios
    assert (outage.entry, outage.runs, outage.passed, outage.latest_passed) == ("provider-outage", 3, 3, True)
    assert outage.spreads["recover"] == Spread(9.0, 11.0, 12.0)
    assert outage.spreads["detect"] == Spread(0.0, 0.0, 0.0)  # not needed, in every run
    assert (storm.entry, storm.passed, storm.latest_passed) == ("rate-limit-storm", 0, False)
    assert storm.latest_missed == ("availability 98.00% (target at least 99.00%)",)
    assert storm.spreads["failed"] == Spread(20.0, 20.0, 20.0)


def test_trends_run_over_five_quarters_and_regressions_are_flagged_in_words(runs: Path) -> None:
    made = report(runs / "history.sqlite")
    trends = {(trend.entry, trend.measure): trend.medians for trend in made.trends}
    assert trends[("provider-outage", "recover")] == (4.0, 4.0, 4.0, 4.0, 11.0)
    assert trends[("latency-spike", "detect")] == (3.0, 3.0, 3.0, 3.0, None)
    assert trends[("full-blackout", "failed")] == (40.0, None, None, None, None)
    assert [(r.entry, r.sentence) for r in made.regressions] == [
        ("provider-outage", "time to recover grew from 4 s to 11 s (medians of 2026Q3 and 2026Q4)"),
        ("rate-limit-storm", "failed requests grew from 1 to 20 (medians of 2026Q3 and 2026Q4)"),
        ("rate-limit-storm", "availability fell from 99.90% to 98.00% (medians of 2026Q3 and 2026Q4)"),
        ("rate-limit-storm", "passed every run in 2026Q3, failed 3 of 3 in 2026Q4"),
    ]


def test_scenarios_due_and_not_run_include_the_never_run_and_the_annual_ones(runs: Path) -> None:
    made = report(runs / "history.sqlite")
    assert [(due.suite, due.entry, due.last_run) for due in made.due] == [
        ("quarterly-component", "latency-spike", "2026Q3"),
        ("quarterly-component", "quality-regression", None),
        ("annual-full", "full-blackout", "2025Q4"),
        ("annual-full", "cost-explosion", "2025Q4"),
    ]
    earlier = report(runs / "history.sqlite", "2026Q3")  # the full suite was still within its year then
    assert [due.entry for due in earlier.due] == ["quality-regression"]


def test_a_history_rebuilt_from_the_files_alone_gives_the_same_report(runs: Path, tmp_path: Path) -> None:
    reindex(runs, tmp_path / "again.sqlite")
    assert report(tmp_path / "again.sqlite") == report(runs / "history.sqlite")


@pytest.mark.parametrize(
    ("measure", "before", "now", "flagged"),
    [
        ("recover", 4.0, 6.0, True),  # 2 s and 50%: both thresholds met exactly
        ("recover", 4.0, 5.9, False),  # under 2 s
        ("recover", 10.0, 12.0, False),  # 2 s but 20%
        ("recover", 10.0, 12.5, True),  # 2.5 s and 25%
        ("detect", 0.0, 2.0, True),  # from not needed to 2 s
        ("mitigate", 30.0, math.inf, True),  # became never
        ("mitigate", math.inf, math.inf, False),  # never both times: not a change
        ("failed", 40.0, 50.0, True),  # 10 and 25%
        ("failed", 40.0, 49.0, False),
        ("availability", 0.999, 0.994, True),  # half a point
        ("availability", 0.999, 0.9945, False),
        ("extra_cost", 0.04, 0.05, True),  # $0.01 and 25%
        ("extra_cost", 0.04, 0.049, False),
        ("recover", 11.0, 4.0, False),  # better is never a regression
    ],
)
def test_the_regression_thresholds_at_their_edges(measure: str, before: float, now: float, flagged: bool) -> None:
    assert regressed(measure, before, now) is flagged
