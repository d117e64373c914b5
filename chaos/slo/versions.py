"""Which model version each request got, and what each version's requests showed.

A request is routed to the version of the **first** call made for it (the ledger row
with its ``x-request-id`` received first, canaries apart): that is the version the
target chose for it, whether that call then served it or failed and the request fell
back elsewhere. So a candidate's failures count against the candidate, and "the users
who got the bad version" are exactly these requests. A request whose id no ledger row
carries (the target does not propagate it) is routed to no version.

Per version: its requests, eval answers judged and passed, TTFT and latency (a failed
request counts as infinitely slow) and the cost the ledger billed for every call made
for them (at each row's provider price). ``until`` (epoch seconds) keeps the requests
ended by then and ``ledger_seq`` the rows written up to that sequence number: what a
gate decided on mid-run, so that its figures can be recomputed from the run directory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chaos.scenario.model import Scenario
from chaos.slo.gates import VersionSample
from chaos.slo.wire import Ended, Row, decode_chunk

Label = tuple[str, str]  # (provider, version)


@dataclass(frozen=True)
class RunRecords:
    """The end records and ledger rows of a run, as the judgement decodes them."""

    ended: list[Ended]
    rows: list[Row]

    @classmethod
    def read(cls, records: Path, ledger: Path) -> RunRecords:
        ended = [r for r in _decoded(records) if isinstance(r, Ended)]
        rows = [r for r in _decoded(ledger) if isinstance(r, Row)]
        return cls(ended, rows)


def _decoded(path: Path) -> list[object]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    whole = data[: data.rfind(b"\n") + 1]  # a line still being written is left for later
    return list(decode_chunk(whole)) if whole else []


def first_calls(rows: Iterable[Row]) -> dict[str, Row]:
    """Per request id, the first call the providers received for it (canaries apart)."""
    first: dict[str, Row] = {}
    for row in rows:
        if row.canary or row.request_id is None:
            continue
        seen = first.get(row.request_id)
        if seen is None or (row.t, row.seq) < (seen.t, seen.seq):
            first[row.request_id] = row
    return first


def row_pricer(scenario: Scenario) -> Callable[[Row], float]:
    """USD a ledger row billed, at its provider's price (``Price.cost``)."""

    def cost(row: Row) -> float:
        provider = scenario.providers.get(row.provider)
        price = provider.price if provider is not None else None
        return price.cost(row.input_tokens, row.output_tokens) if price is not None else 0.0

    return cost


def version_samples(
    records: RunRecords,
    labels: Sequence[Label],
    cost: Callable[[Row], float],
    *,
    until: float | None = None,
    ledger_seq: int | None = None,
) -> dict[Label, VersionSample]:
    """What the requests routed to each of ``labels`` showed (see the module's docstring)."""
    rows = [row for row in records.rows if ledger_seq is None or row.seq <= ledger_seq]
    first = first_calls(rows)
    billed: dict[str, float] = {}
    for row in rows:
        if not row.canary and row.request_id is not None:
            billed[row.request_id] = billed.get(row.request_id, 0.0) + cost(row)
    grouped: dict[Label, list[Ended]] = {label: [] for label in labels}
    for request in records.ended:
        if until is not None and request.t_ended > until:
            continue
        call = first.get(request.id)
        if call is not None and call.version is not None:
            bucket = grouped.get((call.provider, call.version))
            if bucket is not None:
                bucket.append(request)
    return {label: _sample(requests, billed) for label, requests in grouped.items()}


def _sample(requests: list[Ended], billed: dict[str, float]) -> VersionSample:
    ttft = [_elapsed(r, r.t_first_token) for r in requests]
    latency = [_elapsed(r, r.t_ended) for r in requests]
    answered = [r.eval_pass for r in requests if r.kind == "eval" and r.eval_pass is not None]
    return VersionSample(
        requests=len(requests),
        eval_passed=sum(answered),
        eval_answered=len(answered),
        ttft=np.asarray(ttft, dtype=np.float64),
        latency=np.asarray(latency, dtype=np.float64),
        costs=np.asarray([billed.get(r.id, 0.0) for r in requests], dtype=np.float64),
    )


def _elapsed(request: Ended, at: float | None) -> float:
    if request.outcome != "ok" or at is None:
        return math.inf
    return at - request.t_sent
