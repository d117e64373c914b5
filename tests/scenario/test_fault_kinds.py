"""Every fault kind from one registry: the language's keys and settings, the kinds the mock
providers take, and the classes a run carries them out with agree on every kind, so that
a kind one side lacks fails here rather than mid-run."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from chaos.faults.base import FaultContext
from chaos.faults.registry import LIVE_FAULTS, live_fault
from chaos.providers.admin_client import AdminClient
from chaos.scenario.faults import BEHAVIOURS, Fault, FaultKind, FaultSpec, ProviderBehaviour
from chaos.scenario.loading import load_scenario
from chaos.scenario.model import Scenario
from chaos.slo.placement import IN_FLIGHT_REACH
from chaos.toxiproxy.client import ToxiproxyClient

EVERY_KIND = Path(__file__).parent / "valid" / "every-kind.yaml"
WHEN_AND_WHERE = {"name", "at", "duration", "provider", "schedule"}  # what every fault has, whatever its kind


@pytest.fixture(scope="module")
def every_kind() -> Scenario:
    scenario = load_scenario(EVERY_KIND).scenario
    assert {fault.kind for fault in scenario.faults} == set(FaultKind)
    return scenario


def test_a_fault_has_one_key_per_kind_named_as_the_kind() -> None:
    assert set(Fault.model_fields) - WHEN_AND_WHERE == {kind.value for kind in FaultKind}


def test_each_fault_is_the_kind_of_the_key_it_carries(every_kind: Scenario) -> None:
    for fault in every_kind.faults:
        written = fault.model_dump(by_alias=True, exclude_none=True)
        (key,) = set(written) - WHEN_AND_WHERE - {"for"}
        assert fault.kind.value == key
        assert isinstance(fault.spec, FaultSpec)


def test_the_providers_take_exactly_the_kinds_whose_settings_are_a_provider_behaviour() -> None:
    for kind in FaultKind:
        settings = get_args(Fault.model_fields[kind.value].annotation)
        behaviour = [arg for arg in settings if isinstance(arg, type) and issubclass(arg, ProviderBehaviour)]
        assert BEHAVIOURS.get(kind) == (behaviour[0] if behaviour else None), kind
        assert kind.is_provider_behaviour == bool(behaviour), kind


def test_every_kind_is_carried_out_by_a_class_named_after_the_run(every_kind: Scenario) -> None:
    context = FaultContext(
        run_id="r1",
        admin=AdminClient("http://127.0.0.1:9"),
        toxiproxy=ToxiproxyClient("http://127.0.0.1:9"),
        proxy_names={name: name for name in every_kind.providers},
        proxy_disabled=_nothing,
    )
    assert set(LIVE_FAULTS) == set(FaultKind)
    for fault in every_kind.faults:
        assert live_fault(fault, context).name == f"chaos-r1-{fault.name}"


async def _nothing(proxy: str, down: bool) -> None:
    return None


def test_the_verdict_knows_which_in_flight_requests_every_kind_can_affect() -> None:
    assert set(IN_FLIGHT_REACH) == set(FaultKind)
