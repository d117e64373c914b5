"""``--scale``: every time in the run scales; the system's own times, rates and thresholds do not."""

from pathlib import Path

import pytest

from chaos.cli.main import main
from chaos.errors import ScenarioError
from chaos.scenario.loading import load_scenario
from chaos.scenario.plan import build_plan
from chaos.scenario.timeline import fault_steps

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = str(ROOT / "scenarios" / "provider-outage.yaml")

SCENARIO = """\
version: 1
name: scaled
target: {start: [python, -m, app]}
providers:
  primary: {api: openai, model: m, latency: {ttft: 500ms, jitter: 100ms, tokens_per_s: 50}}
  secondary: {api: openai, model: n}
load:
  users: 20
  spawn_rate: 10
  duration: 100s
  warmup: 8s
  client_timeout: 15s
  stop_grace: 3s
  wait: {min: 500ms, max: 1500ms}
  mix: {chat_stream: 70%, chat: 30%, eval: 0%}
faults:
  - name: flaky
    at: 30s
    for: 40s
    provider: primary
    http_error: {status: 503}
    schedule: {steps: [{at: 0s, rate: 100%}, {at: 20s, rate: 50%}]}
  - name: flapping
    at: 30s
    for: 20s
    network: {provider: secondary, toxic: latency, latency: 3s}
    schedule: {flap: {on: 5s, off: 5s}}
  - name: slow
    at: 40s
    for: 20s
    provider: secondary
    slow_first_token: {delay: 3s}
    schedule: {ramp: {delay: [1s, 3s]}, every: 2s}
settle: 10s
slos:
  availability: {objective: 99%}
  ttft_p95: {max: 2s}
alerts:
  - {severity: page, factor: 14.4, long: 30s, short: 5s, min_samples: 20}
expect:
  - {recovers_to: primary, within: 15s}
  - {no_traffic_to: primary, during: flaky, after: 2s}
abort:
  - {slo: availability, below: 80%, over: 10s}
"""


def load(tmp_path: Path, scale: float, text: str = SCENARIO):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return load_scenario(path, scale=scale)


def test_every_time_in_the_run_scales(tmp_path):
    s = load(tmp_path, 0.4).scenario
    assert (s.load.duration, s.load.warmup, s.settle) == (40, 3.2, 4)
    assert [(f.at, f.duration) for f in s.faults] == [(12, 16), (12, 8), (16, 8)]
    assert [step["at"] for step in s.faults[0].schedule.steps] == ["0s", "8s"]
    assert (s.faults[1].schedule.flap.on, s.faults[1].schedule.flap.off) == (2, 2)
    assert s.faults[2].schedule.every == 0.8
    assert (s.alerts[0].long, s.alerts[0].short) == (12, 2)
    assert s.abort[0].over == 4


def test_the_system_s_own_times_rates_and_thresholds_do_not(tmp_path):
    written, scaled = load(tmp_path, 1).scenario, load(tmp_path, 0.4).scenario
    assert scaled.providers == written.providers  # latency profiles
    assert (scaled.load.client_timeout, scaled.load.stop_grace) == (15, 3)
    assert (scaled.load.users, scaled.load.spawn_rate, scaled.load.wait) == (20, 10, written.load.wait)
    assert scaled.faults[1].network.latency == 3  # a toxic's latency
    assert scaled.faults[2].slow_first_token.delay == 3
    assert scaled.slos == written.slos
    assert scaled.expect == written.expect  # within and after: how fast the gateway reacts
    assert scaled.alerts[0].min_samples == 20


def test_the_steps_of_a_scaled_schedule_are_the_written_ones_at_scaled_offsets(tmp_path):
    written, scaled = load(tmp_path, 1).scenario, load(tmp_path, 0.5).scenario
    for before, after in zip(written.faults, scaled.faults, strict=True):
        steps = fault_steps(before, written.load.duration)
        halved = fault_steps(after, scaled.load.duration)
        assert [(s.offset / 2, s.action, s.spec, s.active) for s in steps] == [
            (s.offset, s.action, s.spec, s.active) for s in halved
        ]


def test_the_plan_of_a_scaled_run_has_the_same_segments_each_scaled(tmp_path):
    written = build_plan(load(tmp_path, 1).scenario)
    scaled = build_plan(load(tmp_path, 0.5).scenario, scale=0.5)
    # The ramp-up (2 s at 10 users a second) does not scale: the warm-up after it does.
    assert scaled.judged_from == 2 + 4
    halved = [(s.name, tuple((a / 2, b / 2) for a, b in s.spans)) for s in written.segments]
    assert halved[0] == ("baseline", ((5, 15),))
    assert [(s.name, s.spans) for s in scaled.segments] == [("baseline", ((6, 15),)), *halved[1:]]
    assert scaled.scale == 0.5
    # Segments with no fault at an onset scale exactly; a gateway's wait on a slow provider does not.
    assert scaled.segments[-1].requests == pytest.approx(written.segments[-1].requests / 2, rel=0.01)


def test_a_scale_that_leaves_no_baseline_is_a_located_error(tmp_path):
    with pytest.raises(ScenarioError) as raised:
        load(tmp_path, 0.06)
    first, *_ = raised.value.problems
    assert first.source == "--scale 0.06"
    assert first.path == "faults[0].at"
    assert "starts at 1.8s, inside the warm-up (until 2.48s" in first.message


def test_overrides_apply_to_the_file_as_written_then_the_scale(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    scenario = load_scenario(path, ["faults[0].at=40s"], scale=0.5).scenario
    assert scenario.faults[0].at == 20


def test_plan_says_what_a_shorter_run_can_still_decide(capsys):
    assert main(["plan", "--scale", "0.4", OUTAGE]) == 0
    out = capsys.readouterr().out
    assert "at scale 0.4: every time in the run is 0.4x as written" in out
    assert "decidable at scale 0.4: every SLO in every segment, and every expectation" in out
    assert main(["plan", "--scale", "0.2", OUTAGE]) == 0
    out = capsys.readouterr().out
    assert "warning: availability in baseline: about" in out
    assert "not everything is decidable at scale 0.2" in out


@pytest.mark.parametrize("command", ["validate", "plan", "run"])
@pytest.mark.parametrize("value", ["0", "-1", "abc"])
def test_a_scale_that_is_not_a_positive_number_is_refused(command, value, capsys):
    assert main([command, "--scale", value, OUTAGE]) == 2
    assert "--scale" in capsys.readouterr().err


def test_validate_checks_the_scaled_timeline(capsys):
    assert main(["validate", "--scale", "0.4", OUTAGE]) == 0
    assert main(["validate", "--scale", "0.03", OUTAGE]) == 2
    assert "--scale 0.03: faults[0].at: starts at 900ms, inside the warm-up" in capsys.readouterr().err
