"""A run seen through its timeline: what every judgement reads.

The timeline is cut at the faults' actual injections and restores; each request is
placed by the rules of ``chaos.slo.placement`` (one placement for SLO ratios, one for
who-served and degraded shares); requests still in flight at the end of the stop grace
count as timed out. Ledger rows are priced by the scenario and placed in the segment of
the user request they served or were made for, or by their own time when no request
matches.
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
from chaos.slo.placement import last_calls, onsets, ratio_placement, share_placement

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
    load_end: float  # offset at which load stopped (its STOP record, or a killed run's last record)
    horizon: float  # the end of the judged timeline: load end plus the stop grace; a killed run's last record
    requests: Requests  # as judged: overdue in-flight requests are timeouts; those cut by the stop left out
    cut_segment: Ints  # per request cut by the stop (a kill, an abort's stop grace): its segment, or NONE
    placed: Floats  # per request: where SLO ratios judge it (its send time, or a fault's onset)
    share_placed: Floats  # per request: where shares count it (its serving call, or its send time)
    segment: Ints  # per request, for SLO ratios: index into ``segments``, or NONE when not judged
    share_segment: Ints  # per request, for who-served and degraded shares, likewise
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
        """Requests that SLO ratios judge in ``segments``."""
        return np.isin(self.segment, self._indices(segments))

    def shares_in(self, segments: Sequence[Segment]) -> Bools:
        """Requests that who-served and degraded shares count in ``segments``."""
        return np.isin(self.share_segment, self._indices(segments))

    @property
    def moved_in(self) -> Bools:
        """Requests judged at a fault's onset rather than at their send time."""
        moved: Bools = (self.segment != NONE) & (self.placed != self.requests.sent)
        return moved

    def cut_in(self, segments: Sequence[Segment]) -> int:
        """Requests cut by the stop that would have been judged in ``segments``."""
        return int(np.isin(self.cut_segment, self._indices(segments)).sum())

    def rows_in(self, segments: Sequence[Segment]) -> Bools:
        return np.isin(self.ledger_segment, self._indices(segments))

    def _indices(self, segments: Sequence[Segment]) -> list[int]:
        names = {segment.name for segment in segments}
        return [index for index, segment in enumerate(self.segments) if segment.name in names]

    def window(self, fault: str) -> Window | None:
        return next((window for window in self.windows if window.fault == fault), None)

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


def build_frame(
    scenario: Scenario,
    data: RunData,
    *,
    now: float | None = None,
    stopped_early: bool = False,
    killed: bool = False,
    timeline: Timeline | None = None,
) -> Frame:
    """The frame at the end of the run, or at ``now`` (an offset) for a check made while
    it runs: then load is taken to end at ``now`` and nothing after it is judged.

    A run with no STOP record was killed: its judged timeline ends at its last record,
    with no stop grace. One ``killed`` after its load stopped ends there too, its stop
    grace cut short: nothing was recorded after it. A ``timeline`` given replaces the cut
    by the faults (a capacity probe judges its steps as segments). A run killed or ``stopped_early``
    (aborted) cut the requests still in flight when it stopped, and those its stop grace
    ended: they are counted apart, never as failures of the target. A run that ran its
    course gave them the stop grace: they timed out."""
    grace = stop_grace(scenario)
    timeline_grace = 0.0
    if now is not None:
        load_end = horizon = now
    elif data.stopped is None:
        load_end = horizon = data.last_record
        stopped_early = True
    else:
        ran = min(grace, max(0.0, data.last_record - data.stopped)) if killed else grace
        load_end, horizon, timeline_grace = data.stopped, data.stopped + ran, ran
        stopped_early = stopped_early or killed
    windows = tuple(fault_windows(data.faults, data.t0, load_end, together=scenario.min_segment))
    if timeline is None:  # given: a capacity probe's steps, each judged as a segment
        timeline = cut_timeline(
            windows,
            order=[fault.name for fault in scenario.faults],
            judged_from=scenario.load.judged_from,
            load_end=load_end,
            settle=scenario.settle,
            stop_grace=timeline_grace,
            min_segment=scenario.min_segment,
        )
    everyone = data.requests
    sent_judged = segment_of(timeline, everyone.sent) != NONE
    calls = last_calls(data.ledger, len(everyone), len(data.providers))
    placed = ratio_placement(everyone, calls, onsets(scenario, windows, data.faults), sent_judged)
    share_placed = share_placement(everyone, data.ledger, placed)
    segment = np.where(sent_judged, segment_of(timeline, placed), NONE)
    share_segment = np.where(sent_judged, segment_of(timeline, share_placed), NONE)
    ledger = data.ledger
    made_for = ledger.request >= 0
    ledger_segment = np.where(made_for, segment[np.where(made_for, ledger.request, 0)], segment_of(timeline, ledger.t))
    cut = (everyone.in_flight | everyone.stopped) if stopped_early else np.zeros(len(everyone), dtype=np.bool_)
    survivors = np.flatnonzero(~cut)
    kept, requests = everyone.take(survivors).resolved(horizon, grace)
    rows = survivors[kept]
    return Frame(
        scenario=scenario,
        data=data,
        timeline=timeline,
        windows=windows,
        restored=frozenset(event.fault for event in data.faults if event.action is FaultAction.RESTORE),
        load_end=load_end,
        horizon=horizon,
        requests=requests,
        cut_segment=segment[cut],
        placed=placed[rows],
        share_placed=share_placed[rows],
        segment=segment[rows],
        share_segment=share_segment[rows],
        ledger_segment=ledger_segment,
        ledger_cost=ledger_costs(scenario, data.providers, data.ledger),
    )


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
