"""A run seen through its timeline: what every judgement reads.

The timeline is cut at the faults' actual injections and restores; each request belongs
to the segment of its start; requests still in flight at the end of the stop grace count
as timed out. Ledger rows are priced by the scenario and placed in the segment of the
user request carrying their id, or by their own time when no request matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chaos.kinds import FaultAction
from chaos.scenario.estimate import stop_grace
from chaos.scenario.model import Scenario
from chaos.scenario.objectives import Source
from chaos.segments import Segment, Timeline, Window, cut_timeline, fault_windows
from chaos.slo.data import NONE, Bools, Floats, Ints, Ledger, Requests, RunData

FAILED = "failed"
DEGRADED = "degraded"
UNKNOWN = "unknown"


@dataclass(frozen=True, eq=False)
class Frame:
    scenario: Scenario
    data: RunData
    timeline: Timeline
    windows: tuple[Window, ...]
    restored: frozenset[str]  # faults with a restore event (the others ran until load end)
    load_end: float  # offset at which load stopped (or was to stop)
    horizon: float  # the end of observation: load end plus the stop grace
    requests: Requests  # as judged: overdue in-flight requests are timeouts
    segment: Ints  # per request: index into ``segments``, or NONE when not judged
    ledger_segment: Ints  # per ledger row, likewise
    ledger_cost: Floats  # per ledger row, USD (0 for canaries)

    @property
    def segments(self) -> list[Segment]:
        return self.timeline.segments

    @property
    def ledger(self) -> Ledger:
        return self.data.ledger

    @property
    def providers(self) -> tuple[str, ...]:
        return self.data.providers

    def requests_in(self, segments: Sequence[Segment]) -> Bools:
        return np.isin(self.segment, self._indices(segments))

    def rows_in(self, segments: Sequence[Segment]) -> Bools:
        return np.isin(self.ledger_segment, self._indices(segments))

    def _indices(self, segments: Sequence[Segment]) -> list[int]:
        names = {segment.name for segment in segments}
        return [index for index, segment in enumerate(self.segments) if segment.name in names]

    def window(self, fault: str) -> Window | None:
        return next((window for window in self.windows if window.fault == fault), None)

    @property
    def ids_propagated(self) -> bool:
        """Whether the target passes request ids on to its providers (any row matched)."""
        ledger = self.ledger
        return bool(np.any((ledger.request >= 0) & ledger.billable))

    def ledger_source(self, source: Source) -> bool:
        """Whether "who served" comes from the ledger for this source."""
        if source is Source.AUTO:
            return self.scenario.target.served_by.ledger
        return source is Source.LEDGER

    @property
    def served_names(self) -> tuple[str, ...]:
        return served_names(self.providers)

    def served_codes(self, *, ledger: bool) -> Ints:
        """Who served each request, as an index into ``served_names``."""
        return served_codes(self.requests, len(self.providers), ledger=ledger)

    def served_counts(self, mask: Bools, *, ledger: bool) -> dict[str, int]:
        """Requests of ``mask`` per who served them (from the target's answer or the ledger)."""
        counts = np.bincount(self.served_codes(ledger=ledger)[mask], minlength=len(self.served_names))
        return {name: int(n) for name, n in zip(self.served_names, counts, strict=True) if n}

    def served_rows(self, mask: Bools) -> dict[str, int]:
        """2xx non-canary ledger rows of ``mask`` per provider: who served, by time, when
        the target does not pass request ids on."""
        ledger = self.ledger
        rows = mask & ledger.billable & (ledger.status >= 200) & (ledger.status < 300) & (ledger.provider >= 0)
        counts = np.bincount(ledger.provider[rows], minlength=len(self.providers))
        return {name: int(n) for name, n in zip(self.providers, counts, strict=True) if n}


def served_names(providers: Sequence[str]) -> tuple[str, ...]:
    """What a served code means: each provider, then unknown, degraded, failed."""
    return (*providers, UNKNOWN, DEGRADED, FAILED)


def served_codes(requests: Requests, providers: int, *, ledger: bool) -> Ints:
    """Who served each request (an index into ``served_names``), by the target's answer
    or by the ledger: a failure is failed; a degraded answer is degraded (unless the
    ledger shows a provider served it); otherwise the provider, or unknown."""
    served = requests.ledger_served if ledger else requests.served
    codes = np.where(served == NONE, providers, served).astype(np.int64)
    degraded = requests.degraded & (served == NONE) if ledger else requests.degraded
    codes[degraded] = providers + 1
    codes[requests.failed] = providers + 2
    return codes


def build_frame(scenario: Scenario, data: RunData, *, now: float | None = None) -> Frame:
    """The frame at the end of the run, or at ``now`` (an offset) for a check made while
    it runs: then load is taken to end at ``now`` and nothing after it is judged."""
    grace = stop_grace(scenario)
    if now is None:
        load_end = data.stopped if data.stopped is not None else scenario.load.duration
        horizon = load_end + grace
        timeline_grace = grace
    else:
        load_end = horizon = now
        timeline_grace = 0.0
    windows = tuple(fault_windows(data.faults, data.t0, load_end))
    timeline = cut_timeline(
        windows,
        order=[fault.name for fault in scenario.faults],
        judged_from=scenario.load.judged_from,
        load_end=load_end,
        settle=scenario.settle,
        stop_grace=timeline_grace,
    )
    requests = data.requests.resolved(horizon, grace)
    ledger = data.ledger
    fault_starts = sorted({window.start for window in windows})
    request_placed = placement(data.requests.sent, data.requests.ended, fault_starts)
    placed_at = np.where(ledger.request >= 0, request_placed[np.maximum(ledger.request, 0)], ledger.t)
    return Frame(
        scenario=scenario,
        data=data,
        timeline=timeline,
        windows=windows,
        restored=frozenset(event.fault for event in data.faults if event.action is FaultAction.RESTORE),
        load_end=load_end,
        horizon=horizon,
        requests=requests,
        segment=segment_of(timeline, placement(requests.sent, requests.ended, fault_starts)),
        ledger_segment=segment_of(timeline, placed_at),
        ledger_cost=ledger_costs(scenario, data.providers, data.ledger),
    )


def placement(sent: Floats, ended: Floats, fault_starts: Sequence[float]) -> Floats:
    """Where each request is judged: at its start, unless it was still in flight when a
    fault started; then at that fault's start (the first one it lived through).

    A stream cut by a fault that began while it was answering failed because of that
    fault: counting it in the segment before would blame the baseline for the fault, and
    leaving it out would hide a failure. Requests still in flight at the end count as
    ending at infinity."""
    if not fault_starts:
        return sent
    starts = np.asarray(fault_starts, dtype=np.float64)
    finish = np.where(np.isnan(ended), np.inf, ended)
    following = np.searchsorted(starts, sent, side="right")
    first = starts[np.minimum(following, len(starts) - 1)]
    lived_through = (following < len(starts)) & (first <= finish)
    return np.where(lived_through, first, sent)


def segment_of(timeline: Timeline, offsets: Floats) -> Ints:
    """Per offset, the index of its judged segment in ``timeline.segments``, or NONE."""
    spans = timeline.spans
    if not spans:
        return np.full(len(offsets), NONE, dtype=np.int64)
    names = [segment.name for segment in timeline.segments]
    starts = np.asarray([span.start for span in spans], dtype=np.float64)
    ends = np.asarray([span.end for span in spans], dtype=np.float64)
    of_span = np.asarray([names.index(span.name) if span.judged else NONE for span in spans] + [NONE], np.int64)
    index = np.searchsorted(starts, offsets, side="right") - 1
    inside = (index >= 0) & (offsets < ends[np.clip(index, 0, len(spans) - 1)])
    return np.where(inside, of_span[np.where(inside, index, -1)], NONE)


def ledger_costs(scenario: Scenario, providers: Sequence[str], ledger: Ledger) -> Floats:
    """USD each ledger row billed, at its provider's price (``Price.cost``, which is linear:
    a row costs its tokens times the cost of one); canaries bill 0."""
    prices = [scenario.providers[name].price for name in providers]
    per_input = np.asarray([price.cost(1, 0) if price else 0.0 for price in prices] + [0.0])
    per_output = np.asarray([price.cost(0, 1) if price else 0.0 for price in prices] + [0.0])
    provider = np.where(ledger.provider >= 0, ledger.provider, len(prices))
    cost = ledger.input_tokens * per_input[provider] + ledger.output_tokens * per_output[provider]
    return np.where(ledger.billable, cost, 0.0)
