"""The closed sets the records are written in: what kind of request, how it ended, why it
failed, what happened to the load, what a fault action did, what a client finding is.

They sit apart from ``chaos.records`` so that the scenario language, which speaks of request
kinds and fault actions, does not build the record models to name them (``chaos validate``
starts faster without them).
"""

from __future__ import annotations

from enum import StrEnum


class RequestKind(StrEnum):
    CHAT = "chat"
    CHAT_STREAM = "chat_stream"
    EVAL = "eval"


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"


class ErrorKind(StrEnum):
    """Why a request failed; DESIGN.md, Definitions: "Failed"."""

    HTTP_4XX = "http_4xx"
    HTTP_429 = "http_429"
    HTTP_5XX = "http_5xx"
    HTTP_529 = "http_529"
    REFUSED = "refused"
    RESET = "reset"
    TIMEOUT = "timeout"
    TRUNCATED = "truncated"  # the stream ended without its terminal event
    MALFORMED = "malformed"  # a chunk that could not be parsed
    STREAM_ERROR = "stream_error"  # an error event inside a 200 stream

    @classmethod
    def for_status(cls, status: int) -> ErrorKind:
        if status == 429:
            return cls.HTTP_429
        if status == 529:
            return cls.HTTP_529
        return cls.HTTP_5XX if status >= 500 else cls.HTTP_4XX


class LoadEventKind(StrEnum):
    START = "start"  # load began: t = 0 of every offset
    STOP = "stop"  # no new requests after this
    WORKER_LOST = "worker_lost"  # a Locust worker stopped reporting
    WORKER_READY = "worker_ready"  # a Locust worker joined, its clock offset measured
    SUMMARY = "summary"  # Locust's own counts, kept for cross-checking


class ClientFinding(StrEnum):
    """How a target misbehaves towards its providers, read from the ledger."""

    RETRY_AFTER_IGNORED = "retry_after_ignored"
    RETRIED_NON_RETRYABLE = "retried_non_retryable"
    RETRY_STORM = "retry_storm"
    NO_BACKOFF = "no_backoff"
    HAMMERING_FAILED_PROVIDER = "hammering_failed_provider"


class CallEnd(StrEnum):
    """How a provider call ended, seen from the provider."""

    COMPLETED = "completed"  # the whole answer was sent (a 2xx)
    CLIENT_DISCONNECTED = "client_disconnected"  # the client went away before the answer was whole
    FAILED = "failed"  # the provider answered an error, or a fault cut or held its answer


class FaultAction(StrEnum):
    INJECT = "inject"
    UPDATE = "update"
    RESTORE = "restore"
