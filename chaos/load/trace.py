"""One request's timeline, measured as it happens, and the records it becomes.

Times are taken on a monotonic clock and anchored to the wall clock once, when the
request is sent, so that every duration is exact and every record carries epoch seconds.
TTFT is the first non-empty text delta (the whole body for an answer that is not
streamed); ITL is the gaps between text deltas after the first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from chaos.kinds import ErrorKind, Outcome, RequestKind
from chaos.records import RequestEnded, RequestSent


@dataclass(slots=True)
class Trace:
    id: str
    kind: RequestKind
    endpoint: str
    stream: bool
    worker: str | None = None
    t_sent: float = field(default_factory=time.time)
    sent_at: float = field(default_factory=time.perf_counter)
    headers_at: float | None = None
    first_token_at: float | None = None
    last_token_at: float | None = None
    deltas: int = 0
    gap_sum: float = 0.0
    gap_max: float = 0.0
    status: int | None = None
    error_kind: ErrorKind | None = None
    error: str | None = None
    output_tokens: int | None = None
    served_by: str | None = None
    degraded: str | None = None
    eval_id: str | None = None
    eval_pass: bool | None = None
    stopped: bool = False
    text: list[str] = field(default_factory=list)

    def headers(self, status: int, now: float) -> None:
        self.status = status
        self.headers_at = now

    def delta(self, text: str, now: float) -> None:
        """A text delta arrived at ``now``; empty ones do not count as tokens."""
        if not text:
            return
        self.text.append(text)
        if self.last_token_at is None:
            self.first_token_at = now
        else:
            gap = now - self.last_token_at
            self.gap_sum += gap
            self.gap_max = max(self.gap_max, gap)
        self.last_token_at = now
        self.deltas += 1

    def fail(self, kind: ErrorKind | None, error: str) -> None:
        """The first failure is the reason; later ones are consequences.

        ``kind`` is None only when the load generator itself failed, not the target.
        """
        if self.error is None:
            self.error_kind = kind
            self.error = error

    def cut_by_stop(self) -> None:
        """The load stopped with the request still in flight (its stop grace ran out): a
        timeout, marked so that the verdict can tell the stop's doing from the target's."""
        if self.error is None:
            self.stopped = True
        self.fail(ErrorKind.TIMEOUT, "still in flight when the stop grace ran out")

    @property
    def answer(self) -> str:
        return "".join(self.text)

    def sent(self) -> RequestSent:
        return RequestSent(
            id=self.id,
            kind=self.kind,
            endpoint=self.endpoint,
            stream=self.stream,
            t_sent=self.t_sent,
            worker=self.worker,
        )

    def ended(self, now: float) -> RequestEnded:
        gaps = self.deltas - 1
        return RequestEnded(
            id=self.id,
            kind=self.kind,
            endpoint=self.endpoint,
            stream=self.stream,
            t_sent=self.t_sent,
            t_headers=self._wall(self.headers_at),
            t_first_token=self._wall(self.first_token_at),
            t_ended=self.t_sent + (now - self.sent_at),
            status=self.status,
            outcome=Outcome.OK if self.error is None else Outcome.FAILED,
            error_kind=self.error_kind,
            error=self.error,
            output_tokens=self.output_tokens if self.output_tokens is not None else self.deltas,
            itl_mean=self.gap_sum / gaps if gaps > 0 else None,
            itl_max=self.gap_max if gaps > 0 else None,
            served_by=self.served_by,
            degraded=self.degraded,
            eval_id=self.eval_id,
            eval_pass=self.eval_pass,
            worker=self.worker,
            stopped=self.stopped,
        )

    def _wall(self, at: float | None) -> float | None:
        return None if at is None else self.t_sent + (at - self.sent_at)
