"""Hand-made scenarios and runs for the SLO tests: records as a run writes them.

Times given to ``Run`` are offsets from t = 0; the records carry epoch seconds
(``T0 + offset``) like real ones, and go through the same decoder as a run's files.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from chaos.kinds import CallEnd, ErrorKind, FaultAction, LoadEventKind, Outcome, RequestKind
from chaos.records import FaultEvent, LedgerRow, LoadEvent, ProxyCounters, Record, RequestEnded, RequestSent
from chaos.scenario.model import Scenario
from chaos.slo.builder import RunDataBuilder
from chaos.slo.data import RunData

T0 = 1_700_000_000.0

BASE: dict[str, Any] = {
    "version": 1,
    "name": "test",
    "target": {"url": "http://127.0.0.1:9", "served_by": {"header": "x-served-by"}},
    "providers": {
        "primary": {"api": "openai", "model": "model-a", "price": {"input": 10, "output": 20}},
        "secondary": {"api": "openai", "model": "model-b", "price": {"input": 1, "output": 2}},
    },
    # judged from 10 s (ramp-up 1 s + warm-up 9 s); stop grace 5 s; settle 10 s
    "load": {"users": 10, "spawn_rate": 10, "duration": 100.0, "warmup": 9.0, "stop_grace": 5.0},
    "slos": {"availability": {"objective": "99%"}},
    "alerts": [],
}


def scenario(**changes: Any) -> Scenario:
    """The base scenario with top-level keys replaced (``load`` is merged)."""
    data = copy.deepcopy(BASE)
    if "load" in changes:
        data["load"] = {**data["load"], **changes.pop("load")}
    data.update(changes)
    return Scenario.model_validate(data)


@dataclass
class Run:
    records: list[Record] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.records.append(LoadEvent(event=LoadEventKind.START, t=T0))

    def request(
        self,
        sent: float,
        duration: float = 0.5,
        *,
        ok: bool = True,
        kind: RequestKind = RequestKind.CHAT,
        ttft: float | None = None,
        served: str | None = "primary",
        degraded: str | None = None,
        eval_pass: bool | None = None,
        error: ErrorKind = ErrorKind.HTTP_5XX,
        ends: bool = True,
        request_id: str | None = None,
        stopped: bool = False,
    ) -> str:
        """One request sent at ``sent``; ``ends=False`` leaves it in flight (no end record);
        ``stopped`` ends it as the load does one still in flight when its stop grace ran out."""
        request_id = request_id or f"r{next(self._ids)}"
        stream = kind is RequestKind.CHAT_STREAM
        common = {"id": request_id, "kind": kind, "endpoint": "/v1/chat/completions", "stream": stream}
        self.records.append(RequestSent(**common, t_sent=T0 + sent))
        if stopped:
            ok, error = False, ErrorKind.TIMEOUT
        if ends:
            first = sent + (ttft if ttft is not None else duration)
            self.records.append(
                RequestEnded(
                    **common,
                    t_sent=T0 + sent,
                    t_headers=T0 + sent + 0.01 if ok else None,
                    t_first_token=T0 + first if ok else None,
                    t_ended=T0 + sent + duration,
                    status=200 if ok else None if stopped else 503,
                    outcome=Outcome.OK if ok else Outcome.FAILED,
                    error_kind=None if ok else error,
                    served_by=served if ok else None,
                    degraded=degraded,
                    eval_pass=eval_pass if ok else None,
                    eval_id="q" if kind is RequestKind.EVAL else None,
                    stopped=stopped,
                )
            )
        return request_id

    def many(self, start: float, end: float, count: int, **options: Any) -> list[str]:
        """``count`` requests sent evenly over ``[start, end)``."""
        step = (end - start) / count
        return [self.request(start + index * step, **options) for index in range(count)]

    def fault(self, name: str, inject: float, restore: float | None = None, *, kind: str = "http_error") -> None:
        self.records.append(_fault(name, kind, FaultAction.INJECT, inject))
        if restore is not None:
            self.records.append(_fault(name, kind, FaultAction.RESTORE, restore))

    def ledger(
        self,
        t: float,
        provider: str,
        *,
        status: int = 200,
        request_id: str | None = None,
        input_tokens: int = 0,
        output_tokens: int = 0,
        canary: bool = False,
        duration: float = 0.1,
        end: CallEnd | None = None,
    ) -> None:
        """A call the provider received at ``t`` and ended ``duration`` later (completed
        for a 2xx, failed otherwise, unless ``end`` says)."""
        seq = sum(isinstance(record, LedgerRow) for record in self.records) + 1
        self.records.append(
            LedgerRow(
                seq=seq,
                t=T0 + t,
                t_end=T0 + t + duration,
                provider=provider,
                endpoint="/v1/chat/completions",
                model="m",
                stream=False,
                status=status,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                request_id=request_id,
                canary=canary,
                end=end or (CallEnd.COMPLETED if 200 <= status < 300 else CallEnd.FAILED),
            )
        )

    def proxy(self, t: float, proxy: str, *, accepted: int = 0, cut: int = 0, reset: int = 0) -> None:
        self.records.append(ProxyCounters(t=T0 + t, proxy=proxy, accepted=accepted, cut=cut, reset=reset))

    def stop(self, t: float) -> None:
        self.records.append(LoadEvent(event=LoadEventKind.STOP, t=T0 + t))

    def data(self, scenario: Scenario) -> RunData:
        builder = RunDataBuilder(scenario)
        builder.add_records(self.records)
        return builder.build()


def fault_event(fault: str, action: FaultAction, intended: float, actual: float) -> FaultEvent:
    """A network fault's event, meant at ``intended`` s and carried out at ``actual`` s."""
    return FaultEvent(
        run_id="r", fault=fault, kind="network", action=action, t_intended=T0 + intended, t_actual=T0 + actual
    )


def restored_one_by_one_on_an_abort() -> Run:
    """Issue 12's aborted run: ``a`` and ``b`` injected together at 12 s (``b`` 10 ms
    later) and restored one by one on the abort, ``b`` at 17.381 s and ``a`` at 17.385 s;
    73 requests sent from 10 s to 17.3 s."""
    run = Run()
    run.many(10, 17.3, 73)
    run.records += [
        fault_event("a", FaultAction.INJECT, 12.0, 12.0),
        fault_event("b", FaultAction.INJECT, 12.0, 12.01),
        fault_event("b", FaultAction.RESTORE, 17.381, 17.381),
        fault_event("a", FaultAction.RESTORE, 17.385, 17.385),
    ]
    return run


def _fault(name: str, kind: str, action: FaultAction, at: float) -> FaultEvent:
    return FaultEvent(run_id="run", fault=name, kind=kind, action=action, t_intended=T0 + at, t_actual=T0 + at)
