"""A worker's clock rebased to the master's: records from every process share one time base.

The worker sends its time, the master answers with its own, and the worker takes the
master's clock to be ``t_master - (t_sent + t_received) / 2`` ahead of its own, keeping
the estimate of the shortest round trip (NTP's rule: the error is at most half of it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

from chaos.records import LoadEvent, Record, RequestEnded, RequestSent

_TIME_FIELDS = {
    RequestSent: ("t_sent",),
    RequestEnded: ("t_sent", "t_headers", "t_first_token", "t_ended"),
    LoadEvent: ("t",),
}
R = TypeVar("R", bound=Record)


@dataclass
class ClockOffset:
    offset: float | None = None
    round_trip: float = math.inf

    def sample(self, t_sent: float, t_master: float, t_received: float) -> None:
        round_trip = t_received - t_sent
        if 0 <= round_trip < self.round_trip:
            self.round_trip = round_trip
            self.offset = t_master - (t_sent + t_received) / 2


def rebase(record: R, offset: float) -> R:
    """The record with every time moved by ``offset`` seconds."""
    fields = _TIME_FIELDS.get(type(record), ())
    update = {name: value + offset for name in fields if (value := getattr(record, name)) is not None}
    return record.model_copy(update=update) if update else record
