"""The live checks: abort rules every second, and the console's view of the last 10 s.

``LiveMonitor`` keeps incremental state that the orchestrator feeds with the lines it
tails (``records.jsonl``, and ``ledger.jsonl`` for the cost guard): per-second counts of
good and counted requests for each ratio SLO, the requests still in flight, and the
billed cost. ``check(now)`` reads windows of that state with the same arithmetic as the
verdict's alerts and response times (``series.window_counts``): a request in flight for
longer than a rule's window counts as bad. Checks are made at whole seconds from t = 0;
a rule is only checked once its whole window lies after t = 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from chaos.kinds import LoadEventKind
from chaos.records import Record, dump_record
from chaos.scenario.model import Scenario
from chaos.scenario.objectives import AvailabilitySlo, LatencyMetric, MaxCostRule, SloBelowRule
from chaos.scenario.selection import counted_kinds
from chaos.scenario.units import format_duration, format_percent
from chaos.slo.alerts import firing_series, watched
from chaos.slo.builder import provider_codes, served_lookup, to_offsets
from chaos.slo.data import KIND_CODE, Ints
from chaos.slo.frame import ledger_costs, served_codes, served_names
from chaos.slo.percentiles import nearest_rank
from chaos.slo.results import AbortDecision, Result
from chaos.slo.series import Signal, whole_seconds, window_counts
from chaos.slo.sli import Sli, latency_values, slis
from chaos.slo.wire import Ended, Load, Row, Sent, decode_chunk, ended_columns, field_values, ledger_columns

LIVE_WINDOW = 10
_AVAILABILITY = "__live_availability__"


class LiveSummary(Result):
    """The last ``LIVE_WINDOW`` seconds (by the second requests ended), for the console."""

    t: int = Field(description="Offset of the check.")
    rps: float = Field(description="Requests ended per second.")
    availability: float | None = Field(description="Good share; requests in flight too long count as bad.")
    ttft_p95_ok: float | None = Field(description="Nearest-rank p95 of successful streams' TTFT (s).")
    served_by: dict[str, float] = Field(description="Shares by the target's answer (failed, degraded, ...).")
    alerts: list[str] = Field(description="Rules firing now, as 'rule: slo'.")
    cost_usd: float


@dataclass
class _Counts:
    """Per-second counts of one SLO's ended requests (by the second they ended)."""

    counted: Ints
    good: Ints


