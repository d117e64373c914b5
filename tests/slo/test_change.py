"""Who got which version, and what a canary plan came to, from a hand-made record set:
each request counts for the version of its first call (canary probes apart), the gate's
bounds keep later records out, and the exposure, time to roll back and the plan's
expectation are the figures worked out by hand below."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from chaos.kinds import CallEnd, Outcome, RequestKind
from chaos.records import LedgerRow, RequestEnded, dump_record
from chaos.scenario.change import Change
from chaos.scenario.change import Outcome as PlanOutcome
from chaos.scenario.loading import scenario_from_text
from chaos.slo.change import ChangeResult, HookCall, judge_change
from chaos.slo.versions import RunRecords, row_pricer, version_samples
from chaos.slo.wire import Row

T0 = 1000.0
BASE, CAND = ("primary", "2026-09"), ("primary", "2026-11")
SCENARIO = """
version: 1
name: hand-made
target: {start: [python, -m, app]}
providers:
  primary: {api: openai, model: m, price: {input: 3, output: 15}, versions: {2026-09: {}, 2026-11: {}}}
  secondary: {api: openai, model: n, price: {input: 2.5, output: 10}}
load: {users: 10, spawn_rate: 10, duration: 60s}
slos: {availability: {objective: 99%}}
change:
  baseline: {provider: primary, version: 2026-09}
  candidate: {provider: primary, version: 2026-11}
  at: 2s
  steps: [{share: 50%, hold: 3s}, {share: 100%, hold: 3s}]
  set_share: {http: {url: "/admin/canary?share={share}"}}
  expect: {outcome: rolled_back, within: WITHIN}
