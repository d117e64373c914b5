"""Every provider fault of the scenario language, as a run sends it, is taken by the mock
providers and changes the answer to a request it covers: none passes validation only to
get a 400 mid-run, or to do nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from chaos.providers.admin_client import AdminClient
from chaos.providers.behaviours import Behaviours, Decision
from chaos.scenario.faults import BEHAVIOURS, Fault, FaultKind
from chaos.scenario.loading import load_scenario
from tests.providers.conftest import Mock

EVERY_KIND = Path(__file__).resolve().parents[1] / "scenario" / "valid" / "every-kind.yaml"


@pytest.fixture(scope="module")
def provider_faults() -> list[Fault]:
    faults = [fault for fault in load_scenario(EVERY_KIND).scenario.faults if fault.kind.is_provider_behaviour]
    assert {fault.kind for fault in faults} == set(BEHAVIOURS)
    return faults


async def test_the_admin_api_takes_every_provider_kind_as_the_run_sends_it(
    mock: Mock, provider_faults: list[Fault]
) -> None:
    async with AdminClient(mock.admin) as admin:
        for fault in provider_faults:
            stored = await admin.put_behaviour(
                fault.name, provider=_served_by(fault), kind=fault.kind, spec=fault.spec, run="r1", ttl_s=30
            )
            assert (stored.kind, stored.spec) == (fault.kind, fault.spec)


def test_every_provider_kind_changes_the_answer_to_a_request_it_covers(provider_faults: list[Fault]) -> None:
    for fault in provider_faults:
        behaviours = Behaviours({"p"}, seed=7, versions={"p": ("2026-09", "2026-11")})
        always = fault.spec.model_copy(update={"rate": 1.0, "scope": None})
        behaviours.upsert(fault.name, {"provider": "p", fault.kind.value: always.model_dump(mode="json")})
        decision = behaviours.decide("p", "m", "/v1/chat/completions", stream=True)
        assert dataclasses.replace(decision, applied=[]) != Decision(), fault.kind


def _served_by(fault: Fault) -> str:
    """A provider of the room's mock that can take the fault (a model swap needs versions)."""
    return "v-oai" if fault.kind is FaultKind.MODEL_SWAP else "oai"
