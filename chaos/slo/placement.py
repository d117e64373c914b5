"""Where each request is judged: the placement rules of the verdict.

A request belongs to the segment of its send time, with two amendments:

- **SLO ratios** (availability, latency, eval pass rate, cost): a request still in flight
  when a fault started is judged in that fault's segment (the first onset it lived
  through), *if that fault could affect it*. Without the rule, a stream cut by a fault
  that began while it was answering would blame the baseline for the fault; applied to
  requests a fault cannot touch, it would blame the fault for the baseline. Which
  in-flight requests a fault can affect depends on its kind (``IN_FLIGHT_REACH``).
- **Shares** (who served, degraded): a request counts where the call that served it was
  made, its serving ledger row's receive time. A request sent just before an outage and
  answered by the primary was served before the outage. A request no call served, as
  the target tells it (a cached or canned answer, a failure), counts where SLO ratios
  judge it: what became of it was decided by the faults it lived through, and the
  in-flight rule says which could reach them (a ``down`` that cut its stream midway and
  left it a cached answer did, though the provider saw only its client leave after
  tokens, as it sees a cost guard stop reading).

A request sent while the timeline is not judged (the warm-up, a settle window, a span
too short to judge) stays unjudged, whatever it lived through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from chaos.records import FaultEvent
from chaos.scenario.faults import FaultKind
from chaos.scenario.model import Scenario
from chaos.segments import Window
from chaos.slo.data import NONE, Bools, Floats, Ledger, Requests


class Reach(Enum):
    """Which requests in flight at a fault's onset the fault can affect."""

    LIVE = "every request in flight at the onset"
    NEW_CALLS = "a request in flight at the onset only if a call for it reached the fault's provider after the onset"


# One row per fault kind, with why.
IN_FLIGHT_REACH: Mapping[FaultKind, Reach] = {
    # A provider behaviour is decided when the provider receives a call, and changes the
    # calls that arrive while it is active (chaos/providers/behaviours.py): a call
    # already started keeps the answer it was getting.
    FaultKind.HTTP_ERROR: Reach.NEW_CALLS,
    FaultKind.RATE_LIMIT: Reach.NEW_CALLS,
    FaultKind.SLOW_FIRST_TOKEN: Reach.NEW_CALLS,
    FaultKind.SLOW_TOKENS: Reach.NEW_CALLS,  # the pace is chosen at receipt
    FaultKind.STREAM_CUT: Reach.NEW_CALLS,  # whether and where to cut, likewise
    FaultKind.HANG: Reach.NEW_CALLS,
    FaultKind.TOKEN_INFLATION: Reach.NEW_CALLS,
    FaultKind.QUALITY: Reach.NEW_CALLS,
    FaultKind.MODEL_SWAP: Reach.NEW_CALLS,  # the version is chosen at receipt
    # A toxic acts on the connections already open through its proxy, and a disabled
    # proxy ends them: a call in the middle of its answer is hit.
    FaultKind.NETWORK: Reach.LIVE,
    # Stopping, pausing or killing a container cuts what it is serving.
    FaultKind.CONTAINER: Reach.LIVE,
}


@dataclass(frozen=True)
class Onset:
    """One instant at which faults started, and which in-flight requests they can affect."""

    at: float
    live: bool  # a fault starting here reaches every request in flight
    providers: frozenset[int]  # otherwise: calls at these providers after ``at``
    any_provider: bool  # a fault of unknown provider: calls at any provider


def onsets(scenario: Scenario, windows: Sequence[Window], events: Sequence[FaultEvent]) -> list[Onset]:
    """The faults' starts in order, each with the reach of the faults starting there. A
    fault's kind is the one its events recorded; its provider, the scenario's."""
    kinds = {event.fault: event.kind for event in events}
    names = list(scenario.providers)
    by_start: dict[float, list[str]] = {}
    for window in windows:
        by_start.setdefault(window.start, []).append(window.fault)
    found = []
    for at in sorted(by_start):
        live, providers, any_provider = False, set(), False
        for fault in by_start[at]:
            kind = kinds.get(fault, "")
            if kind not in IN_FLIGHT_REACH or IN_FLIGHT_REACH[FaultKind(kind)] is Reach.LIVE:
                live = True
                continue
            provider = _provider(scenario, fault)
            if provider in names:
                providers.add(names.index(provider))
            else:
                any_provider = True
        found.append(Onset(at, live, frozenset(providers), any_provider))
    return found


def _provider(scenario: Scenario, fault: str) -> str | None:
    return next((f.target_provider for f in scenario.faults if f.name == fault), None)


def last_calls(ledger: Ledger, requests: int, providers: int) -> Floats:
    """``[request, provider]``: when the last call for the request reached the provider
    (-inf: none); column ``providers`` is the last call at any provider."""
    last = np.full((requests, providers + 1), -np.inf)
    rows = np.flatnonzero((ledger.request >= 0) & ledger.billable)
    known = rows[ledger.provider[rows] >= 0]
    np.maximum.at(last, (ledger.request[known], ledger.provider[known]), ledger.t[known])
    np.maximum.at(last[:, providers], ledger.request[rows], ledger.t[rows])
    return last


def ratio_placement(requests: Requests, calls: Floats, starts: Sequence[Onset], movable: Bools) -> Floats:
    """Where each request is judged for SLO ratios: its send time, or the first onset it
    was in flight at and could be affected by (only for ``movable`` requests, those sent
    while the timeline is judged). ``calls`` is ``last_calls`` of the same requests.
    Requests still in flight at the end count as ending at infinity."""
    placed = requests.sent.copy()
    finish = np.where(np.isnan(requests.ended), np.inf, requests.ended)
    waiting = movable.copy()
    for onset in starts:
        in_flight = waiting & (requests.sent < onset.at) & (onset.at <= finish)
        if not in_flight.any():
            continue
        if not onset.live:
            columns = [calls.shape[1] - 1] if onset.any_provider else sorted(onset.providers)
            reached = np.zeros(len(placed), dtype=np.bool_)
            for column in columns:
                reached |= calls[:, column] >= onset.at
            in_flight &= reached
        placed[in_flight] = onset.at
        waiting &= ~in_flight
    return placed


def share_placement(requests: Requests, ledger: Ledger, placed: Floats) -> Floats:
    """Where each request counts for who served and degraded shares: where the call that
    served it was made, or where SLO ratios judge it (``placed``) when no call served it
    (none found, or the target says it failed or answered degraded)."""
    row = requests.serving_row
    served = (row != NONE) & ~requests.failed & ~requests.degraded
    return np.where(served, ledger.t[np.where(served, row, 0)] if len(ledger) else placed, placed)