"""


def ended(
    rid: str,
    sent: float,
    end: float,
    *,
    kind: RequestKind = RequestKind.CHAT,
    ok: bool = True,
    first: float | None = None,
    passed: bool | None = None,
) -> RequestEnded:
    return RequestEnded(
        id=rid,
        kind=kind,
        endpoint="/v1/chat/completions",
        stream=True,
        t_sent=sent,
        t_first_token=first,
        t_ended=end,
        status=200 if ok else None,
        outcome=Outcome.OK if ok else Outcome.FAILED,
        eval_pass=passed,
    )


def row(
    seq: int,
    rid: str,
    t: float,
    provider: str,
    version: str | None,
    *,
    status: int = 200,
    tokens: tuple[int, int] = (0, 0),
    canary: bool = False,
) -> LedgerRow:
    end = CallEnd.COMPLETED if status == 200 else CallEnd.FAILED
    return LedgerRow(
        seq=seq,
        t=t,
        t_end=t + 0.2,
        provider=provider,
        endpoint="/v1/chat/completions",
        model="m",
        stream=True,
        status=status,
        end=end,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        request_id=rid,
        canary=canary,
        version=version,
    )


@pytest.fixture
def records(tmp_path: Path) -> RunRecords:
    requests = [
        ended("r1", 1001.0, 1001.5, kind=RequestKind.EVAL, first=1001.3, passed=True),  # baseline, right
        ended("r2", 1002.0, 1002.6, kind=RequestKind.EVAL, first=1002.4, passed=False),  # candidate, wrong
        ended("r3", 1003.0, 1003.7, first=1003.5),  # candidate failed (500), the secondary served it
        ended("r4", 1004.0, 1010.0, kind=RequestKind.EVAL, ok=False),  # candidate, timed out: no answer
        ended("r5", 1006.0, 1006.4, first=1006.3),  # candidate, after the rollback decision
    ]
    rows = [
        row(1, "r1", 1001.01, *BASE, tokens=(10, 5)),  # 10 x 3 + 5 x 15 = 105 micro-USD
        row(2, "r2", 1002.01, *CAND, tokens=(10, 3)),  # 30 + 45 = 75
        row(3, "r3", 1003.01, *CAND, status=500),  # bills nothing
        row(4, "r3", 1003.20, "secondary", None, tokens=(10, 20)),  # 25 + 200 = 225
        row(5, "r4", 1004.01, *CAND, status=499),  # the client left: nothing
        row(6, "r5", 1006.01, *CAND, tokens=(10, 4)),  # 30 + 60 = 90
        row(7, "probe", 1009.00, *CAND, tokens=(10, 4), canary=True),  # the gateway's own probe
    ]
    (tmp_path / "records.jsonl").write_text("".join(map(dump_record, requests)))
    (tmp_path / "ledger.jsonl").write_text("".join(map(dump_record, rows)))
    return RunRecords.read(tmp_path / "records.jsonl", tmp_path / "ledger.jsonl")


def _pricer() -> Callable[[Row], float]:
    return row_pricer(scenario_from_text(SCENARIO.replace("WITHIN", "1s"), Path("s.yaml")).scenario)


def scenario(within: str) -> Change:
    loaded = scenario_from_text(SCENARIO.replace("WITHIN", within), Path("hand-made.yaml"))
    assert loaded.scenario.change is not None
    return loaded.scenario.change


def test_a_request_counts_for_the_version_of_its_first_call_and_is_billed_for_every_call(records: RunRecords) -> None:
    pricer = _pricer()
    samples = version_samples(records, [BASE, CAND], pricer)
    base, cand = samples[BASE], samples[CAND]
    assert (base.requests, base.eval_passed, base.eval_answered) == (1, 1, 1)
    assert base.cost_usd == pytest.approx(105e-6)
    assert (cand.requests, cand.eval_passed, cand.eval_answered) == (4, 0, 1)  # r4 never answered
    assert cand.cost_usd == pytest.approx((75 + 225 + 90) * 1e-6)
    assert list(cand.ttft) == pytest.approx([0.4, 0.5, float("inf"), 0.3])
    assert list(cand.latency) == pytest.approx([0.6, 0.7, float("inf"), 0.4])


def test_a_gate_reads_only_what_had_ended_by_its_bounds(records: RunRecords) -> None:
    pricer = _pricer()
    samples = version_samples(records, [BASE, CAND], pricer, until=1003.9, ledger_seq=4)
    assert (samples[BASE].requests, samples[CAND].requests) == (1, 2)  # r1; r2 and r3
    assert samples[CAND].cost_usd == pytest.approx((75 + 225) * 1e-6)


@pytest.mark.parametrize(("within", "verdict"), [("1s", "pass"), ("500ms", "fail")])
def test_exposure_and_time_to_roll_back_are_worked_out_from_the_records(
    records: RunRecords, within: str, verdict: str
) -> None:
    change = scenario(within)
    pricer = _pricer()
    rolled = ChangeResult(
        baseline="primary@2026-09",
        candidate="primary@2026-11",
        min_sample=133,
        outcome=PlanOutcome.ROLLED_BACK,
        decided_at=5.5,
        rollback=HookCall(share=0.0, at=5.5, answered_at=5.6, ok=True, detail="HTTP 200"),
    )
    judged = judge_change(change, rolled, records, version_samples(records, [BASE, CAND], pricer), T0)
    exposure = judged.exposure
    assert exposure is not None
    assert (exposure.requests, exposure.failed, exposure.eval_answers, exposure.failed_evals) == (4, 1, 1, 1)
    assert exposure.extra_cost_usd == pytest.approx((390 - 4 * 105) * 1e-6)  # -30: the candidate was cheaper
    # r5's call, received at t+6.01 after the decision at t+5.5 (the probe at t+9 is the gateway's own).
    assert judged.time_to_roll_back == pytest.approx(0.51)
    assert judged.expectation is not None
    assert judged.expectation.verdict.value == verdict
    assert [v.version for v in judged.versions] == ["primary@2026-09", "primary@2026-11"]
    assert judged.versions[1].ttft_p50 == pytest.approx(0.4)  # nearest rank 2 of (0.3, 0.4, 0.5, inf)
    assert judged.versions[1].ttft_p95 is None  # lands on the failure


def test_a_plan_that_promoted_fails_an_expected_rollback(records: RunRecords) -> None:
    change = scenario("1s")
    promoted = ChangeResult(
        baseline="primary@2026-09", candidate="primary@2026-11", min_sample=133, outcome=PlanOutcome.PROMOTED
    )
    pricer = _pricer()
    judged = judge_change(change, promoted, records, version_samples(records, [BASE, CAND], pricer), T0)
    assert judged.time_to_roll_back is None
    assert judged.expectation is not None
    assert (judged.expectation.verdict.value, judged.expectation.reason) == ("fail", "it was promoted")
