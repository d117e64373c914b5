"""What runs measured under normal load: per request kind, the calls, tokens and serving
share each provider took per user request.

Normal load is every judged span with no fault active (``baseline``, ``recovery``) of each
run's journal (a run without a journal has it rebuilt from its raw files first, as
``chaos report`` does). A user request counts there by its send time; its calls are the
ledger rows carrying its ``x-request-id`` (retries and fallbacks included, since they are
billed and count against quotas), canary probes apart. A request no row names (a cached or
canned answer, a failure before any call) took no tokens: that is real, and counted. A
target that never passes the id on cannot be measured per kind: that is an error, not zero.
Figures from several runs are pooled: sums of requests and tokens, then the ratios.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from chaos.errors import ChaosError
from chaos.journal import Journal
from chaos.kinds import RequestKind
from chaos.records import LedgerRow, RequestEnded, parse_record
from chaos.run.rebuild import journal_to_show
from chaos.rundir import RunDir


@dataclass
class ProviderUse:
    """What a kind's user requests took from one provider, summed over the measured requests."""

    calls: int = 0
    served: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class KindFigures:
    """One request kind: how many were measured, and per provider what they took."""

    requests: int = 0
    providers: dict[str, ProviderUse] = field(default_factory=lambda: defaultdict(ProviderUse))
    tokens_per_request: list[int] = field(default_factory=list)  # each request's tokens, all its calls

    def per_request(self, provider: str) -> tuple[float, float, float]:
        """Mean calls, input tokens and output tokens at ``provider`` per user request."""
        use = self.providers.get(provider, ProviderUse())
        n = self.requests or 1
        return use.calls / n, use.input_tokens / n, use.output_tokens / n

    def served_share(self, provider: str) -> float:
        use = self.providers.get(provider, ProviderUse())
        return use.served / self.requests if self.requests else 0.0


@dataclass
class Measured:
    runs: list[str]
    kinds: dict[RequestKind, KindFigures]

    @property
    def providers(self) -> list[str]:
        names: dict[str, None] = {}
        for figures in self.kinds.values():
            names.update(dict.fromkeys(figures.providers))
        return list(names)


def normal_windows(journal: Journal) -> list[tuple[float, float]]:
    """Offsets of the judged spans where no fault was active."""
    if journal.evaluation is None:
        return []
    return [(span.start, span.end) for span in journal.evaluation.spans if span.judged and not span.faults]


def measure(run_dirs: Sequence[Path]) -> Measured:
    """Pool the normal-load figures of ``run_dirs``; raises ``ChaosError`` naming the run
    that cannot be read or measured."""
    kinds: dict[RequestKind, KindFigures] = defaultdict(KindFigures)
    for run_dir in run_dirs:
        _measure_one(run_dir, kinds)
    return Measured(runs=[str(path) for path in run_dirs], kinds=dict(kinds))


def _measure_one(run_dir: Path, kinds: dict[RequestKind, KindFigures]) -> None:
    if not run_dir.is_dir():
        raise ChaosError(f"{run_dir}: no such run directory")
    journal, _ = journal_to_show(run_dir, rebuild=False)
    windows = normal_windows(journal)
    if journal.t0 is None or not windows:
        raise ChaosError(
            f"{run_dir}: the run has no judged span without a fault: nothing measured under normal load",
            hint="measure from a run with a baseline (or a scenario without faults)",
        )
    t0 = journal.t0
    files = RunDir(run_dir)
    requests: dict[str, RequestKind] = {}
    for record in read_records(files.records):
        if isinstance(record, RequestEnded) and not record.stopped:
            offset = record.t_sent - t0
            if any(start <= offset < end for start, end in windows):
                requests[record.id] = record.kind
    rows = [row for row in read_records(files.ledger) if isinstance(row, LedgerRow) and not row.canary]
    if not requests:
        raise ChaosError(f"{run_dir}: no request ended under normal load: nothing measured")
    if rows and not any(row.request_id in requests for row in rows):
        raise ChaosError(
            f"{run_dir}: no provider call names a request of the run: the target does not pass "
            "x-request-id on, so tokens per request kind cannot be measured",
            hint="make the gateway forward the x-request-id header to its providers",
        )
    tokens: dict[str, int] = dict.fromkeys(requests, 0)
    served_by: dict[str, str] = {}
    for row in sorted(rows, key=lambda row: row.t_end):
        if row.request_id not in requests:
            continue
        use = kinds[requests[row.request_id]].providers[row.provider]
        use.calls += 1
        use.input_tokens += row.input_tokens
        use.output_tokens += row.output_tokens
        tokens[row.request_id] += row.input_tokens + row.output_tokens
        if row.served:
            served_by[row.request_id] = row.provider  # the last serving call served it
    for request_id, kind in requests.items():
        figures = kinds[kind]
        figures.requests += 1
        figures.tokens_per_request.append(tokens[request_id])
        if request_id in served_by:
            figures.providers[served_by[request_id]].served += 1


def read_records(path: Path) -> list[object]:
    if not path.is_file():
        return []
    found: list[object] = []
    with path.open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.endswith(b"\n") or not line.strip():
                continue  # a last line being written, or cut short by a kill
            try:
                found.append(parse_record(line))
            except ValidationError:
                raise ChaosError(f"{path}:{number}: not a valid record") from None
    return found
