"""Hand-made journals for the drill and history tests: ``chaos.journal.Journal`` models,
validated and written as a run writes them, with the figures a drill judges chosen.

A run here has a baseline (``base_requests`` requests billing ``base_cost`` USD) and one
fault segment named after its fault (``requests``, ``failed``, ``availability``,
``fault_cost``), and the response times given (seconds, ``"not_needed"`` or ``"never"``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chaos.journal import Journal, write_journal
from chaos.rundir import RunDir

_PERCENTILES = {"p50": 0.5, "p95": 0.9, "p99": 1.0, "p50_ok": 0.5, "p95_ok": 0.9, "p99_ok": 1.0}
_BUCKETS = {
    key: []
    for key in ("t", "requests", "failures", "degraded", "ttft_p50", "ttft_p95", "e2e_p50", "e2e_p95", "e2e_p99")
}


def _segment(name: str, faults: list[str], requests: int, *, failed: int, availability: float, cost: float) -> Any:
    return {
        "name": name,
        "faults": faults,
        "spans": [[10.0, 20.0]],
        "requests": requests,
        "moved_in": 0,
        "cut_by_stop": 0,
        "failed": failed,
        "availability": availability,
        "degraded_share": 0.0,
        "eval_pass_rate": None,
        "ttft": _PERCENTILES,
        "e2e": _PERCENTILES,
        "cost_usd": cost,
        "cost_per_request_usd": cost / requests if requests else None,
        "served_by_target": {},
        "served_by_ledger": {},
        "attributed_by_time": {"requests": 0, "several_calls": 0, "several_providers": 0},
    }


def journal(
    run_id: str,
    scenario: str,
    started_at: float,
    *,
    detect: float | str = "not_needed",
    mitigate: float | str = "not_needed",
    recover: float | str = "not_needed",
    fault: str = "primary-503",
    requests: int = 1000,
    failed: int = 0,
    availability: float | None = None,
    base_requests: int = 500,
    base_cost: float = 1.0,
    fault_cost: float = 2.0,
    verdict: str = "pass",
    status: str = "finished",
    budgets: dict[str, tuple[float, int, int]] | None = None,
) -> Journal:
    """A journal of a run of ``scenario``; ``budgets``: SLO -> (objective, judged, bad)."""
    availability = 1 - failed / requests if availability is None else availability
    evaluation = {
        "scenario": scenario,
        "counts": {
            "requests": requests + base_requests,
            "in_flight_at_end": 0,
            "cut_by_stop": 0,
            "ledger_rows": 0,
            "canary_rows": 0,
            "load_end": 100.0,
            "horizon": 105.0,
            "last_record": 105.0,
        },
        "spans": [],
        "segments": [
            _segment("baseline", [], base_requests, failed=0, availability=1.0, cost=base_cost),
            _segment(fault, [fault], requests, failed=failed, availability=availability, cost=fault_cost),
        ],
        "slos": [],
        "alerts": [],
        "expectations": [],
        "responses": [
            {
                "fault": fault,
                "injected_at": 30.0,
                "restored_at": 60.0,
                "detect": detect,
                "mitigate": mitigate,
                "recover": recover,
            }
        ],
        "buckets": {**_BUCKETS, "served_by_target": {}, "served_by_ledger": {}, "cost_usd": [], "faults": []},
        "aborted": None,
        "baseline_gate_failed": False,
        "verdict": {"verdict": verdict, "reason": f"hand-made: {verdict}", "exit_code": 0},
        "budgets": [
            {
                "slo": slo,
                "objective": objective,
                "judged": judged,
                "bad": bad,
                "consumed": None,
                "segments": [],
                "policy": [],
            }
            for slo, (objective, judged, bad) in (budgets or {}).items()
        ],
    }
    return Journal.model_validate(
        {
            "verdict": verdict,
            "reason": f"hand-made: {verdict}",
            "exit_code": 0,
            "status": status,
            "run_id": run_id,
            "scenario_name": scenario,
            "scenario_path": f"scenarios/{scenario}.yaml",
            "scenario_text": "version: 1\n",
            "environment": "local",
            "started_at": started_at,
            "t0": started_at + 2,
            "ended_at": started_at + 110,
            "versions": {"chaos": "test"},
            "evaluation": evaluation,
        }
    )


def write_run(run_dir: Path, made: Journal) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    write_journal(run_dir, made)
    return RunDir(run_dir).journal
