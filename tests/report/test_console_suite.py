"""The suite's table and its exit code: the worst verdict wins, in a fixed order."""

from __future__ import annotations

import pytest
from rich.console import Console

from chaos.report.console_suite import SuiteRow, render_suite, suite_exit_code


def row(verdict: str, code: int, *what: str) -> SuiteRow:
    return SuiteRow(f"scenarios/{verdict}.yaml", verdict, code, list(what), f"runs/{verdict}-1")


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([0, 0], 0),
        ([0, 4], 4),
        ([4, 1, 0], 1),
        ([1, 2], 2),  # a scenario that could not run outranks a failure
        ([2, 3, 1], 3),  # an abort outranks everything
    ],
)
def test_the_suite_exits_with_its_worst_verdict(codes: list[int], expected: int) -> None:
    assert suite_exit_code([row("x", code) for code in codes]) == expected


def test_the_table_names_each_scenario_its_verdict_and_what_failed() -> None:
    out = Console(record=True, width=200)
    rows = [
        row("pass", 0),
        row("fail", 1, *(f"availability in segment-{i} failed: 90.00% of 100" for i in range(6))),
        row("inconclusive", 4, "ttft_p95 in baseline undecided: 100.00% of 20"),
    ]
    render_suite(rows, out)
    text = out.export_text()
    assert "scenarios/pass.yaml" in text
    assert "availability in segment-0 failed: 90.00% of 100" in text
    assert "availability in segment-3 failed" in text
    assert "availability in segment-4" not in text  # four are named, the rest counted
    assert "(and 2 more)" in text
    assert "suite: 3 scenarios (1 pass, 1 fail, 1 inconclusive) exit 1" in text
