"""The W3C trace context of a request, derived from its request id.

The load sends ``traceparent: 00-<trace id>-<span id>-01`` with each request, both derived
from its ``x-request-id``: whoever knows a request id knows the trace its spans belong
to, and nothing needs to be recorded twice. The version-00 format is W3C Trace Context's
(https://www.w3.org/TR/trace-context/): lower-case hex, a trace id of 32 digits and a
parent (span) id of 16, neither all zeros.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16


class TraceParent(NamedTuple):
    trace_id: str
    parent_id: str  # the span of the caller: for a provider call, the target's client span


def _digest(request_id: str) -> str:
    return hashlib.sha256(request_id.encode("utf-8")).hexdigest()


def trace_id(request_id: str) -> str:
    """The trace every span of this request belongs to."""
    return _digest(request_id)[:32]


def traceparent(request_id: str) -> str:
    """The header the load sends: sampled, its parent the load's own (unexported) span."""
    digest = _digest(request_id)
    return f"00-{digest[:32]}-{digest[32:48]}-01"


def parse_traceparent(value: str | None) -> TraceParent | None:
    """A ``traceparent`` header's trace and parent ids; None when absent or not one
    (version ff and all-zero ids are invalid, as the specification says)."""
    if value is None:
        return None
    match = _TRACEPARENT.match(value.strip())
    if match is None or match.group(1) == "ff" or match.group(2) == _ZERO_TRACE or match.group(3) == _ZERO_SPAN:
        return None
    return TraceParent(match.group(2), match.group(3))