class LiveMonitor:
    def __init__(self, scenario: Scenario, *, t0: float | None = None) -> None:
        self._scenario = scenario
        self._t0 = t0
        self._providers = tuple(scenario.providers)
        self._served = served_lookup(scenario)
        self._codes = provider_codes(scenario)
        self._slis = slis(scenario)
        self._slis[_AVAILABILITY] = Sli(AvailabilitySlo(sli="availability", objective=0.0), scenario.degraded)
        seconds = math.ceil(scenario.load.duration) + 120
        self._counts = {name: _Counts(_zeros(seconds), _zeros(seconds)) for name in self._slis}
        self._served_per_s = np.zeros((seconds, len(served_names(self._providers))), dtype=np.int64)
        self._ttft: dict[int, list[float]] = {}
        self._in_flight: dict[str, tuple[float, int]] = {}
        self._cost = 0.0

    @property
    def cost_usd(self) -> float:
        return self._cost

    def feed(self, chunk: bytes) -> None:
        """Whole JSON lines tailed from the run's files; raises ``wire.BadRecord``."""
        records = decode_chunk(chunk)
        for record in records:
            if isinstance(record, Load) and record.event == LoadEventKind.START.value and self._t0 is None:
                self._t0 = record.t
        sent = [record for record in records if isinstance(record, Sent)]
        ended = [record for record in records if isinstance(record, Ended)]
        rows = [record for record in records if isinstance(record, Row)]
        if self._t0 is None and (sent or ended):
            self._t0 = min([record.t_sent for record in sent] + [record.t_sent for record in ended])
        t0 = self._t0 or 0.0
        self._in_flight.update((record.id, (round(record.t_sent - t0, 6), KIND_CODE[record.kind])) for record in sent)
        for record in ended:
            self._in_flight.pop(record.id, None)
        if ended:
            self._add_ended(ended, t0)
        if rows:
            ledger = ledger_columns(field_values(rows, Row), self._codes)
            self._cost += float(ledger_costs(self._scenario, self._providers, ledger).sum())

    def feed_records(self, records: Iterable[Record]) -> None:
        self.feed("".join(dump_record(record) for record in records).encode())

    def _add_ended(self, ended: list[Ended], t0: float) -> None:
        requests = ended_columns(field_values(ended, Ended), self._served)
        for column in (requests.sent, requests.headers, requests.first_token, requests.ended):
            to_offsets(column, t0)
        second = np.maximum(np.floor(requests.ended), 0).astype(np.int64)
        self._grow(int(second.max()) + 1)
        for name, sli in self._slis.items():
            counted, good = sli.flags(requests)
            np.add.at(self._counts[name].counted, second[counted], 1)
            np.add.at(self._counts[name].good, second[good], 1)
        codes = served_codes(requests, len(self._providers), ledger=False)
        np.add.at(self._served_per_s, (second, codes), 1)
        ttft = latency_values(LatencyMetric.TTFT, requests)
        streams = (requests.kind == KIND_CODE["chat_stream"]) & np.isfinite(ttft)
        for s, value in zip(second[streams].tolist(), ttft[streams].tolist(), strict=True):
            self._ttft.setdefault(s, []).append(value)

    def _grow(self, seconds: int) -> None:
        size = len(self._served_per_s)
        if seconds <= size:
            return
        new = max(seconds, 2 * size)
        for counts in self._counts.values():
            counts.counted = np.concatenate([counts.counted, _zeros(new - size)])
            counts.good = np.concatenate([counts.good, _zeros(new - size)])
        self._served_per_s = np.concatenate(
            [self._served_per_s, np.zeros((new - size, self._served_per_s.shape[1]), dtype=np.int64)]
        )

    def _signals(self, second: int) -> dict[str, Signal]:
        """Each SLO's signal up to ``second``, with the requests still in flight."""
        flying = list(self._in_flight.values())
        sent = np.asarray([request[0] for request in flying], dtype=np.float64)
        kinds = np.asarray([request[1] for request in flying], dtype=np.int64)
        signals = {}
        for name, sli in self._slis.items():
            counts = self._counts[name]
            waiting = np.empty(0)
            if sli.counts_in_flight:
                waiting = sent[np.isin(kinds, [KIND_CODE[kind.value] for kind in counted_kinds(sli.slo)])]
            signals[name] = Signal(
                counts.counted[:second], counts.good[:second], waiting, np.full(len(waiting), np.inf)
            )
        return signals

    def _second(self, now: float) -> int:
        return math.floor(now - (self._t0 or now))

    def check(self, now: float) -> AbortDecision | None:
        """At epoch ``now``: the first abort rule that holds, if any."""
        second = self._second(now)
        signals = self._signals(second)
        for rule in self._scenario.abort:
            if isinstance(rule, MaxCostRule):
                if self._cost > rule.max_cost_usd:
                    return AbortDecision(
                        rule=f"max_cost_usd {rule.max_cost_usd:g}",
                        reason=f"billed ${self._cost:.4f} so far, above ${rule.max_cost_usd:g}",
                        at=float(second),
                    )
                continue
            decision = self._below(rule, second, signals)
            if decision is not None:
                return decision
        return None

    def _below(self, rule: SloBelowRule, second: int, signals: dict[str, Signal]) -> AbortDecision | None:
        if second < whole_seconds(rule.over) or rule.slo not in self._slis:
            return None
        good, counted = window_counts(signals[rule.slo], rule.over, np.asarray([second]))
        n, g = int(counted[0]), int(good[0])
        if n == 0 or g / n >= rule.below:
            return None
        over = format_duration(rule.over)
        return AbortDecision(
            rule=f"slo {rule.slo} below {format_percent(rule.below)} over {over}",
            reason=f"{rule.slo} was {g / n:.1%} ({g} of {n} good) over the last {over}",
            at=float(second),
        )

    def summary(self, now: float) -> LiveSummary:
        """The last ``LIVE_WINDOW`` seconds before the whole second at epoch ``now``."""
        second = self._second(now)
        low = max(0, second - LIVE_WINDOW)
        signals = self._signals(second)
        good, counted = window_counts(signals[_AVAILABILITY], LIVE_WINDOW, np.asarray([second]))
        served = self._served_per_s[low:second].sum(axis=0)
        total = int(served.sum())
        names = served_names(self._providers)
        ttft = [value for s in range(low, second) for value in self._ttft.get(s, ())]
        for stale in [s for s in self._ttft if s < low]:
            del self._ttft[stale]
        at = np.asarray([second])
        alerts = [
            f"{rule.label}: {name}"
            for rule in self._scenario.alerts
            for name in watched(rule, self._scenario_slis)
            if firing_series(rule, signals[name], self._slis[name].objective, at)[0]
        ]
        return LiveSummary(
            t=second,
            rps=float(self._counts[_AVAILABILITY].counted[low:second].sum()) / LIVE_WINDOW,
            availability=float(good[0] / counted[0]) if counted[0] else None,
            ttft_p95_ok=nearest_rank(np.asarray(ttft), 95),
            served_by={name: int(n) / total for name, n in zip(names, served, strict=True) if n},
            alerts=alerts,
            cost_usd=self._cost,
        )

    @property
    def _scenario_slis(self) -> dict[str, Sli]:
        return {name: sli for name, sli in self._slis.items() if name != _AVAILABILITY}


def should_abort(scenario: Scenario, chunk: bytes, now: float, *, t0: float | None = None) -> AbortDecision | None:
    """Given the lines written so far, does an abort rule hold at epoch ``now``? (The same
    code ``LiveMonitor`` runs every second, from scratch.)"""
    monitor = LiveMonitor(scenario, t0=t0)
    monitor.feed(chunk)
    return monitor.check(now)


def _zeros(length: int) -> Ints:
    return np.zeros(length, dtype=np.int64)
