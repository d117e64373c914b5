"""A run's canary plan as a report section: the versions side by side, each gate's
decision with its figures, the time to roll back and who got the candidate.

Everything is read from the journal's ``change`` (``chaos.slo.change``), which the run
computed from records.jsonl and ledger.jsonl; each gate keeps the bounds it read them
to (``until``, ``ledger_seq``), so its figures can be recomputed from those files.
"""

from __future__ import annotations

from chaos.report import figures as fig
from chaos.report.view import Cell, Section, Table, table
from chaos.slo.change import ChangeResult
from chaos.slo.gates import Check, GateDecision

_TONE = {GateDecision.PROMOTE: "pass", GateDecision.HOLD: "inconclusive", GateDecision.ROLL_BACK: "fail"}


def change_section(change: ChangeResult) -> Section:
    return Section(
        f"Canary: {change.baseline} vs {change.candidate}",
        paragraphs=tuple(_story(change)),
        tables=(versions_table(change), gates_table(change)),
        key="change",
    )


def _story(change: ChangeResult) -> list[str]:
    shares = " -> ".join(fig.percent(step.share, 0) for step in change.steps) or "no step was reached"
    lines = [f"Outcome: {change.outcome.value.replace('_', ' ')} (shares set: {shares})."]
    if change.rollback is not None and change.decided_at is not None:
        answered = "answered" if change.rollback.ok else "FAILED"
        lines.append(
            f"Rolled back at {fig.offset(change.decided_at)}; the rollback hook {answered} at "
            f"{fig.offset(change.rollback.answered_at)}; time to roll back: "
            f"{fig.seconds(change.time_to_roll_back, 2)} (to the later of that and the candidate's last call)."
        )
    exposure = change.exposure
    if exposure is not None:
        lines.append(
            f"Users who got the candidate: {fig.count(exposure.requests)} requests, {fig.count(exposure.failed)} "
            f"failed, {fig.count(exposure.failed_evals)} of {fig.count(exposure.eval_answers)} eval answers wrong, "
            f"{fig.usd(exposure.cost_usd)} billed ({_signed_usd(exposure.extra_cost_usd)} against the baseline's "
            "cost per request)."
        )
    lines.append(
        f"Each gate needed {change.min_sample} samples per version. A request counts for the version its first "
        "provider call went to (the ledger's version), whichever call then served it."
    )
    return lines


def _signed_usd(value: float) -> str:
    return ("+" if value >= 0 else "-") + fig.usd(abs(value))


def versions_table(change: ChangeResult) -> Table:
    return table(
        "Versions side by side (the whole run)",
        ("version", "requests", "failed", "eval pass rate", "TTFT p50", "TTFT p95", "latency p50", "cost/request"),
        (
            (
                Cell(v.version, code=True),
                fig.count(v.requests),
                fig.count(v.failed),
                f"{fig.percent(v.eval_pass_rate)} of {fig.count(v.eval_answers)}",
                fig.seconds(v.ttft_p50, 3),
                fig.seconds(v.ttft_p95, 3),
                fig.seconds(v.latency_p50, 3),
                f"${v.cost_per_request:.6f}",
            )
            for v in change.versions
        ),
        note="Percentiles by nearest rank, a failed request counting as infinitely slow (-: it lands on one).",
    )


def gates_table(change: ChangeResult) -> Table:
    rows = []
    for step in change.steps:
        for record in step.gates:
            for check in record.gate.checks:
                rows.append(
                    (
                        fig.offset(record.at),
                        fig.percent(step.share, 0),
                        check.sli,
                        _figure(check, check.baseline, check.baseline_n),
                        _figure(check, check.candidate, check.candidate_n),
                        _test(check),
                        Cell(check.decision.value.replace("_", " "), _TONE[check.decision]),
                        check.reason,
                    )
                )
    return table(
        "Gates",
        ("at", "share", "SLI", "baseline", "candidate", "test", "decision", "why"),
        rows,
        note="Each gate read the requests ended by its `until` and the ledger rows up to its `ledger_seq` "
        "(in journal.json); a gate is the worst of its checks.",
    )


def _figure(check: Check, value: float | None, n: int) -> str:
    if check.sli == "eval_pass_rate":
        return f"{fig.percent(value)} of {n:,}"
    if check.sli == "cost_per_request":
        return "-" if value is None else f"${value:.6f} ({n:,})"
    return f"p50 {fig.seconds(value, 3)} ({n:,})"


def _test(check: Check) -> str:
    if check.test is None:
        return "-"
    parts = [check.test.replace("_", " ")]
    if check.p_worse is not None:
        parts.append(f"p worse {check.p_worse:.3g}")
    if check.p_not_worse is not None:
        parts.append(f"p within {check.p_not_worse:.3g}")
    if check.bound is not None:
        parts.append(f"difference at least {check.bound * 100:+.2f} points")
    return ", ".join(parts)
