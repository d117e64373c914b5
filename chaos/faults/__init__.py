"""Faults as a run carries them out: one class per kind, found through one registry.

Each class has ``inject()``, ``update()`` (for ramps, flaps and steps) and ``restore()``,
all idempotent: provider behaviours go through the mock providers' admin API (with a
TTL, so they expire even if the run is killed), network faults through the Toxiproxy
API, container faults through the Docker engine; ``registry.LIVE_FAULTS`` says which
class carries out which kind. Every fault is named after its run (``chaos-<run>-<fault>``),
or listed in its lease (containers), so that restoring or resetting one run never
touches another's.
"""

from chaos.faults.base import FaultContext, LiveFault
from chaos.faults.network import proxies_disabled_by
from chaos.faults.registry import live_fault

__all__ = ["FaultContext", "LiveFault", "live_fault", "proxies_disabled_by"]
