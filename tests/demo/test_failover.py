"""The demo gateway as a user's client meets it: a whole answer cut mid-stream."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from chaos.kinds import CallEnd
from chaos.records import LedgerRow
from chaos.rundir import RunDir
from tests.run.harness import FALLBACK, chaos_run

pytestmark = pytest.mark.e2e


def test_a_whole_answer_cut_mid_stream_moves_on_instead_of_calling_the_provider_again_at_once(
    tmp_path: Path,
) -> None:
    """The gateway reads the provider's stream to build a whole answer; when the stream is
    cut, it must fail over, not call the same provider again within milliseconds (the
    library's stream-cut scenario found the second call as a ``no_backoff`` finding)."""
    finished = chaos_run(
        FALLBACK,
        "load.mix={chat: 100%}",
        "slos={availability: {objective: 90%}}",  # no streams, so no TTFT to judge
        "faults=[{name: primary-cut, at: 5s, for: 5s, provider: primary, stream_cut: {after_tokens: 3}}]",
        "expect=[{served_by: secondary, during: primary-cut, at_least: 80%}]",
        runs_dir=tmp_path / "runs",
    )
    assert finished.code == 0, finished.explain()
    assert finished.run_dir is not None
    lines = RunDir(finished.run_dir).ledger.read_text(encoding="utf-8").splitlines()
    rows = [LedgerRow.model_validate_json(line) for line in lines]
    cut = [row for row in rows if row.provider == "primary" and row.fault and row.end is CallEnd.FAILED]
    assert cut, "the fault cut no primary stream"
    calls = Counter((row.request_id, row.provider) for row in rows if not row.canary)
    assert [key for key, count in calls.items() if count > 1] == []
    assert finished.journal.findings == []
