"""The timeline cut into segments by the faults active in each part of it, and the names
of its spans: the one definition the plan, the live view and the verdict share.

DESIGN.md, Definitions, "Segments" (docs/definitions.md): the timeline is cut at every
fault start and stop into spans named by their set of active faults (``baseline`` before
the first fault, ``recovery`` for fault-free time after one, ``a+b`` when both are
active); spans with the same set are pooled under one name. Warm-up (``warmup``), the
settle window after a restore that leaves no fault active (``settle``), the stop grace
(``grace``) and a segment shorter than the scenario's ``min_segment`` (``short``) are not
judged. The same function serves the plan (intended times), the live view and the
verdict (actual times).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chaos.kinds import FaultAction

if TYPE_CHECKING:  # the plan cuts the timeline without building the record models
    from chaos.records import FaultEvent

BASELINE = "baseline"  # judged, before the first fault
RECOVERY = "recovery"  # judged, fault-free after a fault (and its settle)
OVERALL = "overall"  # every judged segment, as ``during:`` names it
WARMUP = "warmup"  # not judged: from t = 0 until ramp-up plus load.warmup
SETTLE = "settle"  # not judged: after a restore that leaves no fault active
GRACE = "grace"  # not judged: the stop grace after the load ends
SHORT = "short"  # not judged: a segment shorter than the scenario's min_segment
JOINED_BY = "+"  # faults active together: ``a+b``

# Names a fault may not take: they name segments, or spans that are not judged.
RESERVED_NAMES = frozenset({BASELINE, RECOVERY, OVERALL, WARMUP, SETTLE, GRACE, SHORT})


@dataclass(frozen=True)
class Window:
    """A fault's active window in offsets from the start of load."""

    fault: str
    start: float
    end: float


@dataclass(frozen=True)
class Span:
    """A stretch of the timeline with one set of active faults."""

    start: float
    end: float
    name: str  # the segment it belongs to, or warmup / settle / grace / short when not judged
    faults: tuple[str, ...]
    judged: bool

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Segment:
    """Every judged span with one name, pooled."""

    name: str
    faults: tuple[str, ...]
    spans: tuple[tuple[float, float], ...]

    @property
    def duration(self) -> float:
        return sum(end - start for start, end in self.spans)


@dataclass(frozen=True)
class Timeline:
    spans: tuple[Span, ...]

    @property
    def segments(self) -> list[Segment]:
        """Judged segments in order of first appearance."""
        pooled: dict[str, list[Span]] = {}
        for span in self.spans:
            if span.judged:
                pooled.setdefault(span.name, []).append(span)
        return [
            Segment(name, spans[0].faults, tuple((span.start, span.end) for span in spans))
            for name, spans in pooled.items()
        ]

    def span_at(self, offset: float) -> Span | None:
        """The span ``offset`` falls in (None before 0 or after the stop grace)."""
        return next((span for span in self.spans if span.start <= offset < span.end), None)


def segment_name(active: Sequence[str], *, after_first_fault: bool) -> str:
    if active:
        return JOINED_BY.join(active)
    return RECOVERY if after_first_fault else BASELINE


