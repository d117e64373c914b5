"""The live view names each second of a run as the plan and the verdict do."""

from __future__ import annotations

from chaos.kinds import FaultAction
from chaos.records import FaultEvent
from chaos.run.guard import live_span
from chaos.scenario.plan import timeline
from chaos.slo.evaluate import evaluate
from tests.slo.slo_runs import T0, Run, scenario


def worked_example():
    """DESIGN.md's: load 0-90 s, warm-up until 10 s, settle 10 s, A at 20 s for 40 s, B at 30 s for 20 s."""
    outage = {"provider": "primary", "http_error": {"status": 503}}
    return scenario(
        load={"duration": 90.0},
        faults=[{"name": "a", "at": "20s", "for": "40s", **outage}, {"name": "b", "at": "30s", "for": "20s", **outage}],
    )


def event(fault: str, action: FaultAction, at: float) -> FaultEvent:
    return FaultEvent(run_id="run", fault=fault, kind="http_error", action=action, t_intended=T0 + at, t_actual=T0 + at)


ON_TIME = [
    event("a", FaultAction.INJECT, 20),
    event("b", FaultAction.INJECT, 30),
    event("b", FaultAction.RESTORE, 50),
    event("a", FaultAction.RESTORE, 60),
]


def live_name(events: list[FaultEvent], offset: float) -> str:
    span = live_span(worked_example(), events, T0, offset)
    assert span is not None
    return span.name


def test_faults_on_time_give_every_second_the_plans_name() -> None:
    planned = timeline(worked_example())
    for second in range(95):  # 90 s of load and the 5 s stop grace
        offset = second + 0.5
        so_far = [e for e in ON_TIME if e.t_actual - T0 <= offset]  # the live view knows only the past
        expected = planned.span_at(offset)
        assert expected is not None
        assert live_name(so_far, offset) == expected.name, offset


def test_unjudged_spans_are_named_as_the_plan_and_the_verdict_name_them() -> None:
    assert live_name([], 5) == "warmup"
    assert live_name(ON_TIME, 65) == "settle"  # not "recovery": nothing is judged there yet
    assert live_name(ON_TIME, 75) == "recovery"
    assert live_name(ON_TIME, 92) == "grace"
    run = Run()
    run.fault("a", 20, 60)
    run.fault("b", 30, 50)
    run.stop(90)
    sc = worked_example()
    verdict = {(span.start, span.end): span.name for span in evaluate(sc, run.data(sc)).spans}
    assert verdict[(60, 70)] == "settle"
    assert verdict[(0, 10)] == "warmup"
    assert verdict[(90, 95)] == "grace"


def test_the_live_segment_follows_the_actual_injection_not_the_intended_one() -> None:
    late = [FaultEvent(**{**ON_TIME[0].model_dump(), "t_actual": T0 + 21.5})]
    assert live_name(late, 21) == "baseline"
    assert live_name(late, 22) == "a"
