"""The game day's judgement, pinned by hand-made record sets with hand-computed answers:
each checkpoint's deadline (met at the deadline itself, late a millisecond after, missed,
no anchor), each anchor kind, the impact figures, and the action items (one per failed
SLO, failed expectation and late or missed checkpoint, with the same ids in a later
game day)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chaos.actions import Failure
from chaos.gameday.findings import findings, impact
from chaos.gameday.plan import Plan
from chaos.gameday.state import CheckpointDone, GameDayEvent, GameDayStart, Mark, MarkKind, StepStarted
from chaos.gameday.timeline import GameDayRecord, RunOutcome, _detections, deadlines
from chaos.journal import Journal, RunStatus
from chaos.kinds import FaultAction
from chaos.records import FaultEvent
from chaos.scenario.base import Severity
from chaos.scenario.units import STRICT_UNITS
from chaos.slo.results import (
    AlertResult,
    Buckets,
    Evaluation,
    ExpectationResult,
    FaultResponse,
    SegmentSummary,
    SloResult,
)
from chaos.wilson import Verdict

T0 = 1_000_000.0  # the run's t = 0
START = T0 - 10  # the game day's start


def plan_of(checkpoints: list[dict[str, Any]]) -> Plan:
    return Plan.model_validate(
        {
            "version": 1,
            "name": "drill-plan",
            "title": "T",
            "objectives": ["o"],
            "roles": {"ic": {"title": "Incident commander", "who": ["Ann"]}},
            "severities": {"SEV-2": "x"},
            "steps": [{"run": {"name": "r", "scenario": "s.yaml", "background": True}}]
            + [{"checkpoint": checkpoint} for checkpoint in checkpoints],
        },
        context=STRICT_UNITS,
    )


def fault(action: FaultAction, offset: float, name: str = "primary-503") -> FaultEvent:
    return FaultEvent(
        run_id="r1", fault=name, kind="http_error", action=action, t_intended=T0 + offset, t_actual=T0 + offset
    )


def evaluation(**parts: Any) -> Evaluation:
    defaults: dict[str, Any] = {
        "slos": [],
        "expectations": [],
        "alerts": [],
        "responses": [],
        "segments": [],
        "aborted": None,
        "buckets": Buckets.model_construct(degraded=[]),
    }
    return Evaluation.model_construct(**{**defaults, **parts})


def run_of(
    events: list[FaultEvent], evaluated: Evaluation | None = None, scenario: str = "provider-outage"
) -> RunOutcome:
    journal = Journal(
        status=RunStatus.FINISHED,
        run_id="r1",
        scenario_name=scenario,
        scenario_path="s.yaml",
        scenario_text="",
        environment="local",
        started_at=T0 - 3,
        t0=T0,
        versions={},
        events=events,
    )
    journal.evaluation = evaluated
    return RunOutcome("r", 1, Path("r"), T0 - 3, journal, "pass", "", "finished")


def done(checkpoint: str, at: float, step: int = 2) -> CheckpointDone:
    return CheckpointDone(at=at, step=step, id=checkpoint, by="Ann", how="console")


OUTAGE = [fault(FaultAction.INJECT, 12.0), fault(FaultAction.RESTORE, 24.0)]


@pytest.mark.parametrize(
    ("acknowledged", "status"),
    [(T0 + 12 + 180, "met"), (T0 + 12 + 180.001, "late"), (None, "missed"), (T0 + 5, "met")],
    ids=["at-the-deadline", "a-millisecond-late", "never", "before-the-anchor"],
)
def test_a_deadline_counts_from_the_fault_s_actual_injection(acknowledged: float | None, status: str) -> None:
    plan = plan_of([{"id": "declare", "role": "ic", "do": "d", "within": "3m", "after": {"fault": "primary-503"}}])
    events: list[GameDayEvent] = [done("declare", acknowledged)] if acknowledged is not None else []
    (deadline,) = deadlines(plan, events, [run_of(OUTAGE)])
    assert deadline.anchor_at == T0 + 12
    assert deadline.status == status


def test_a_fault_that_was_never_injected_leaves_its_checkpoints_without_an_anchor() -> None:
    plan = plan_of([{"id": "declare", "role": "ic", "do": "d", "within": "3m", "after": {"fault": "primary-503"}}])
    (deadline,) = deadlines(plan, [done("declare", T0 + 500)], [run_of([])])
    assert (deadline.anchor_at, deadline.status) == (None, "no anchor")


def test_each_anchor_kind_reads_its_own_moment() -> None:
    plan = plan_of(
        [
            {
                "id": "a",
                "role": "ic",
                "do": "d",
                "within": "1m",
                "after": {"fault": "primary-503", "event": "restored"},
            },
            {"id": "b", "role": "ic", "do": "d", "within": "1m", "after": {"alert": "page"}},
            {"id": "c", "role": "ic", "do": "d", "within": "1m", "after": {"checkpoint": "a"}},
            {"id": "d", "role": "ic", "do": "d", "within": "1m"},
        ]
    )
    alerts = [
        AlertResult(
            rule="ticket 3x 2m/20s", severity=Severity.TICKET, slo="availability", fired_at=13.0, cleared_at=None
        ),
        AlertResult(
            rule="page 14.4x 30s/5s", severity=Severity.PAGE, slo="availability", fired_at=14.5, cleared_at=30.0
        ),
    ]
    events: list[GameDayEvent] = [
        StepStarted(at=T0 + 40, step=4, kind="checkpoint"),
        done("a", T0 + 26, step=1),
    ]
    anchors = [d.anchor_at for d in deadlines(plan, events, [run_of(OUTAGE, evaluation(alerts=alerts))])]
    assert anchors == [T0 + 24, T0 + 14.5, T0 + 26, T0 + 40]


def test_people_detect_with_a_mark_or_a_detecting_checkpoint_after_the_injection() -> None:
    plan = plan_of([{"id": "detect", "role": "ic", "do": "d", "within": "2m", "mark": "detected"}])
    response = FaultResponse(fault="primary-503", injected_at=12.0, restored_at=24.0, detect=2.5, mitigate=1, recover=3)
    run = run_of(OUTAGE, evaluation(responses=[response]))
    early = Mark(at=T0 + 11, kind=MarkKind.DETECTED, by="eve", pid=1)  # before the fault: not a detection of it
    acked = CheckpointDone(at=T0 + 19, step=2, id="detect", by="bob", how="console")
    marked = Mark(at=T0 + 17, kind=MarkKind.DETECTED, by="carol", pid=1)
    (detection,) = _detections([run], [early, acked, marked], plan)
    assert (detection.by_alert, detection.by_people, detection.person) == (2.5, 5.0, "carol")


def record_of(plan: Plan, runs: list[RunOutcome], events: list[GameDayEvent], gameday: str) -> GameDayRecord:
    start = GameDayStart(gameday=gameday, plan_name=plan.name, plan_path="p.yaml", started_at=START)
    return GameDayRecord(start, plan, events, runs, [], deadlines(plan, events, runs), [], "finished", START + 100)


def broken_cost_run() -> RunOutcome:
    slos = [
        SloResult(slo="cost_per_request", sli="cost", segment="baseline", verdict=Verdict.PASS, objective=0.006),
        SloResult(
            slo="cost_per_request", sli="cost", segment="primary-token-inflation", verdict=Verdict.FAIL, objective=0.006
        ),
        SloResult(
            slo="availability",
            sli="availability",
            segment="baseline",
            verdict=Verdict.PASS,
            objective=0.99,
            good=99,
            total=100,
            ratio=0.99,
        ),
        SloResult(
            slo="availability",
            sli="availability",
            segment="primary-token-inflation",
            verdict=Verdict.PASS,
            objective=0.99,
            good=90,
            total=100,
            ratio=0.9,
        ),
    ]
    expectations = [
        ExpectationResult(
            expectation="retry_amplification: {max: 1.2}",
            kind="retry_amplification",
            verdict=Verdict.FAIL,
            reason="1.5x",
        ),
        ExpectationResult(expectation="recovers_to: primary", kind="recovers_to", verdict=Verdict.PASS, reason="ok"),
    ]
    segments = [
        SegmentSummary.model_construct(
            name="baseline", requests=100, failed=1, cost_usd=1.0, cost_per_request_usd=0.01
        ),
        SegmentSummary.model_construct(
            name="primary-token-inflation", requests=100, failed=10, cost_usd=3.0, cost_per_request_usd=0.03
        ),
    ]
    evaluated = evaluation(
        slos=slos, expectations=expectations, segments=segments, buckets=Buckets.model_construct(degraded=[2, 0, 3])
    )
    return run_of([fault(FaultAction.INJECT, 12.0, "primary-token-inflation")], evaluated, scenario="cost-explosion")


def test_impact_in_figures() -> None:
    found = impact(broken_cost_run())
    assert found is not None
    assert (found.requests, found.failed, found.degraded) == (200, 11, 5)
    assert found.cost_usd == pytest.approx(4.0)
    # the inflated segment's 100 answered requests at the baseline's $0.01 would have cost $1
    assert found.extra_cost_usd == pytest.approx(2.0)
    # 11 bad of 200 against a budget of 1% x 200 = 2 requests: 5.5 budgets
    assert found.budget_burned == {"availability": pytest.approx(5.5)}


def test_an_action_item_for_each_failure_with_the_same_ids_in_a_later_game_day() -> None:
    plan = plan_of(
        [
            {
                "id": "declare",
                "role": "ic",
                "do": "Declare",
                "within": "1m",
                "after": {"fault": "primary-token-inflation"},
            },
            {"id": "notify", "role": "ic", "do": "Tell finance", "within": "5m"},
            {"id": "page", "role": "ic", "do": "Ack", "within": "1m", "after": {"alert": "page"}},
        ]
    )
    events: list[GameDayEvent] = [
        StepStarted(at=T0, step=2, kind="checkpoint"),
        done("declare", T0 + 12 + 61),  # late by a second
    ]  # notify never done; page never fired
    first = findings(record_of(plan, [broken_cost_run()], events, "g1"), "gameday drill-plan g1")
    ids = [item.id for item in first.actions]
    assert ids == [
        Failure.slo("cost-explosion", "cost_per_request", "primary-token-inflation").action_id,
        Failure.expectation("cost-explosion", "retry_amplification: {max: 1.2}").action_id,
        Failure.checkpoint("drill-plan", "declare").action_id,
        Failure.checkpoint("drill-plan", "notify").action_id,
    ]
    assert first.actions[2].detail == "done in 61.0 s, deadline 1m"
    assert first.actions[3].detail == "never done"
    later = findings(record_of(plan, [broken_cost_run()], events, "g2"), "gameday drill-plan g2")
    assert [item.id for item in later.actions] == ids
    assert any("cost_per_request failed in primary-token-inflation" in line for line in first.went_wrong)
    assert any("recovers_to: primary" in line for line in first.went_well)
