"""Series checks on hand-made scrapes, and a recorded exposition parsed as the scraper does."""

from __future__ import annotations

from chaos.observe.metrics import judge_metrics
from chaos.observe.scrape import MetricSample, parse_exposition
from chaos.scenario.observe import MetricChecks, SeriesExpectation
from chaos.wilson import Verdict

T0 = 1000.0
# The demo gateway's /metrics as scraped once (prometheus_client 0.26).
RECORDED = """# HELP gateway_requests_total Chat requests answered, by status.
# TYPE gateway_requests_total counter
gateway_requests_total{status="200"} 41.0
gateway_requests_total{status="503"} 2.0
# HELP gateway_requests_created Chat requests answered, by status.
# TYPE gateway_requests_created gauge
gateway_requests_created{status="200"} 1.7650908e+09
# HELP gateway_fallbacks_total Answers a fallback provider gave.
# TYPE gateway_fallbacks_total counter
gateway_fallbacks_total{provider="secondary"} 7.0
"""


def scrapes(name: str, points: list[tuple[float, float]], **labels: str) -> list[MetricSample]:
    """One sample of ``name`` per (offset, value), plus an unrelated series at each scrape."""
    found = []
    for offset, value in points:
        found.append(MetricSample(t=T0 + offset, name=name, labels=labels, value=value))
        found.append(MetricSample(t=T0 + offset, name="other_total", value=99.0))
    return found


def judge(expectation: SeriesExpectation, samples: list[MetricSample], answered: int = 0) -> tuple[Verdict, str]:
    windows = {"outage": (10.0, 14.0), "late": (30.0, None)}
    (result,) = judge_metrics(MetricChecks(expect=[expectation]), samples, T0, windows, answered)
    return result.verdict, result.reason


def test_a_recorded_scrape_parses_into_its_samples_without_creation_times() -> None:
    samples = parse_exposition(RECORDED, T0)
    assert [(s.name, s.labels, s.value) for s in samples] == [
        ("gateway_requests_total", {"status": "200"}, 41.0),
        ("gateway_requests_total", {"status": "503"}, 2.0),
        ("gateway_fallbacks_total", {"provider": "secondary"}, 7.0),
    ]


def test_a_counter_that_rises_during_the_fault_passes_one_that_rose_only_before_fails() -> None:
    rising = SeriesExpectation(metric="gateway_fallbacks_total", increases_during="outage")
    # The window is 10 s to the restore at 14 s plus one interval and a second: 16 s.
    assert judge(rising, scrapes("gateway_fallbacks_total", [(9, 0), (11, 0), (15.5, 3), (20, 3)])) == (
        Verdict.PASS,
        "gateway_fallbacks_total rose by 3 during outage (10.0-16.0 s)",
    )
    before = scrapes("gateway_fallbacks_total", [(5, 0), (9.5, 2), (12, 2), (16.5, 5)])
    assert judge(rising, before) == (Verdict.FAIL, "gateway_fallbacks_total stayed at 2 during outage (10.0-16.0 s)")


def test_labels_select_the_samples_summed() -> None:
    samples = [
        *scrapes("gateway_fallbacks_total", [(9, 0), (15, 4)], provider="secondary"),
        *scrapes("gateway_fallbacks_total", [(9, 0), (15, 0)], provider="tertiary"),
    ]
    tertiary = SeriesExpectation(
        metric="gateway_fallbacks_total", labels={"provider": "tertiary"}, increases_during="outage"
    )
    assert judge(tertiary, samples)[0] is Verdict.FAIL
    assert judge(tertiary.model_copy(update={"labels": {}}), samples)[0] is Verdict.PASS


def test_a_request_counter_agrees_with_the_load_within_its_tolerance_at_the_edge() -> None:
    counter = scrapes("gateway_requests_total", [(-1, 5), (20, 105)])
    agrees = SeriesExpectation(metric="gateway_requests_total", agrees_with_load=0.02)
    assert judge(agrees, counter, answered=98) == (
        Verdict.FAIL,
        "gateway_requests_total rose by 100; the target answered 98 requests (2.04% apart, at most 2%)",
    )
    assert judge(agrees, counter, answered=100)[0] is Verdict.PASS
    assert judge(agrees, counter, answered=102)[0] is Verdict.PASS  # 2 of 102: 1.96%
    assert judge(agrees, counter, answered=0)[0] is Verdict.INCONCLUSIVE


def test_a_missing_series_fails_and_a_fault_never_injected_is_inconclusive() -> None:
    absent = SeriesExpectation(metric="nope_total", increases_during="outage")
    assert judge(absent, scrapes("gateway_requests_total", [(1, 1), (2, 2)])) == (
        Verdict.FAIL,
        "no sample of nope_total in 2 scrapes",
    )
    never = SeriesExpectation(metric="gateway_requests_total", increases_during="ghost")
    assert judge(never, scrapes("gateway_requests_total", [(1, 1)]))[0] is Verdict.INCONCLUSIVE


def test_a_labelled_counter_not_yet_exported_at_the_first_scrape_counts_from_zero() -> None:
    """prometheus_client exports a labelled counter from its first increment: the scrape
    before the load has no sample of it, and the requests of the first second count."""
    before_load = [MetricSample(t=T0 - 1, name="other_total", value=1.0)]
    counter = before_load + scrapes("gateway_requests_total", [(1, 30), (20, 100)], status="200")
    agrees = SeriesExpectation(metric="gateway_requests_total", agrees_with_load=0.02)
    assert judge(agrees, counter, answered=100)[0] is Verdict.PASS
    assert judge(agrees, counter[1:], answered=100)[0] is Verdict.FAIL  # from 30: 70 counted
