"""What a failed resilience assertion says: pure functions from findings and ledger rows to
the message pytest shows (None when the assertion holds).

The message is for the person whose app just failed: what went wrong, in words, the
request ids that show it, and the calls the providers saw, one line each, so that the
failure can be read without re-running anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from chaos.records import Finding, LedgerRow

MAX_CALLS_SHOWN = 30
MAX_IDS_SHOWN = 10


def resilience_problem(findings: Sequence[Finding], calls: Sequence[LedgerRow]) -> str | None:
    if not calls:
        return (
            "no mock provider saw a call in this test, so nothing about resilience was shown: "
            "does the app build its SDK client from OPENAI_BASE_URL / ANTHROPIC_BASE_URL (or chaos_providers.urls)?"
        )
    if not findings:
        return None
    lines = [f"the app misbehaved towards its providers ({len(findings)} client finding{_s(findings)}):"]
    for finding in findings:
        ids = ", ".join(finding.request_ids[:MAX_IDS_SHOWN])
        more = (
            f" and {len(finding.request_ids) - MAX_IDS_SHOWN} more" if len(finding.request_ids) > MAX_IDS_SHOWN else ""
        )
        lines.append(f"  - {finding.kind.value}: {finding.detail}")
        lines.append(f"    shown by request ids: {ids or '(none: the app sends no x-request-id)'}{more}")
    lines.append(calls_table(calls))
    return "\n".join(lines)


def fell_back_problem(calls: Sequence[LedgerRow], from_: str, to: str) -> str | None:
    failures = [row for row in calls if row.provider == from_ and not row.served]
    if failures and any(row.provider == to and row.served and row.t >= failures[0].t for row in calls):
        return None
    if not failures:
        why = f"{from_} never failed a call, so there was nothing to fall back from"
    else:
        why = f"{from_} failed {len(failures)} call{_s(failures)}, and {to} served none after the first"
    return f"expected a fall back from {from_} to {to}: {why}\n{calls_table(calls)}"


def calls_table(calls: Sequence[LedgerRow]) -> str:
    """The calls, one line each, times from the first."""
    if not calls:
        return "the providers saw no call"
    start = calls[0].t
    lines = [f"the calls the providers saw ({len(calls)}):"]
    for row in calls[:MAX_CALLS_SHOWN]:
        fault = f" fault {row.fault}" if row.fault else ""
        retry_after = f" retry-after {row.retry_after_s:g}s" if row.retry_after_s is not None else ""
        request = f" request {row.request_id} attempt {row.attempt}" if row.request_id else " (no x-request-id)"
        lines.append(
            f"  +{row.t - start:7.3f}s {row.provider:<12} {row.status} {row.end.value}{fault}{retry_after}{request}"
        )
    if len(calls) > MAX_CALLS_SHOWN:
        lines.append(f"  ... and {len(calls) - MAX_CALLS_SHOWN} more")
    return "\n".join(lines)


def _s(items: Sequence[object]) -> str:
    return "" if len(items) == 1 else "s"
