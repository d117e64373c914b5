"""Every fault kind, schedule, SLO form and expectation survives dump -> YAML -> load."""

from pathlib import Path

import pytest
import yaml

from chaos.scenario.faults import FaultKind
from chaos.scenario.loading import load_scenario
from chaos.scenario.objectives import EXPECTATION_KEYS

EVERY_KIND = Path(__file__).parent / "valid" / "every-kind.yaml"


@pytest.fixture(scope="module")
def every_kind():
    return load_scenario(EVERY_KIND).scenario


def test_the_example_uses_every_fault_kind_schedule_and_expectation(every_kind):
    assert {fault.kind for fault in every_kind.faults} == set(FaultKind)
    toxics = {fault.network.toxic for fault in every_kind.faults if fault.network is not None}
    assert toxics == {"latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data", "down"}
    forms = {
        form
        for fault in every_kind.faults
        if fault.schedule
        for form in ("ramp", "flap", "steps")
        if getattr(fault.schedule, form)
    }
    assert forms == {"ramp", "flap", "steps"}
    kinds = {next(key for key in EXPECTATION_KEYS if getattr(e, key, None) is not None) for e in every_kind.expect}
    assert kinds == set(EXPECTATION_KEYS)


def test_dump_and_reload_gives_the_same_scenario(every_kind, tmp_path):
    dumped = every_kind.model_dump(mode="json", by_alias=True, exclude_none=True)
    path = tmp_path / "roundtrip.yaml"
    path.write_text(yaml.safe_dump(dumped, sort_keys=False), encoding="utf-8")
    for name in ("chat.py", "evals.jsonl"):
        (tmp_path / name).write_bytes((EVERY_KIND.parent / name).read_bytes())
    again = load_scenario(path).scenario
    assert again == every_kind


def test_units_dump_as_written(every_kind):
    dumped = every_kind.model_dump(mode="json", by_alias=True, exclude_none=True)
    brownout = next(f for f in dumped["faults"] if f["name"] == "brownout")
    assert brownout["at"] == "1m40s"
    assert brownout["for"] == "30s"
    assert brownout["schedule"]["ramp"] == {"rate": ["5%", "100%"]}
    assert dumped["providers"]["primary"]["latency"] == {"ttft": "600ms", "jitter": "150ms", "tokens_per_s": 40.0}
    assert dumped["slos"]["availability"] == {"sli": "availability", "objective": "99%"}


def test_slo_names_say_what_they_measure(every_kind):
    ttft = every_kind.slos["ttft_p95"]
    assert (ttft.sli, ttft.metric.value, ttft.percentile, ttft.max, ttft.kind) == ("latency", "ttft", 95.0, 1.5, None)
    chat = every_kind.slos["chat_e2e_p99"]
    assert (chat.metric.value, chat.percentile, chat.kind.value) == ("e2e", 99.0, "chat")
    custom = every_kind.slos["custom"]
    assert (custom.metric.value, custom.percentile, custom.objective) == ("headers", 90.0, 0.9)
