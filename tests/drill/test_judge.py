"""Drill targets judged on hand-made journals, with answers computed by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from chaos.drill.figures import figures_of
from chaos.drill.judge import judge
from chaos.drill.suite import Targets
from chaos.drill.view import read_view
from chaos.journal import Journal
from tests.drill.journals import journal, write_run


def view(tmp_path: Path, made: Journal) -> object:
    return read_view(write_run(tmp_path / made.run_id, made))


def test_figures_pool_the_fault_segments_and_price_cost_against_the_baseline(tmp_path: Path) -> None:
    # baseline: 500 requests for $1.00 -> $0.002 each; the fault's 1000 requests billed $2.60:
    # $0.60 more than 1000 x $0.002.
    made = journal("r1", "outage", 1e9, detect=4.0, mitigate="not_needed", recover="never", failed=7, fault_cost=2.6)
    figures = figures_of(view(tmp_path, made))  # type: ignore[arg-type]
    assert (figures.detect, figures.mitigate, figures.recover) == (4.0, 0.0, math.inf)
    assert figures.failed == 7
    assert figures.availability == pytest.approx(0.993)
    assert figures.extra_cost == pytest.approx(0.6)


def test_a_cheaper_fallback_costs_nothing_extra(tmp_path: Path) -> None:
    made = journal("r1", "outage", 1e9, fault_cost=0.5)  # $0.0005 a request against $0.002
    assert figures_of(view(tmp_path, made)).extra_cost == 0.0  # type: ignore[arg-type]


def test_a_target_met_exactly_is_met_and_never_misses_every_time_target(tmp_path: Path) -> None:
    targets = Targets(detect=4.0, recover=30.0, availability=0.993, failed_requests=7, extra_cost=0.5)
    made = journal("r1", "outage", 1e9, detect=4.0, recover="never", failed=7, fault_cost=2.5)
    judgement = judge(targets, view(tmp_path, made))  # type: ignore[arg-type]
    assert [(check.target, check.met) for check in judgement.checks] == [
        ("detect", True),
        ("recover", False),
        ("failed_requests", True),
        ("availability", True),
        ("extra_cost", True),
    ]
    assert not judgement.passed
    assert judgement.missed()[0].sentence() == "time to recover never, target at most 30 s: missed"


def test_not_needed_meets_a_time_target_and_a_missed_one_by_a_hair_fails(tmp_path: Path) -> None:
    made = journal("r1", "outage", 1e9, detect="not_needed", mitigate=20.001, failed=0)
    judgement = judge(Targets(detect=1.0, mitigate=20.0), view(tmp_path, made))  # type: ignore[arg-type]
    assert [check.met for check in judgement.checks] == [True, False]
    assert judgement.checks[0].sentence() == "time to detect not needed, target at most 1 s: met"


def test_targets_met_by_a_failed_run_do_not_pass_it(tmp_path: Path) -> None:
    made = journal("r1", "outage", 1e9, verdict="fail")
    judgement = judge(Targets(recover=30.0), view(tmp_path, made))  # type: ignore[arg-type]
    assert judgement.checks[0].met
    assert not judgement.passed


def test_a_run_with_no_journal_measures_nothing_and_meets_no_target() -> None:
    judgement = judge(Targets(recover=30.0, availability=0.5), None)
    assert judgement.verdict == "not run"
    assert [check.measured for check in judgement.checks] == [None, None]
    assert judgement.checks[1].sentence() == "availability not measured, target at least 50.00%: missed"
