"""The records every room writes and reads: one JSON object per line, one format.

    records.jsonl   RequestSent, RequestEnded,     written by the load recorder
                    LoadEvent
    events.jsonl    FaultEvent                     written by the orchestrator
    ledger.jsonl    LedgerRow                      billed by the mock providers
    proxies.jsonl   ProxyCounters                  read from the proxies' /metrics
    (journal)       Finding                        client findings, read from the ledger

Times are wall-clock epoch seconds as observed by the process that wrote the record
(records from Locust workers are rebased to the master's clock). Offsets from the start
of load are computed by readers, never stored. Each record carries ``record``, its type,
so that mixed streams stay readable.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from chaos.kinds import CallEnd, ClientFinding, ErrorKind, FaultAction, LoadEventKind, Outcome, RequestKind


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RequestSent(Record):
    """Written when a request leaves the load generator, so one that never ends is seen."""

    record: Literal["sent"] = "sent"
    id: str = Field(description="The x-request-id the request carried.")
    kind: RequestKind
    endpoint: str
    stream: bool
    t_sent: float
    worker: str | None = None


class RequestEnded(Record):
    """Written when a request ends, however it ended."""

    record: Literal["ended"] = "ended"
    id: str
    kind: RequestKind
    endpoint: str
    stream: bool
    t_sent: float
    t_headers: float | None = Field(None, description="Response headers received.")
    t_first_token: float | None = Field(
        None, description="First non-empty text delta (the whole body if not streamed)."
    )
    t_ended: float
    status: int | None = Field(None, description="HTTP status; None when no response came.")
    outcome: Outcome
    error_kind: ErrorKind | None = None
    error: str | None = Field(None, description="A short human-readable reason.")
    output_tokens: int = 0
    itl_mean: float | None = Field(None, description="Mean gap between text deltas after the first (s).")
    itl_max: float | None = None
    served_by: str | None = Field(None, description="Provider named by the target's answer, if it says.")
    degraded: str | None = Field(None, description="The target's degraded marker, e.g. cached or canned.")
    eval_id: str | None = None
    eval_pass: bool | None = None
    worker: str | None = None
    stopped: bool = Field(
        False, description="Still in flight when the load's stop grace ran out: ended by the stop, as a timeout."
    )


class LoadEvent(Record):
    """Something that happened to the load as a whole."""

    record: Literal["load"] = "load"
    event: LoadEventKind
    t: float
    worker: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class FaultEvent(Record):
    record: Literal["fault"] = "fault"
    run_id: str
    fault: str = Field(description="The fault's name in the scenario.")
    kind: str
    action: FaultAction
    t_intended: float
    t_actual: float
    settings: dict[str, Any] = Field(default_factory=dict)
    ok: bool = True
    error: str | None = None


class LedgerRow(Record):
    """One request a mock provider received, and what it billed."""

    record: Literal["ledger"] = "ledger"
    seq: int = Field(0, description="Increasing per providers process, in the order rows were written.")
    t: float = Field(description="When the provider received the request.")
    t_end: float
    provider: str
    endpoint: str
    model: str
    stream: bool
    status: int
    end: CallEnd = Field(description="How the call ended, from the provider's side (see served).")
    fault: str | None = Field(None, description="The behaviours applied, by name, joined by +.")
    retry_after_s: float | None = Field(None, description="The Retry-After the answer carried, in seconds.")
    input_tokens: int = 0
    output_tokens: int = Field(0, description="Output tokens actually sent (partial streams included).")
    request_id: str | None = None
    attempt: int = Field(1, description="Attempt number of this request id at this provider.")
    duration_s: float = 0.0
    canary: bool = Field(False, description="Marked x-chaos-canary: the target's own probes.")
    run_id: str | None = None
    version: str | None = Field(None, description="The model version that answered, when the provider has versions.")
    traceparent: str | None = Field(
        None, description="The W3C traceparent the call carried: the trace and span of the target's call."
    )

    @property
    def served(self) -> bool:
        """Whether the call can have served a user request: a 2xx answer the provider
        completed, or one its client stopped reading after tokens came (a gateway's cost
        guard cuts an answer and relays it). A call its client left before any token (a
        first-token timeout) served nobody, though it is billed 200; so did one a fault cut.
        ``chaos.slo.data.Ledger.serving`` reads the columns the same way."""
        answered = self.end is CallEnd.COMPLETED or (self.end is CallEnd.CLIENT_DISCONNECTED and self.output_tokens > 0)
        return 200 <= self.status < 300 and answered


class ProxyCounters(Record):
    """Connections a proxy accepted, and of those how many a toxic cut or reset."""

    record: Literal["proxy"] = "proxy"
    t: float
    proxy: str
    accepted: int
    cut: int
    reset: int


class Finding(Record):
    """A client finding: the target misbehaved towards a provider, with the ids that show it."""

    record: Literal["finding"] = "finding"
    kind: ClientFinding
    provider: str
    request_ids: list[str]
    detail: str


AnyRecord = Annotated[
    RequestSent | RequestEnded | LoadEvent | FaultEvent | LedgerRow | ProxyCounters | Finding,
    Field(discriminator="record"),
]
_ANY = TypeAdapter(AnyRecord)


def parse_record(
    line: str | bytes,
) -> RequestSent | RequestEnded | LoadEvent | FaultEvent | LedgerRow | ProxyCounters | Finding:
    """One JSON line -> its record; raises pydantic.ValidationError on a bad line."""
    return _ANY.validate_json(line)


def dump_record(record: Record) -> str:
    """A record as one JSON line (with its trailing newline)."""
    return record.model_dump_json(exclude_none=True) + "\n"
