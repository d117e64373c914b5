"""The target's structured log against what the run did.

The log is JSON lines (other lines are skipped); a line belongs to the request whose id
it carries under ``fields.request_id``. Two checks, each naming the requests it faults:

- **Requests**: every request the target answered has a log line; every one that a
  provider's call served (the ledger, DESIGN.md "Who served") has a line carrying a
  non-empty model, model version and prompt version.
- **Fallbacks**: for each successful request with a line, the log says fallback exactly
  when the ledger shows one (a provider other than the first of the fallback order served
  it), and degraded exactly when it shows one (no call served a successful request).
  Without a single call carrying a request id there is nothing to compare: inconclusive.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chaos.observe.facts import RequestFacts
from chaos.observe.results import Figures, listed, result
from chaos.scenario.observe import LogChecks, LogFields
from chaos.slo.results import ExpectationResult
from chaos.wilson import Verdict

_FALSE = {"", "false", "no", "none", "null", "0"}


def read_log(path: Path, request_id: str) -> dict[str, list[dict[str, Any]]]:
    """The JSON-object lines of ``path`` by the request id they carry under ``request_id``."""
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with path.open("rb") as handle:
        for raw in handle:
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            if isinstance(value, dict) and isinstance(rid := field(value, request_id), str):
                lines[rid].append(value)
    return lines


def field(line: Mapping[str, Any], key: str) -> Any:
    """``line[key]``; a dotted key reads nested objects (``gen_ai.model`` is tried whole first)."""
    if key in line:
        return line[key]
    value: Any = line
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def said(value: Any) -> bool:
    """Whether a log field says yes: set, and not false, no, none, null or 0."""
    return value is not None and value is not False and str(value).strip().lower() not in _FALSE


def judge_logs(
    checks: LogChecks, path: Path, requests: Mapping[str, RequestFacts], fallback_order: Sequence[str]
) -> list[ExpectationResult]:
    if not path.exists():
        reason = f"no log at {path}"
        return [
            result("observe.logs.requests", "log_requests", Verdict.INCONCLUSIVE, reason, {}),
            result("observe.logs.fallbacks", "log_fallbacks", Verdict.INCONCLUSIVE, reason, {}),
        ]
    lines = read_log(path, checks.fields.request_id)
    return [
        requests_logged(checks.fields, lines, requests),
        fallbacks_logged(checks.fields, lines, requests, fallback_order[0]),
    ]


def requests_logged(
    fields: LogFields, lines: Mapping[str, list[dict[str, Any]]], requests: Mapping[str, RequestFacts]
) -> ExpectationResult:
    expectation = "observe.logs.requests"
    answered = [facts for facts in requests.values() if facts.answered]
    wanted = (fields.model, fields.model_version, fields.prompt_version)
    problems: list[str] = []
    missing = 0
    for facts in answered:
        found = lines.get(facts.id)
        if not found:
            missing += 1
            problems.append(f"{facts.id}: no log line")
        elif facts.served_by is not None:
            lacking = min(([key for key in wanted if not said(field(line, key))] for line in found), key=len)
            if lacking:
                problems.append(f"{facts.id}: no {', '.join(lacking)}")
    figures: Figures = {"answered": len(answered), "missing": missing}
    figures["misreported"] = len(problems) - missing
    if not answered:
        return result(expectation, "log_requests", Verdict.INCONCLUSIVE, "the target answered no request", figures)
    if not problems:
        reason = f"each of {len(answered)} answered requests is logged, with {', '.join(wanted)} where served"
        return result(expectation, "log_requests", Verdict.PASS, reason, figures)
    reason = f"{len(problems)} of {len(answered)} answered requests are missing from the log or misreported: "
    return result(expectation, "log_requests", Verdict.FAIL, reason + listed(problems), figures)


def fallbacks_logged(
    fields: LogFields, lines: Mapping[str, list[dict[str, Any]]], requests: Mapping[str, RequestFacts], first: str
) -> ExpectationResult:
    expectation = "observe.logs.fallbacks"
    judged = [facts for facts in requests.values() if facts.ok and facts.id in lines]
    figures: Figures = {"judged": len(judged)}
    if not any(facts.calls for facts in requests.values()):
        reason = "no provider call carried a request id: the ledger cannot say who served"
        return result(expectation, "log_fallbacks", Verdict.INCONCLUSIVE, reason, figures)
    problems: list[str] = []
    for facts in judged:
        served = facts.served_by
        logged_fallback = any(said(field(line, fields.fallback)) for line in lines[facts.id])
        logged_degraded = any(said(field(line, fields.degraded)) for line in lines[facts.id])
        if served is not None and served != first and not logged_fallback:
            problems.append(f"{facts.id}: {served} served it (a fallback); the log does not say {fields.fallback}")
        elif served == first and logged_fallback:
            problems.append(f"{facts.id}: the log says {fields.fallback}; {first} served it")
        if served is None and not logged_degraded:
            problems.append(f"{facts.id}: no call served it (degraded); the log does not say {fields.degraded}")
        elif served is not None and logged_degraded:
            problems.append(f"{facts.id}: the log says {fields.degraded}; {served} served it")
    figures["misreported"] = len(problems)
    if not judged:
        reason = "no successful request is logged"
        return result(expectation, "log_fallbacks", Verdict.INCONCLUSIVE, reason, figures)
    if not problems:
        reason = f"each of {len(judged)} logged requests says fallback and degraded as the ledger shows them"
        return result(expectation, "log_fallbacks", Verdict.PASS, reason, figures)
    reason = f"{len(problems)} logged requests misreport a fallback or a degraded answer: "
    return result(expectation, "log_fallbacks", Verdict.FAIL, reason + listed(problems), figures)
