"""What a game day found: impact in figures, what went well and wrong, and the action items.

Read from the runs' verdicts and the checkpoints' deadlines, never re-judged: a failed
SLO, a failed expectation, and a late or missed checkpoint each give one action item
(``chaos.actions``), so the same failure in a later game day has the same id.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.actions import ActionItem, Failure
from chaos.gameday.timeline import Deadline, GameDayRecord, RunOutcome, seconds
from chaos.scenario.units import format_duration, format_percent
from chaos.wilson import Verdict


@dataclass(frozen=True)
class Impact:
    run: str
    scenario: str
    requests: int
    failed: int
    degraded: int
    cost_usd: float
    extra_cost_usd: float | None  # against the baseline's cost per answered request
    budget_burned: dict[str, float]  # SLO -> share of its error budget the bad requests used


def impact(run: RunOutcome) -> Impact | None:
    journal = run.journal
    if journal is None or journal.evaluation is None:
        return None
    evaluation = journal.evaluation
    segments = evaluation.segments
    baseline = next((s for s in segments if s.name == "baseline"), None)
    extra: float | None = None
    if baseline is not None and baseline.cost_per_request_usd is not None:
        extra = 0.0
        for segment in segments:
            if segment.name == "baseline" or not segment.cost_per_request_usd:
                continue
            answered = segment.cost_usd / segment.cost_per_request_usd
            extra += segment.cost_usd - baseline.cost_per_request_usd * answered
    burned: dict[str, float] = {}
    totals: dict[str, tuple[int, int, float]] = {}
    for result in evaluation.slos:
        if result.good is None or result.total is None or result.objective >= 1:
            continue
        bad, total, _ = totals.get(result.slo, (0, 0, result.objective))
        totals[result.slo] = (bad + result.total - result.good, total + result.total, result.objective)
    for slo, (bad, total, objective) in totals.items():
        if total:
            burned[slo] = bad / ((1 - objective) * total)
    return Impact(
        run=run.name,
        scenario=journal.scenario_name,
        requests=sum(s.requests for s in segments),
        failed=sum(s.failed for s in segments),
        degraded=sum(evaluation.buckets.degraded),
        cost_usd=sum(s.cost_usd for s in segments),
        extra_cost_usd=extra,
        budget_burned=burned,
    )


@dataclass(frozen=True)
class Findings:
    went_well: list[str]
    went_wrong: list[str]
    actions: list[ActionItem]


def findings(record: GameDayRecord, source: str) -> Findings:
    found = Findings([], [], [])
    well, wrong = found.went_well, found.went_wrong
    for run in record.runs:
        _run_findings(run, source, found)
    for deadline in record.deadlines:
        _deadline_findings(deadline, record, source, found)
    for detection in record.detections:
        alert = seconds(detection.by_alert)
        if detection.by_people is None:
            wrong.append(f"nobody marked {detection.fault} detected (the alerts: {alert})")
        else:
            text = (
                f"{detection.person} detected {detection.fault} {detection.by_people:.1f} s after its injection "
                f"(the alerts: {alert})"
            )
            slower = isinstance(detection.by_alert, float | int) and detection.by_people > detection.by_alert
            (wrong if slower else well).append(text)
    return found


def _run_findings(run: RunOutcome, source: str, found: Findings) -> None:
    well, wrong, actions = found.went_well, found.went_wrong, found.actions
    journal = run.journal
    if journal is None or journal.evaluation is None:
        wrong.append(f"run {run.name} was not judged: {run.reason or run.verdict}")
        return
    scenario = journal.scenario_name
    evaluation = journal.evaluation
    if evaluation.aborted is not None:
        wrong.append(f"run {run.name} was aborted: {evaluation.aborted.reason}")
    failed_slos = set()
    for result in evaluation.slos:
        if result.verdict != Verdict.FAIL:
            continue
        failed_slos.add(result.slo)
        figure = f"{result.ratio:.2%} of {result.total}" if result.ratio is not None else "over its threshold"
        objective = format_percent(result.objective) if result.objective < 1 else f"${result.objective:g}"
        wrong.append(f"{result.slo} failed in {result.segment} ({scenario}): {figure}, objective {objective}")
        actions.append(
            ActionItem.of(
                Failure.slo(scenario, result.slo, result.segment),
                f"Keep {result.slo} within its objective ({objective}) during {result.segment}",
                source,
                f"{scenario}: {figure}",
            )
        )
    for slo in sorted({r.slo for r in evaluation.slos} - failed_slos):
        if all(r.verdict == Verdict.PASS for r in evaluation.slos if r.slo == slo):
            well.append(f"{slo} held in every segment ({scenario})")
    for expectation in evaluation.expectations:
        if expectation.verdict == Verdict.PASS:
            well.append(f"{expectation.expectation}: {expectation.reason} ({scenario})")
        elif expectation.verdict == Verdict.FAIL:
            wrong.append(f"{expectation.expectation}: {expectation.reason} ({scenario})")
            actions.append(
                ActionItem.of(
                    Failure.expectation(scenario, expectation.expectation),
                    f"Meet the expectation {expectation.expectation}",
                    source,
                    f"{scenario}: {expectation.reason}",
                )
            )


def _deadline_findings(deadline: Deadline, record: GameDayRecord, source: str, found: Findings) -> None:
    well, wrong, actions = found.went_well, found.went_wrong, found.actions
    checkpoint = deadline.checkpoint
    within = format_duration(checkpoint.within)
    role = record.plan.roles[checkpoint.role].title
    status = deadline.status
    if status == "met":
        well.append(f"{role}: {checkpoint.do}, in {seconds(deadline.took)} (deadline {within})")
        return
    if status == "no anchor":
        return  # what it counted from never happened: nothing to be late for
    detail = "never done" if status == "missed" else f"done in {seconds(deadline.took)}, deadline {within}"
    wrong.append(f"{role}: {checkpoint.do}: {status} ({detail})")
    actions.append(
        ActionItem.of(
            Failure.checkpoint(record.plan.name, checkpoint.id),
            f"{role}: {checkpoint.do} within {within}",
            source,
            detail,
        )
    )
