"""The probe's plan and its judgement, on hand-made record sets with hand-computed answers:
the staircase it runs, each step's state, the knee, the SLO that broke first, what
saturated, and a burst's shed load, 429s and recovery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaos.capacity.bursts import judge_burst
from chaos.capacity.plan import ProbePlan, Window, burst_plan, step_plan
from chaos.capacity.steps import StepState, find_knee, judge_steps
from chaos.kinds import ErrorKind
from chaos.providers.quotas import STANDING_QUOTA
from chaos.records import LedgerRow, dump_record
from chaos.rundir import RunDir
from chaos.scenario.capacity import CapacityProbe, ProbeBursts
from chaos.scenario.model import Scenario
from chaos.slo.results import AbortDecision
from tests.slo.slo_runs import Run, scenario

PROVIDERS = {
    "primary": {"api": "openai", "model": "model-a", "quota": {"rpm": 480, "window": "2s"}},
    "secondary": {"api": "openai", "model": "model-b"},
}


def probe_scenario(**changes: object) -> Scenario:
    base: dict[str, object] = {
        "providers": PROVIDERS,
        "slos": {"availability": {"objective": "90%"}, "e2e_p95": {"max": "1s"}},
        "load": {"client_timeout": 2.0},
        "settle": 5.0,
    }
    return scenario(**{**base, **changes})


def test_the_staircase_is_open_model_steps_each_with_its_ramp() -> None:
    probe = CapacityProbe.model_validate({"from": 2, "by": 2, "to": 7, "step": "6s"})
    plan = step_plan(probe_scenario(), probe)
    assert probe.rates == [2, 4, 6]
    # a request every 2 s per user: 2/s is 4 users, 4/s 8, 6/s 12; each step's first 2 s its ramp
    assert [(w.name, w.start, w.end, w.users) for w in plan.windows] == [
        ("step-1", 2, 6, 4),
        ("step-2", 8, 12, 8),
        ("step-3", 14, 18, 12),
    ]
    settings = dict(override.split("=", 1) for override in plan.overrides)
    assert json.loads(settings["load.shape"])["stages"] == [
        {"until": "6s", "users": 4, "spawn_rate": 2.0},  # new users spread over one interval
        {"until": "12s", "users": 8, "spawn_rate": 2.0},
        {"until": "18s", "users": 12, "spawn_rate": 2.0},
    ]
    assert json.loads(settings["load.wait"]) == {"every": "2s"}
    assert json.loads(settings["abort"]) == [
        {"slo": "availability", "below": "90%", "over": "4s"},
        {"slo": "e2e_p95", "below": "95%", "over": "4s"},
    ]
    assert (settings["load.duration"], settings["load.users"], settings["faults"]) == ("18s", "12", "[]")


def test_a_step_shorter_than_two_client_timeouts_is_refused() -> None:
    probe = CapacityProbe.model_validate({"from": 2, "by": 2, "to": 6, "step": "3s"})
    with pytest.raises(Exception, match=r"capacity.step \(3s\) must be at least twice load.client_timeout \(2s\)"):
        step_plan(probe_scenario(), probe)


def write_run(run: Run, run_dir: Path) -> Path:
    files = RunDir(run_dir)
    run_dir.mkdir(parents=True)
    ledger = [record for record in run.records if isinstance(record, LedgerRow)]
    others = [record for record in run.records if not isinstance(record, LedgerRow)]
    files.records.write_text("".join(dump_record(r) for r in others), encoding="utf-8")
    files.ledger.write_text("".join(dump_record(r) for r in ledger), encoding="utf-8")
    return run_dir


PLAN = ProbePlan(
    overrides=(),
    windows=(
        Window("step-1", 2, 6, 10, 20),
        Window("step-2", 8, 12, 20, 40),
        Window("step-3", 14, 18, 30, 60),
        Window("step-4", 20, 24, 40, 80),
    ),
    every=2.0,
    duration=24.0,
)


def staircase(tmp_path: Path) -> Path:
    """step-1: 80 answered (20/s); step-2: 80 sent, 4 failed (95%); step-3: 120 sent, 30
    failed with 429s from the primary's quota (75% < 90%), the run aborted at 18 s."""
    run = Run()
    for index, sent in enumerate(i * 0.05 + 2.02 for i in range(80)):
        run.request(sent, 0.2, request_id=f"a{index}")
        run.ledger(sent + 0.01, "primary", request_id=f"a{index}", input_tokens=10, output_tokens=5)
    for index, sent in enumerate(i * 0.05 + 8.01 for i in range(80)):
        run.request(sent, 0.2, ok=index % 20 != 0, request_id=f"b{index}")
    for index, sent in enumerate(i * (4 / 120) + 14.01 for i in range(120)):
        failed = index % 4 == 0
        run.request(sent, 0.2, ok=not failed, error=ErrorKind.HTTP_5XX, request_id=f"c{index}")
        if failed:
            run.ledger(sent + 0.01, "primary", request_id=f"c{index}", status=429)
    run.stop(18.0)
    return write_run(run, tmp_path / "run")


