"""Which class carries out each fault kind: one table, written out.

Every kind of ``FaultKind`` has its class (``tests/scenario/test_fault_kinds.py`` holds the
table to the language), so no scenario the language accepts fails mid-run for want of one.
"""

from __future__ import annotations

from collections.abc import Callable

from chaos.faults.base import FaultContext, LiveFault
from chaos.faults.container import ContainerFault
from chaos.faults.network import network_fault
from chaos.faults.provider import ProviderBehaviourFault
from chaos.scenario.faults import BEHAVIOURS, Fault, FaultKind

Factory = Callable[[Fault, FaultContext], LiveFault]

LIVE_FAULTS: dict[FaultKind, Factory] = {
    **dict.fromkeys(BEHAVIOURS, ProviderBehaviourFault),
    FaultKind.NETWORK: network_fault,
    FaultKind.CONTAINER: ContainerFault,
}


def live_fault(fault: Fault, context: FaultContext) -> LiveFault:
    return LIVE_FAULTS[fault.kind](fault, context)
