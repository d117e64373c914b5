"""Which class carries out each fault kind: one table, written out.

A kind missing here is one ``chaos run`` refuses before anything starts
(``unsupported_faults``), never one that fails mid-run; ``container`` is such a kind
today (the language has it, nothing carries it out yet).
"""

from __future__ import annotations

from collections.abc import Callable

from chaos.errors import ChaosError
from chaos.faults.base import FaultContext, LiveFault
from chaos.faults.network import network_fault
from chaos.faults.provider import ProviderBehaviourFault
from chaos.scenario.faults import BEHAVIOURS, Fault, FaultKind
from chaos.scenario.model import Scenario

Factory = Callable[[Fault, FaultContext], LiveFault]

LIVE_FAULTS: dict[FaultKind, Factory] = {
    **dict.fromkeys(BEHAVIOURS, ProviderBehaviourFault),
    FaultKind.NETWORK: network_fault,
}


def live_fault(fault: Fault, context: FaultContext) -> LiveFault:
    factory = LIVE_FAULTS.get(fault.kind)
    if factory is None:
        raise ChaosError(f"fault {fault.name}: chaos run cannot inject {fault.kind.value} faults yet")
    return factory(fault, context)


def unsupported_faults(scenario: Scenario) -> list[str]:
    """``faults[i] (name): why`` for every fault of the scenario no class carries out."""
    return [
        f"faults[{index}] ({fault.name}): {fault.kind.value} faults are not carried out by chaos run yet"
        for index, fault in enumerate(scenario.faults)
        if fault.kind not in LIVE_FAULTS
    ]
