"""Segments cut at the faults' actual injections and restores, requests placed by start."""

from __future__ import annotations

import pytest

from chaos.kinds import FaultAction
from chaos.records import FaultEvent
from chaos.segments import Window, fault_windows
from chaos.slo.evaluate import evaluate
from tests.slo.slo_runs import T0, Run, fault_event, restored_one_by_one_on_an_abort, scenario


def test_overlapping_faults_cut_the_worked_example_of_design_md():
    """Load 0-90 s, warm-up until 10 s, settle 10 s, A at 20 s for 40 s, B at 30 s for 20 s."""
    sc = scenario(load={"duration": 90.0})
    run = Run()
    run.fault("a", 20, 60)
    run.fault("b", 30, 50)
    for start in (5, 15, 25, 35, 45, 55, 65, 75, 85):
        run.request(start)
    run.stop(90)
    evaluation = evaluate(sc, run.data(sc))
    spans = [(span.name, span.start, span.end, span.judged) for span in evaluation.spans]
    assert spans == [
        ("warmup", 0, 10, False),
        ("baseline", 10, 20, True),
        ("a", 20, 30, True),
        ("a+b", 30, 50, True),
        ("a", 50, 60, True),
        ("settle", 60, 70, False),
        ("recovery", 70, 90, True),
        ("grace", 90, 95, False),
    ]
    requests = {segment.name: (segment.requests, segment.spans) for segment in evaluation.segments}
    assert requests == {
        "baseline": (1, [(10, 20)]),
        "a": (2, [(20, 30), (50, 60)]),
        "a+b": (2, [(30, 50)]),
        "recovery": (2, [(70, 90)]),
    }


def test_segments_follow_the_actual_times_not_the_intended_ones():
    sc = scenario()
    run = Run()
    run.fault("a", 20.25, 30.5)
    run.request(20.1, duration=0.1)
    run.request(20.3)
    run.request(30.45)
    run.request(30.55)
    run.stop(100)
    evaluation = evaluate(sc, run.data(sc))
    assert [(s.name, s.start, s.end) for s in evaluation.spans[1:4]] == [
        ("baseline", 10, 20.25),
        ("a", 20.25, 30.5),
        ("settle", 30.5, 40.5),
    ]
    assert {s.name: s.requests for s in evaluation.segments} == {"baseline": 1, "a": 2, "recovery": 0}


def test_a_request_in_flight_when_a_fault_starts_is_judged_with_that_fault() -> None:
    """Sent at 19.8 s and cut at 20.3 s by the network fault that began at 20 s (a toxic
    acts on live connections): the fault's failure, not the baseline's. One that ended at
    19.95 s stays in the baseline."""
    sc = scenario()
    run = Run()
    run.fault("a", 20, 30, kind="network")
    run.request(19.7, duration=0.25)
    run.request(19.8, duration=0.5, ok=False)
    run.request(25.0)
    run.request(29.9, duration=5.0)  # in flight at the restore: still the fault's, by its start
    run.stop(100)
    evaluation = evaluate(sc, run.data(sc))
    assert {s.name: (s.requests, s.failed) for s in evaluation.segments} == {
        "baseline": (1, 0),
        "a": (3, 1),
        "recovery": (0, 0),
    }


def test_a_fault_without_a_restore_lasts_until_the_load_stops_and_ramps_do_not_cut_it():
    events = [
        FaultEvent(run_id="r", fault="a", kind="k", action=action, t_intended=T0 + at, t_actual=T0 + at)
        for action, at in ((FaultAction.INJECT, 20.0), (FaultAction.UPDATE, 25.0), (FaultAction.UPDATE, 30.0))
    ]
    failed = FaultEvent(
        run_id="r", fault="b", kind="k", action=FaultAction.INJECT, t_intended=T0, t_actual=T0 + 1, ok=False
    )
    late = FaultEvent(run_id="r", fault="c", kind="k", action=FaultAction.INJECT, t_intended=T0, t_actual=T0 + 95)
    assert fault_windows([*events, failed, late], T0, 90.0, together=1.0) == [Window("a", 20.0, 90.0)]


def test_requests_still_in_flight_at_the_end_time_out_in_their_own_segment():
    sc = scenario()
    run = Run()
    run.request(50, ends=False)
    run.request(50.5, duration=1.0)
    run.stop(60)
    evaluation = evaluate(sc, run.data(sc))
    baseline = evaluation.segments[0]
    assert (baseline.requests, baseline.failed) == (2, 1)
    assert evaluation.counts.horizon == pytest.approx(65.0)
    assert evaluation.counts.load_end == pytest.approx(60.0)


def test_faults_meant_together_are_cut_together() -> None:
    events = [
        fault_event("a", FaultAction.INJECT, 30.0, 30.004),
        fault_event("b", FaultAction.INJECT, 30.0, 30.019),
        fault_event("a", FaultAction.RESTORE, 60.0, 60.006),
        fault_event("b", FaultAction.RESTORE, 60.0, 60.013),
    ]
    assert fault_windows(events, T0, 90.0, together=1.0) == [Window("a", 30.004, 60.013), Window("b", 30.004, 60.013)]


def test_a_segment_shorter_than_the_scenario_s_minimum_is_not_judged() -> None:
    """The real run: ``a`` and ``b`` injected together at 12 s; on an abort at 17.38 s the
    restores went one by one, each recorded at its own time, so ``a`` alone made a segment
    from 17.381 s to 17.385 s, judged on the 3 requests sent in it: availability FAIL 0/3.
    Shorter than the minimum (``min_segment``, 1 s by default), it is not judged."""
    sc = scenario()
    run = restored_one_by_one_on_an_abort()
    for sent in (17.382, 17.383, 17.384):
        run.request(sent, duration=0.01, ok=False)
    run.stop(17.4)
    evaluation = evaluate(sc, run.data(sc))
    assert [(s.name, s.start, s.end, s.judged) for s in evaluation.spans[2:4]] == [
        ("a+b", 12.0, 17.381, True),
        ("short", 17.381, 17.385, False),
    ]
    assert {r.segment for r in evaluation.slos} == {"baseline", "a+b"}


def test_a_fault_that_landed_late_cuts_the_timeline_at_its_own_start() -> None:
    """Meant together at 20 s: ``b`` landed 0.4 s after ``a`` (within the minimum segment:
    cut together), ``c`` 3 s after it (cut at its own start, as DESIGN.md says); their
    restores, meant together at 40 s, within 20 ms of each other, cut together."""
    events = [
        fault_event("a", FaultAction.INJECT, 20.0, 20.01),
        fault_event("b", FaultAction.INJECT, 20.0, 20.41),
        fault_event("c", FaultAction.INJECT, 20.0, 23.0),
        *(fault_event(f, FaultAction.RESTORE, 40.0, 40.0 + i / 100) for i, f in enumerate("abc")),
    ]
    assert fault_windows(events, T0, 90.0, together=1.0) == [
        Window("a", 20.01, 40.02),
        Window("b", 20.01, 40.02),
        Window("c", 23.0, 40.02),
    ]
