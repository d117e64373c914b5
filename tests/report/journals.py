"""Hand-made journals for the report tests: records as a run writes them, judged by the real
evaluation, wrapped in a journal as ``chaos run`` (or ``chaos report``'s rebuild) does.

    passing()       a primary outage from 40 s to 60 s the gateway falls over from
    failing()       the same outage, but a fifth of the requests fail during it
    inconclusive()  too few requests in the outage to decide availability
    aborted()       an abort rule trips 3 s into an outage nobody falls over from
    killed()        killed at 25.6 s, rebuilt from the raw files
    not_started()   the target never came up: nothing ran
"""

from __future__ import annotations

from typing import Any

from chaos.journal import Journal, Rebuilt, RunStatus, bills
from chaos.kinds import ClientFinding, RequestKind
from chaos.records import FaultEvent, Finding, LedgerRow
from chaos.slo.evaluate import evaluate
from chaos.slo.results import AbortDecision, RunVerdict
from tests.slo.slo_runs import T0, Run, scenario
from tests.slo.test_stops import KILLED, killed_run

SECRET_ENV = "CHAOS_REPORT_TEST_KEY"
REFERENCE = "${" + SECRET_ENV + "}"
SCENARIO_TEXT = f"""version: 1
name: test
target:
  url: http://127.0.0.1:9
  headers:
    Authorization: Bearer {REFERENCE}
"""
SLOS: dict[str, Any] = {
    "availability": {"objective": "95%"},
    "ttft_p95": {"max": 1.5},
    "cost_per_request": {"max": 0.01},
}
EXPECT = [{"served_by": "secondary", "during": "outage", "at_least": "90%"}]


def journal_of(
    run: Run,
    *,
    aborted: AbortDecision | None = None,
    status: RunStatus = RunStatus.FINISHED,
    findings: list[Finding] | None = None,
    **changes: Any,
) -> Journal:
    """The journal ``chaos run`` would write for ``run`` under the base scenario with ``changes``."""
    sc = scenario(**{"slos": SLOS, "expect": EXPECT, **changes})
    evaluation = evaluate(sc, run.data(sc), aborted=aborted, findings=findings or [])
    return Journal(
        verdict=evaluation.verdict.verdict,
        reason=evaluation.verdict.reason,
        exit_code=evaluation.verdict.exit_code,
        status=status,
        run_id="20261207-130000-abcd",
        scenario_name=sc.name,
        scenario_path="scenarios/test.yaml",
        scenario_text=SCENARIO_TEXT,
        environment="local",
        started_at=T0 - 2,
        t0=T0,
        ended_at=T0 + evaluation.counts.horizon,
        versions={"chaos": "0.test", "python": "3.11", "target": "gateway 1.2.3"},
        events=[record for record in run.records if isinstance(record, FaultEvent)],
        ledger=bills(sc, [record for record in run.records if isinstance(record, LedgerRow)]),
        findings=findings or [],
        evaluation=evaluation,
    )


def _outage_run(failed_every: int = 0, outage_requests: int = 200) -> Run:
    """10 requests a second from 10 s to 100 s, 0.4 s TTFT; the primary down from 40 s to
    60 s, the secondary serving then; every ``failed_every``-th outage request fails."""
    run = Run()
    for index in range(900):
        sent = 10 + index / 10
        in_outage = 40 <= sent < 60
        if in_outage and index % max(1, 200 // outage_requests) != 0:
            continue
        ok = not (in_outage and failed_every and index % failed_every == 0)
        provider = "secondary" if in_outage else "primary"
        request_id = run.request(sent, duration=0.8, ttft=0.4, ok=ok, served=provider, kind=RequestKind.CHAT_STREAM)
        run.ledger(sent + 0.01, provider, request_id=request_id, input_tokens=100, output_tokens=50)
    run.fault("outage", 40, 60)
    run.stop(100)
    return run


def passing() -> Journal:
    return journal_of(_outage_run())


def failing() -> Journal:
    finding = Finding(
        kind=ClientFinding.HAMMERING_FAILED_PROVIDER,
        provider="primary",
        request_ids=["r401", "r402", "r403", "r404"],
        detail="kept calling primary after it failed",
    )
    alerts = [{"severity": "page", "factor": 2, "long": "10s", "short": "2s", "slos": ["availability"]}]
    return journal_of(_outage_run(failed_every=5), findings=[finding], alerts=alerts)


def inconclusive() -> Journal:
    return journal_of(_outage_run(outage_requests=20))


def aborted() -> Journal:
    run = Run()
    run.many(10, 30, 200, duration=0.05)
    run.fault("outage", 30)
    run.many(30.4, 33.2, 28, duration=0.05, ok=False)
    run.stop(33.2)
    rule = "slo availability below 80% over 10s"
    decision = AbortDecision(rule=rule, reason="availability was 75.0% (75 of 100 good) over the last 10s", at=33)
    return journal_of(run, aborted=decision, abort=[{"slo": "availability", "below": "80%", "over": "10s"}])


def killed() -> Journal:
    journal = journal_of(killed_run(), aborted=KILLED, status=RunStatus.REBUILT)
    journal.rebuilt = Rebuilt(
        at=T0 + 100,
        reason="the run was killed before it finished its journal",
        files={"records.jsonl": 308, "events.jsonl": 1, "ledger.jsonl": 1, "proxies.jsonl": 0},
        ended_at=25.6,
    )
    return journal


def not_started() -> Journal:
    return Journal(
        verdict=RunVerdict.ERROR,
        reason="the target did not answer 2xx within 2 s (target.ready_timeout)",
        exit_code=2,
        status=RunStatus.NOT_STARTED,
        run_id="20261207-130000-dead",
        scenario_name="test",
        scenario_path="scenarios/test.yaml",
        scenario_text=SCENARIO_TEXT,
        environment="local",
        started_at=T0 - 2,
        versions={"chaos": "0.test"},
    )


ALL = {
    "pass": passing,
    "fail": failing,
    "inconclusive": inconclusive,
    "aborted": aborted,
    "killed": killed,
    "not-started": not_started,
}
