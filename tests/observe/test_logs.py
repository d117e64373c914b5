"""The log checks on hand-made logs and ledgers: each verdict and each request it names,
worked out by hand (chaos/observe/logs.py states the rules)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chaos.kinds import CallEnd
from chaos.observe.facts import RequestFacts, attach_calls
from chaos.observe.logs import judge_logs
from chaos.records import LedgerRow
from chaos.scenario.observe import LogChecks, LogFields
from chaos.wilson import Verdict

ORDER = ("primary", "secondary")
FULL = {"model": "m", "model_version": "m-2024", "prompt_version": "p1"}


def row(request_id: str, provider: str, status: int = 200, t: float = 1.0) -> LedgerRow:
    return LedgerRow(
        t=t,
        t_end=t + 0.1,
        provider=provider,
        endpoint="/v1/chat/completions",
        model="m",
        stream=False,
        status=status,
        end=CallEnd.COMPLETED if status == 200 else CallEnd.FAILED,
        request_id=request_id,
    )


def facts(**requests: tuple[int | None, bool]) -> dict[str, RequestFacts]:
    """id -> (the target's status, whether the request succeeded)."""
    return {rid: RequestFacts(rid, 0.0, status=status, ok=ok) for rid, (status, ok) in requests.items()}


def judge(
    tmp_path: Path,
    lines: list[Any],
    requests: dict[str, RequestFacts],
    ledger: list[LedgerRow],
    checks: LogChecks | None = None,
) -> dict[str, tuple[Verdict, str]]:
    log = tmp_path / "target.log"
    log.write_text(
        "".join((json.dumps(line) if not isinstance(line, str) else line) + "\n" for line in lines), encoding="utf-8"
    )
    attach_calls(requests, ledger)
    results = judge_logs(checks or LogChecks(), log, requests, ORDER)
    return {r.kind: (r.verdict, r.reason) for r in results}


def test_every_request_logged_with_its_model_fields_passes_and_other_lines_are_skipped(tmp_path: Path) -> None:
    lines = [
        "starting up (not JSON)",
        {"event": "startup"},
        {"request_id": "a", **FULL},
        {"request_id": "b", "status": 503},  # answered 503: logged, no model owed
        {"request_id": "c", "degraded": "canned"},  # no call served it: no model owed
    ]
    requests = facts(a=(200, True), b=(503, False), c=(200, True), d=(None, False))
    result = judge(tmp_path, lines, requests, [row("a", "primary"), row("c", "primary", 503)])
    assert result["log_requests"] == (
        Verdict.PASS,
        "each of 3 answered requests is logged, with model, model_version, prompt_version where served",
    )
    assert result["log_fallbacks"][0] is Verdict.PASS


def test_a_missing_line_and_a_missing_model_version_are_named(tmp_path: Path) -> None:
    lines = [{"request_id": "a", "model": "m", "prompt_version": "p1"}, {"request_id": "a", "event": "other"}]
    requests = facts(a=(200, True), b=(200, True))
    verdict, reason = judge(tmp_path, lines, requests, [row("a", "primary"), row("b", "primary")])["log_requests"]
    assert verdict is Verdict.FAIL
    assert (
        reason
        == "2 of 2 answered requests are missing from the log or misreported: a: no model_version; b: no log line"
    )


def test_the_log_must_say_fallback_and_degraded_exactly_when_the_ledger_shows_them(tmp_path: Path) -> None:
    lines = [
        {"request_id": "a", **FULL, "fallback": False},  # the secondary served it after a 503
        {"request_id": "b", **FULL, "fallback": "true"},  # the primary served it
        {"request_id": "c", "degraded": None},  # every call failed: degraded
        {"request_id": "d", **FULL, "fallback": True},  # right
        {"request_id": "e", "degraded": "cached", "fallback": "no"},  # right
    ]
    ledger = [
        row("a", "primary", 503),
        row("a", "secondary", t=2.0),
        row("b", "primary"),
        row("c", "primary", 503),
        row("d", "secondary"),
        row("e", "secondary", 503),
    ]
    requests = facts(**dict.fromkeys("abcde", (200, True)))
    verdict, reason = judge(tmp_path, lines, requests, ledger)["log_fallbacks"]
    assert verdict is Verdict.FAIL
    assert reason == (
        "3 logged requests misreport a fallback or a degraded answer: "
        "a: secondary served it (a fallback); the log does not say fallback; "
        "b: the log says fallback; primary served it; "
        "c: no call served it (degraded); the log does not say degraded"
    )


def test_field_names_are_configurable_and_dotted_names_read_nested_objects(tmp_path: Path) -> None:
    checks = LogChecks(fields=LogFields(request_id="req", model="gen_ai.model", model_version="ver.id"))
    lines = [{"req": "a", "gen_ai.model": "m", "ver": {"id": "2024"}, "prompt_version": "p"}]
    result = judge(tmp_path, lines, facts(a=(200, True)), [row("a", "primary")], checks)
    assert result["log_requests"][0] is Verdict.PASS


def test_without_request_ids_in_the_ledger_fallbacks_are_inconclusive_and_a_missing_log_is_too(tmp_path: Path) -> None:
    result = judge(tmp_path, [{"request_id": "a", **FULL}], facts(a=(200, True)), [])
    assert result["log_fallbacks"] == (
        Verdict.INCONCLUSIVE,
        "no provider call carried a request id: the ledger cannot say who served",
    )
    missing = judge_logs(LogChecks(), tmp_path / "absent.log", facts(a=(200, True)), ORDER)
    assert {r.verdict for r in missing} == {Verdict.INCONCLUSIVE}
