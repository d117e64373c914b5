"""Scenario network faults as Toxiproxy toxics.

The scenario writes durations as seconds (``latency: 400ms`` becomes 0.4); Toxiproxy
wants whole milliseconds for latency, jitter, timeout and delay, except slicer's delay,
in microseconds. ``down`` is not a toxic: it is ``update_proxy(name, enabled=False)``.
"""

from __future__ import annotations

from typing import NamedTuple, assert_never

from chaos.scenario.faults import (
    BandwidthToxic,
    LatencyToxic,
    LimitDataToxic,
    ResetPeerToxic,
    SlicerToxic,
    SlowCloseToxic,
    TimeoutToxic,
    ToxicSpec,
)
from chaos.toxiproxy.models import Stream


class ToxicSettings(NamedTuple):
    type: str
    stream: Stream
    toxicity: float
    attributes: dict[str, int]


def toxic_for(spec: ToxicSpec) -> ToxicSettings:
    """The toxic that realises ``spec``: ``(type, stream, toxicity, attributes)``."""
    attributes: dict[str, int]
    match spec:
        case LatencyToxic():
            attributes = {"latency": _ms(spec.latency), "jitter": _ms(spec.jitter)}
        case BandwidthToxic():
            attributes = {"rate": spec.rate}
        case SlowCloseToxic():
            attributes = {"delay": _ms(spec.delay)}
        case TimeoutToxic() | ResetPeerToxic():
            attributes = {"timeout": _ms(spec.timeout)}
        case SlicerToxic():
            attributes = {
                "average_size": spec.average_size,
                "size_variation": spec.size_variation,
                "delay": round(spec.delay * 1_000_000),
            }
        case LimitDataToxic():
            attributes = {"bytes": spec.bytes}
        case _:  # a toxic of the language without its mapping is a type error here
            assert_never(spec)
    return ToxicSettings(spec.toxic, Stream(spec.stream.value), spec.toxicity, attributes)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