def quota_rows(run_dir: Path) -> None:
    """Mark the 429 rows as the standing quota's refusals, as a mock provider does."""
    files = RunDir(run_dir)
    rows = [json.loads(line) for line in files.ledger.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["status"] == 429:
            row["fault"] = STANDING_QUOTA
    files.ledger.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_each_step_is_judged_and_the_knee_is_the_last_before_the_first_broken(tmp_path: Path) -> None:
    run_dir = staircase(tmp_path)
    quota_rows(run_dir)
    sc = probe_scenario()
    from chaos.slo.loading import load_run

    steps = judge_steps(sc, load_run(run_dir, sc), run_dir, PLAN, stopped=None)
    assert [s.state for s in steps] == [
        StepState.HOLDING,  # 80 of 80: the Wilson intervals lie above 90% and 95%
        StepState.UNDECIDED,  # 76 of 80 (95%): above 90%, but the interval holds it
        StepState.BROKEN,  # 90 of 120 (75%)
        StepState.NOT_REACHED,
    ]
    assert steps[0].sent_per_s == 20.0
    assert steps[0].tokens_per_s == 80 * 15 / 4  # 80 calls of 15 tokens over the 4 s window
    assert steps[2].providers[0].refused_by_quota == 30
    assert steps[2].answered_per_s == 90 / 4  # 120 sent in the 4 s window, 30 failed
    knee = find_knee(steps)
    assert (knee.step, knee.rate, knee.broken_step, knee.broken_rate) == ("step-2", 20, "step-3", 30)
    assert knee.sent_per_s == 20.0
    assert knee.broke_first == "e2e_p95"  # the same 30 failures: a burn of 5 (25% of 5% allowed) against 2.5
    assert knee.saturated.startswith("provider primary's quota (rpm 480)")


def test_the_step_an_abort_rule_stopped_the_run_in_is_broken(tmp_path: Path) -> None:
    """The probe's own abort rule read step-2's share below 90% over its window (a ramp's
    failures can do that while the window it judges holds): step-2 is broken, step-1 the knee."""
    run_dir = staircase(tmp_path)
    sc = probe_scenario()
    from chaos.slo.loading import load_run

    stopped = AbortDecision(rule="slo availability below 90% over 4s", reason="availability was 85%", at=11.0)
    steps = judge_steps(sc, load_run(run_dir, sc), run_dir, PLAN, stopped=stopped)
    assert [s.state for s in steps[:2]] == [StepState.HOLDING, StepState.BROKEN]
    assert steps[1].below == ["availability"]
    knee = find_knee(steps)
    assert (knee.step, knee.broken_step, knee.broke_first) == ("step-1", "step-2", "availability")


def test_a_step_refused_by_nobody_saturates_the_load_or_the_target(tmp_path: Path) -> None:
    run_dir = staircase(tmp_path)  # the 429 rows not marked: not the standing quota
    sc = probe_scenario(providers={name: {k: v for k, v in p.items() if k != "quota"} for name, p in PROVIDERS.items()})
    from chaos.slo.loading import load_run

    steps = judge_steps(sc, load_run(run_dir, sc), run_dir, PLAN, stopped=None)
    assert find_knee(steps).saturated == "provider primary: 30 calls refused with 429"


def test_a_burst_is_judged_for_shed_load_429s_and_recovery(tmp_path: Path) -> None:
    """Before 2-12 s: 40 answered. The burst 12-16 s: 40 sent, every other one answered
    429 (shed 50%, 20 429s to users). After 16-40 s: one answered every 0.25 s. The 10 s
    window at 25 s holds the burst's last 5 failures (ended 15.07-15.97 s) against 39
    good (88.6% < 90%); at 26 s none: every SLO back 10 s after the burst, and staying so
    for the 5 s settle."""
    run = Run()
    for index in range(40):
        run.request(2.02 + index * 0.25, 0.5, request_id=f"a{index}")
    for index in range(40):
        failed = index % 2 == 0
        run.request(12.02 + index * 0.1, 0.05, ok=not failed, error=ErrorKind.HTTP_429, request_id=f"b{index}")
    for index in range(96):
        run.request(16.0 + index * 0.25, 0.5, request_id=f"c{index}")
    run.stop(40.0)
    run_dir = write_run(run, tmp_path / "burst")
    ended = RunDir(run_dir).records.read_text(encoding="utf-8").replace('"status":503', '"status":429')
    RunDir(run_dir).records.write_text(ended, encoding="utf-8")
    sc = probe_scenario(slos={"availability": {"objective": "90%"}})
    plan = burst_plan(sc, ProbeBursts.model_validate({"times": 2, "for": "4s", "lead": "10s", "after": "24s"}), 10)
    assert [(w.name, w.start, w.end) for w in plan.windows] == [
        ("before", 2, 12),
        ("burst", 12, 16),
        ("after", 16, 40),
    ]
    from chaos.slo.loading import load_run

    burst = judge_burst(sc, load_run(run_dir, sc), run_dir, plan, stopped=None)
    assert burst.shed == 0.5
    assert burst.http_429_to_users == 20
    assert burst.recovery == 10.0
    assert (burst.rate, burst.base_rate) == (20, 5)


def test_the_probe_report_says_the_knee_in_html_and_markdown(tmp_path: Path) -> None:
    from chaos.capacity.files import PROBE_FILE, write_outputs
    from chaos.capacity.probe import ProbeResult
    from chaos.capacity.probe_page import probe_page
    from chaos.slo.loading import load_run

    run_dir = staircase(tmp_path)
    quota_rows(run_dir)
    sc = probe_scenario()
    steps = judge_steps(sc, load_run(run_dir, sc), run_dir, PLAN, stopped=None)
    result = ProbeResult(
        scenario="probe",
        scenario_path="probe.yaml",
        probe=CapacityProbe.model_validate({"from": 10, "by": 10, "to": 40, "step": "6s"}),
        every=2.0,
        runs=[str(run_dir)],
        steps=steps,
        knee=find_knee(steps),
        burst=None,
    )
    out = tmp_path / "out"
    write_outputs(out, PROBE_FILE, result, probe_page(result))
    html = (out / "report.html").read_text(encoding="utf-8")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    sentence = "The knee: 20/s (step-2: 20.0 requests/s sent, 0 tokens/s billed); at 30/s e2e_p95 broke first"
    assert sentence in markdown
    assert sentence in html
    assert "<script" not in html
    assert (out / "charts" / "probe-steps.svg").is_file()
    assert ProbeResult.model_validate_json((out / PROBE_FILE).read_text(encoding="utf-8")) == result
