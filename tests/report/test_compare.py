"""Two runs compared: per SLO and segment, B against A, with the deltas and a regression
flag that fires on a worse verdict or on a drop the Wilson intervals can tell apart, and
not on noise; ``chaos report --compare`` exits 1 on a regression."""

from __future__ import annotations

from pathlib import Path

from chaos.journal import write_journal
from chaos.report.compare import SloPair, regressions, slo_comparison
from chaos.slo.results import SloResult
from chaos.wilson import Verdict, wilson_interval
from tests.report import journals
from tests.report.html_tree import parse, rows, tables
from tests.run.harness import chaos_cli


def availability(good: int, total: int, verdict: Verdict) -> SloResult:
    low, high = wilson_interval(good, total)
    return SloResult(
        slo="availability",
        sli="availability",
        segment="outage",
        verdict=verdict,
        objective=0.9,
        good=good,
        total=total,
        ratio=good / total,
        low=low,
        high=high,
    )


def test_a_drop_the_intervals_tell_apart_regresses_even_when_both_pass() -> None:
    """1000 of 1000 (Wilson low 99.6%) against 960 of 1000 (high 97.1%): both pass a 90%
    objective, and B is worse beyond doubt."""
    pair = SloPair(
        "availability", "outage", availability(1000, 1000, Verdict.PASS), availability(960, 1000, Verdict.PASS)
    )
    assert pair.b is not None
    assert pair.b.high is not None
    assert pair.b.high < 0.972
    assert pair.regressed
    assert not pair.improved


def test_a_drop_within_the_noise_does_not_regress() -> None:
    """300 of 300 against 299 of 300: the intervals overlap, so nothing can be said."""
    pair = SloPair("availability", "outage", availability(300, 300, Verdict.PASS), availability(299, 300, Verdict.PASS))
    assert not pair.regressed
    assert not pair.improved


def test_a_worse_verdict_regresses_and_a_better_one_improves() -> None:
    undecided, passed = availability(20, 20, Verdict.INCONCLUSIVE), availability(300, 300, Verdict.PASS)
    assert SloPair("availability", "outage", passed, undecided).regressed
    assert SloPair("availability", "outage", undecided, passed).improved


def test_a_passing_run_against_a_failing_one_lists_what_got_worse() -> None:
    assert regressions(journals.passing(), journals.failing()) == [
        "availability in outage: 100.00% of 200 -> 80.00% of 200",
        "ttft_p95 in outage: 100.00% of 200, p95 0.40s -> 80.00% of 200, p95 a failure",
        "served_by: secondary, during: outage, at_least: 90%: pass -> fail",
        "outage mitigate: not needed -> never",
    ]
    assert regressions(journals.failing(), journals.passing()) == []
    table = slo_comparison(journals.passing(), journals.failing())
    outage = next(row for row in table.rows if [c.text for c in row[:2]] == ["availability", "outage"])
    assert [c.text for c in outage[3:]] == [
        "100.00% of 200",
        "80.00% of 200",
        "-20.00 pp",
        "pass",
        "fail",
        "regression",
    ]


def test_compare_writes_the_comparison_and_exits_1_on_a_regression(tmp_path: Path) -> None:
    for name, journal in (("a", journals.passing()), ("b", journals.failing())):
        (tmp_path / name).mkdir()
        write_journal(tmp_path / name, journal)
    out = tmp_path / "out"
    result = chaos_cli("report", "--compare", str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(out))
    assert result.returncode == 1, result.stderr
    assert "regression: availability in outage: 100.00% of 200 -> 80.00% of 200" in result.stdout
    assert "4 regression(s)" in result.stdout
    assert sorted(path.name for path in out.iterdir()) == ["charts", "comparison.html", "comparison.md"]
    html = parse((out / "comparison.html").read_text(encoding="utf-8"))
    slo_rows = rows(tables(html)["SLOs by segment"])
    assert [
        "availability",
        "outage",
        ">= 95%",
        "100.00% of 200",
        "80.00% of 200",
        "-20.00 pp",
        "pass",
        "fail",
        "regression",
    ] in slo_rows
    same = chaos_cli("report", "--compare", str(tmp_path / "a"), str(tmp_path / "a"), "-o", str(out))
    assert same.returncode == 0, same.stderr
    assert "no regression" in same.stdout


def test_compare_refuses_a_run_dir_beside_it(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    write_journal(tmp_path / "a", journals.passing())
    result = chaos_cli("report", str(tmp_path / "a"), "--compare", str(tmp_path / "a"), str(tmp_path / "a"))
    assert result.returncode == 2
    assert "--compare takes its two runs alone" in result.stderr
