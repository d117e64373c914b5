"""The part of a run's journal a drill judges and the history indexes, decoded fast.

A journal holds every figure of a run (per-second buckets, ledgers, ...); indexing ten
thousand of them must not validate all that. These msgspec structs are each a subset of
the journal's pydantic models (``chaos.journal.Journal``, ``chaos.slo.results``), read
from the same file; unknown fields are skipped. ``tests/drill/test_view.py`` holds them
to the models by decoding a journal both ways.
"""

from __future__ import annotations

from pathlib import Path

import msgspec


class SegmentView(msgspec.Struct, frozen=True):
    name: str
    faults: list[str]
    requests: int
    failed: int
    availability: float | None
    cost_usd: float


class ResponseView(msgspec.Struct, frozen=True):
    fault: str
    detect: float | str
    mitigate: float | str
    recover: float | str


class SloView(msgspec.Struct, frozen=True):
    slo: str
    segment: str
    verdict: str


class ExpectationView(msgspec.Struct, frozen=True):
    expectation: str
    verdict: str
    reason: str


class OverallView(msgspec.Struct, frozen=True):
    verdict: str
    reason: str


class BudgetView(msgspec.Struct, frozen=True):
    slo: str
    objective: float
    judged: int
    bad: int


class EvaluationView(msgspec.Struct, frozen=True):
    segments: list[SegmentView]
    responses: list[ResponseView]
    slos: list[SloView]
    expectations: list[ExpectationView]
    verdict: OverallView
    budgets: list[BudgetView] = []


class JournalView(msgspec.Struct, frozen=True):
    run_id: str
    scenario_name: str
    status: str
    started_at: float
    scale: float = 1.0
    verdict: str | None = None
    reason: str | None = None
    evaluation: EvaluationView | None = None


_DECODER = msgspec.json.Decoder(JournalView)


def read_view(path: Path) -> JournalView:
    """``path`` (a ``journal.json``) decoded; raises ``msgspec.DecodeError`` or ``OSError``."""
    return _DECODER.decode(path.read_bytes())
