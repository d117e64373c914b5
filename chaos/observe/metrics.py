"""The target's own metrics against what the run did.

A series is the sum, at each scrape, of the samples of one metric whose labels include
the expectation's ``labels``, 0 at a scrape without any (a labelled counter is exported
from its first increment on). Its value at an offset is that of the last scrape at or
before it (the first scrape's before any).

- ``increases_during: F``: the series rose between F's actual injection and its restore
  plus one scrape interval and a second (a counter is scraped up to an interval late,
  and the request that moves it may end a moment after the restore).
- ``agrees_with_load: 5%``: the series rose, from the first scrape (before the load
  started) to the last (after it stopped), by the number of requests the target
  answered, within that share of it.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

from chaos.observe.results import Figures, result
from chaos.observe.scrape import MetricSample
from chaos.scenario.observe import MetricChecks, SeriesExpectation
from chaos.scenario.units import format_percent
from chaos.slo.results import ExpectationResult
from chaos.wilson import Verdict

LATE_S = 1.0  # beyond one scrape interval: the last request a fault moved may end after its restore


class Series:
    """One metric's total over the labels selected, at each scrape (offsets ascending)."""

    def __init__(self, samples: Sequence[MetricSample], expectation: SeriesExpectation, t0: float) -> None:
        totals: dict[float, float] = dict.fromkeys(sorted({sample.t for sample in samples}), 0.0)
        self.seen = False
        for sample in samples:
            if sample.name == expectation.metric and expectation.labels.items() <= sample.labels.items():
                totals[sample.t] += sample.value
                self.seen = True
        self.scrapes = len(totals)
        self.t = [t - t0 for t in totals]
        self.values = list(totals.values())

    def __bool__(self) -> bool:
        """Whether any scrape had the series: one that has none yet is 0 (a labelled
        counter is exported from its first increment on)."""
        return self.seen

    def at(self, offset: float) -> float:
        index = bisect.bisect_right(self.t, offset) - 1
        return self.values[max(index, 0)]


def judge_metrics(
    checks: MetricChecks,
    samples: Sequence[MetricSample],
    t0: float,
    windows: Mapping[str, tuple[float, float | None]],
    answered: int,
) -> list[ExpectationResult]:
    """``windows``: each fault's actual injection and restore, as offsets (None: never restored)."""
    return [
        _judge(expectation, Series(samples, expectation, t0), checks, windows, answered)
        for expectation in checks.expect
    ]


def _judge(
    expectation: SeriesExpectation,
    series: Series,
    checks: MetricChecks,
    windows: Mapping[str, tuple[float, float | None]],
    answered: int,
) -> ExpectationResult:
    written = expectation.written()
    kind = "metric_increases" if expectation.increases_during is not None else "metric_agrees"
    figures: Figures = {"scrapes": series.scrapes}
    if not series:
        reason = f"no sample of {expectation.selector()} in {series.scrapes} scrapes"
        return result(written, kind, Verdict.FAIL, reason, figures)
    if expectation.increases_during is not None:
        window = windows.get(expectation.increases_during)
        if window is None:
            reason = f"{expectation.increases_during} was never injected"
            return result(written, kind, Verdict.INCONCLUSIVE, reason, figures)
        start, end = window
        stop = (end if end is not None else series.t[-1]) + checks.interval + LATE_S
        before, after = series.at(start), series.at(stop)
        figures |= {"before": before, "after": after, "from": start, "to": stop}
        span = f"{start:.1f}-{stop:.1f} s"
        if after > before:
            reason = (
                f"{expectation.selector()} rose by {after - before:g} during {expectation.increases_during} ({span})"
            )
            return result(written, kind, Verdict.PASS, reason, figures)
        reason = f"{expectation.selector()} stayed at {before:g} during {expectation.increases_during} ({span})"
        return result(written, kind, Verdict.FAIL, reason, figures)
    tolerance = expectation.agrees_with_load
    assert tolerance is not None
    counted = series.values[-1] - series.values[0]
    figures |= {"counted": counted, "answered": answered}
    if answered == 0:
        return result(written, kind, Verdict.INCONCLUSIVE, "the target answered no request", figures)
    off = abs(counted - answered) / answered
    verdict = Verdict.PASS if off <= tolerance else Verdict.FAIL
    reason = (
        f"{expectation.selector()} rose by {counted:g}; the target answered {answered} requests "
        f"({off:.2%} apart, at most {format_percent(tolerance)})"
    )
    return result(written, kind, verdict, reason, figures)