def cut_timeline(
    windows: Sequence[Window],
    *,
    order: Sequence[str],
    judged_from: float,
    load_end: float,
    settle: float,
    stop_grace: float,
    min_segment: float,
) -> Timeline:
    """Cut ``[0, load_end + stop_grace)`` into spans.

    ``order`` is the canonical order of fault names (the scenario's), so that a set of
    active faults always gets the same name whichever started first. A segment (its
    spans pooled) shorter than ``min_segment`` is not judged: its spans are ``short``.
    """
    rank = {name: index for index, name in enumerate(order)}
    clipped = [Window(w.fault, max(0.0, w.start), min(w.end, load_end)) for w in windows if w.start < load_end]
    clipped = [w for w in clipped if w.end > w.start]
    first_start = min((w.start for w in clipped), default=load_end)

    def active_at(offset: float) -> tuple[str, ...]:
        names = {w.fault for w in clipped if w.start <= offset < w.end}
        return tuple(sorted(names, key=lambda name: (rank.get(name, len(rank)), name)))

    settle_starts = [w.end for w in clipped if w.end < load_end and not active_at(w.end)]
    cuts = {0.0, judged_from, load_end, load_end + stop_grace}
    for window in clipped:
        cuts.update((window.start, window.end))
    cuts.update(start + settle for start in settle_starts)
    points = sorted(cut for cut in cuts if 0 <= cut <= load_end + stop_grace)

    spans: list[Span] = []
    for start, end in itertools.pairwise(points):
        if end <= start:
            continue
        active = active_at(start)
        if start >= load_end:
            name, judged = GRACE, False
        elif start < judged_from:
            name, judged = WARMUP, False
        elif not active and any(s <= start < s + settle for s in settle_starts):
            name, judged = SETTLE, False
        else:
            name, judged = segment_name(active, after_first_fault=start >= first_start), True
        if spans and spans[-1].name == name and spans[-1].judged == judged and spans[-1].end == start:
            spans[-1] = Span(spans[-1].start, end, name, active, judged)
        else:
            spans.append(Span(start, end, name, active, judged))
    return Timeline(tuple(_too_short(spans, min_segment)))


def _too_short(spans: list[Span], min_segment: float) -> list[Span]:
    """The spans with those of every segment shorter than ``min_segment`` unjudged."""
    length: dict[str, float] = {}
    for span in spans:
        if span.judged:
            length[span.name] = length.get(span.name, 0.0) + span.duration
    short = {name for name, total in length.items() if total < min_segment - 1e-9}
    return [Span(s.start, s.end, SHORT, s.faults, False) if s.judged and s.name in short else s for s in spans]


def fault_windows(events: Sequence[FaultEvent], t0: float, load_end: float, *, together: float) -> list[Window]:
    """Each fault's actual window in offsets (to the microsecond): from its first successful
    injection to its restore, or to ``load_end`` when it has none; faults injected after the
    load ended are left out. Updates (ramps, flaps, steps) do not cut a window.

    Faults meant to act together (the same intended time) whose actual times lie within
    ``together`` seconds of each other are cut together: from the first of them in effect,
    to the last restored. Two API calls take milliseconds; those must not make segments of
    their own, with too few requests to judge. One that landed later than that cuts the
    timeline at its own actual time."""
    starts: dict[str, FaultEvent] = {}
    stops: dict[str, FaultEvent] = {}
    for event in sorted(events, key=lambda event: event.t_actual):
        if event.action is FaultAction.INJECT and event.ok:
            starts.setdefault(event.fault, event)
        elif event.action is FaultAction.RESTORE and event.fault in starts:
            stops[event.fault] = event
    first_in = _together(starts.values(), together, latest=False)
    last_out = _together(stops.values(), together, latest=True)
    windows = []
    for fault in starts:
        start = round(first_in[fault] - t0, 6)
        end = round(last_out[fault] - t0, 6) if fault in last_out else load_end
        if start < load_end:
            windows.append(Window(fault, start, end))
    return windows


def _instant(event: FaultEvent) -> float:
    return round(event.t_intended, 3)  # intended to the millisecond


def _together(events: Iterable[FaultEvent], within: float, *, latest: bool) -> dict[str, float]:
    """Per fault, when its event counts: among the events of its intended instant, those
    within ``within`` of the earliest (of the latest, for ``latest``) count at that one;
    any other at its own actual time."""
    grouped: dict[float, list[FaultEvent]] = {}
    for event in events:
        grouped.setdefault(_instant(event), []).append(event)
    at: dict[str, float] = {}
    for group in grouped.values():
        times = [event.t_actual for event in group]
        edge = max(times) if latest else min(times)
        for event in group:
            at[event.fault] = edge if abs(event.t_actual - edge) <= within + 1e-9 else event.t_actual
    return at
