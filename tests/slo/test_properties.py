"""Properties that must hold for any data: exact percentiles, a partition of the
timeline, and no SLI a failure could improve."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chaos.kinds import RequestKind
from chaos.segments import Window, cut_timeline
from chaos.slo.buckets import grouped_nearest_rank
from chaos.slo.evaluate import evaluate
from chaos.slo.percentiles import nearest_rank
from tests.slo.slo_runs import Run, scenario

values = st.lists(
    st.one_of(st.floats(0, 100, allow_nan=False), st.just(math.inf)),
    min_size=1,
    max_size=300,
)
percentiles = st.integers(1, 1000).map(lambda tenths: tenths / 10)


def brute_force_rank(data: list[float], percentile: float) -> float:
    """The smallest value with at least ``percentile`` % of the values at or below it."""
    wanted = Fraction(str(percentile)) / 100 * len(data)
    return next(v for v in sorted(data) if sum(1 for x in data if x <= v) >= wanted)


@given(values, percentiles)
def test_percentiles_are_the_nearest_rank(data, percentile):
    assert nearest_rank(np.asarray(data), percentile) == brute_force_rank(data, percentile)


@st.composite
def timelines(draw):
    load_end = draw(st.integers(20, 200))
    faults = []
    for index in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, load_end - 1))
        faults.append(Window(f"f{index}", start, draw(st.integers(start + 1, load_end + 10))))
    return (
        faults,
        {
            "order": [w.fault for w in faults],
            "judged_from": draw(st.integers(0, load_end)),
            "load_end": load_end,
            "settle": draw(st.integers(0, 20)),
            "stop_grace": draw(st.integers(0, 10)),
            "min_segment": draw(st.sampled_from([0, 1, 5])),
        },
    )


@given(timelines())
def test_segments_partition_the_timeline(case):
    windows, options = case
    timeline = cut_timeline(windows, **options)
    end = options["load_end"] + options["stop_grace"]
    assert timeline.spans[0].start == 0
    assert timeline.spans[-1].end == end
    for before, after in zip(timeline.spans, timeline.spans[1:], strict=False):
        assert before.end == after.start
        assert before.start < before.end
    judged = sum(span.duration for span in timeline.spans if span.judged)
    assert sum(segment.duration for segment in timeline.segments) == judged
    for span in (span for span in timeline.spans if span.judged):
        active = {w.fault for w in windows if w.start <= span.start < min(w.end, options["load_end"])}
        assert set(span.faults) == active
        assert options["judged_from"] <= span.start
        assert span.end <= options["load_end"]
        if span.faults:
            assert span.name == "+".join(span.faults)


requests = st.lists(
    st.tuples(
        st.floats(10, 99, allow_nan=False),  # sent
        st.floats(0.01, 3, allow_nan=False),  # duration
        st.booleans(),  # ok
        st.sampled_from(list(RequestKind)),
        st.booleans(),  # degraded
        st.booleans(),  # eval passed
    ),
    max_size=40,
)
SLOS = {
    "availability": {"objective": "90%"},
    "ttft_p95": {"max": "1s"},
    "e2e_p50": {"max": "1s"},
    "eval_pass_rate": {"objective": "80%"},
}


def judged(run: Run):
    sc = scenario(slos=SLOS, load={"warmup": 0.0})
    evaluation = evaluate(sc, run.data(sc))
    return {(r.slo, r.segment): r for r in evaluation.slos}, {s.name: s for s in evaluation.segments}


@settings(max_examples=40, deadline=None)
@given(requests, st.floats(1, 99, allow_nan=False), st.sampled_from(list(RequestKind)), st.booleans())
def test_adding_a_failed_request_never_improves_any_sli(existing, at, kind, ends):
    run = Run()
    run.fault("f", 50, 70)
    run.stop(100)
    for sent, duration, ok, request_kind, degraded, passed in existing:
        run.request(
            sent,
            duration,
            ok=ok,
            kind=request_kind,
            degraded="cached" if degraded else None,
            eval_pass=passed if request_kind is RequestKind.EVAL else None,
        )
    before_slos, before_segments = judged(run)
    run.request(at, 0.5, ok=False, kind=kind, ends=ends)
    after_slos, after_segments = judged(run)
    for key, after in after_slos.items():
        before = before_slos[key]
        assert (after.ratio if after.ratio is not None else 1) <= (before.ratio if before.ratio is not None else 1)
        assert (after.low or 0) <= (before.low or 0) + 1e-12
        if after.latency is not None and before.latency is not None:
            new, old = after.latency.value_s, before.latency.value_s
            assert (math.inf if new is None else new) >= (math.inf if old is None else old) or old is None
    for name, after in after_segments.items():
        before = before_segments[name]
        assert (after.availability if after.availability is not None else 1) <= (
            before.availability if before.availability is not None else 1
        )
        assert after.cost_usd >= before.cost_usd


microseconds = st.integers(0, 60_000_000).map(lambda us: us / 1e6)  # offsets are kept to the microsecond


@given(st.lists(st.tuples(st.integers(0, 5), microseconds), max_size=200), percentiles)
def test_per_second_percentiles_are_the_nearest_rank_of_each_second(pairs, percentile):
    groups = np.asarray([group for group, _ in pairs], dtype=np.int64)
    data = np.asarray([value for _, value in pairs], dtype=np.float64)
    (got,) = grouped_nearest_rank(groups, data, 6, (percentile,))
    for group in range(6):
        mine = [value for g, value in pairs if g == group]
        if mine:
            assert got[group] == brute_force_rank(mine, percentile)
        else:
            assert math.isnan(got[group])
