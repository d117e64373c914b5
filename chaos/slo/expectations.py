"""The scenario's expectations, each judged pass / fail / inconclusive with its figures.

Shares (``served_by``, ``degraded_share``) are judged like SLOs, by the Wilson 95%
interval of the share against the bound. Who served comes from the target's answer, or
from the providers' ledger when the target does not say (per request when request ids
reach the providers, by the rows' time otherwise). Attempts are ledger rows plus the
connections a proxy accepted and then cut or reset; a proxy that is ``down`` refuses in
the kernel and nobody counts those, so attempts during a ``down`` fault are unmeasured.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chaos.records import Finding
from chaos.scenario.base import Severity
from chaos.scenario.faults import Down
from chaos.scenario.objectives import (
    RECOVERY_WINDOW,
    DegradedShareExpectation,
    DetectExpectation,
    Expectation,
    NoClientFindingsExpectation,
    NoTrafficToExpectation,
    RecoversToExpectation,
    RetryAmplificationExpectation,
    ServedByExpectation,
    Source,
)
from chaos.scenario.selection import segments_for
from chaos.scenario.units import format_percent
from chaos.slo.alerts import Firing
from chaos.slo.frame import DEGRADED, Frame
from chaos.slo.results import ExpectationResult
from chaos.wilson import Verdict, judge_ratio, wilson_interval


@dataclass(frozen=True)
class Context:
    frame: Frame
    firings: Sequence[Firing]
    findings: Sequence[Finding]


def judge_expectations(frame: Frame, firings: Sequence[Firing], findings: Sequence[Finding]) -> list[ExpectationResult]:
    context = Context(frame, firings, findings)
    return [judge(context, expectation) for expectation in frame.scenario.expect]


def judge(context: Context, expectation: Expectation) -> ExpectationResult:
    judge_one: Callable[[Context, Any], ExpectationResult] = _JUDGES[type(expectation)]
    return judge_one(context, expectation)


def describe(expectation: Expectation) -> str:
    """The expectation as YAML's flow style writes it: ``retry_amplification: {max: 1.5}``."""
    data = expectation.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    return ", ".join(f"{key}: {_flow(value)}" for key, value in data.items())


def _flow(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _result(
    expectation: Expectation, verdict: Verdict, reason: str, **figures: float | str | None
) -> ExpectationResult:
    kind = next(iter(type(expectation).model_fields))  # every expectation is keyed by its first field
    return ExpectationResult(
        expectation=describe(expectation), kind=kind, verdict=verdict, reason=reason, figures=figures
    )


def share_verdict(good: int, total: int, at_least: float | None, at_most: float | None) -> Verdict:
    """Whether a share lies within its bounds, by the Wilson 95% interval."""
    verdicts = []
    if at_least is not None:
        verdicts.append(judge_ratio(good, total, at_least))
    if at_most is not None:
        verdicts.append(judge_ratio(total - good, total, 1 - at_most))
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    return Verdict.INCONCLUSIVE if Verdict.INCONCLUSIVE in verdicts else Verdict.PASS


def _bounds(at_least: float | None, at_most: float | None) -> str:
    parts = [
        f">= {format_percent(at_least)}" if at_least is not None else "",
        f"<= {format_percent(at_most)}" if at_most is not None else "",
    ]
    return " and ".join(part for part in parts if part)


def _share_result(
    expectation: Expectation, what: str, counts: tuple[int, int], at_least: float | None, at_most: float | None
) -> ExpectationResult:
    good, total = counts
    low, high = wilson_interval(good, total)
    verdict = share_verdict(good, total, at_least, at_most)
    share = good / total if total else None
    reason = f"no requests {what}"
    if total:
        reason = f"{good} of {total} ({good / total:.2%}), 95% interval {low:.2%}..{high:.2%}"
        reason += f", expected {_bounds(at_least, at_most)}"
    return _result(expectation, verdict, reason, good=good, total=total, share=share, low=low, high=high)


def _served_by(context: Context, expectation: ServedByExpectation) -> ExpectationResult:
    frame = context.frame
    inside = frame.shares_in(segments_for(frame.timeline, expectation.during))
    bounds = (expectation.at_least, expectation.at_most)
    if expectation.served_by == DEGRADED:
        good = int((frame.requests.degraded & inside).sum())
    else:
        good = frame.served_counts(inside, ledger=frame.ledger_source(expectation.source)).get(expectation.served_by, 0)
    return _share_result(expectation, f"during {expectation.during}", (good, int(inside.sum())), *bounds)


def _degraded_share(context: Context, expectation: DegradedShareExpectation) -> ExpectationResult:
    frame = context.frame
    inside = frame.shares_in(segments_for(frame.timeline, expectation.during))
    good, total = int((frame.requests.degraded & inside).sum()), int(inside.sum())
    bounds = expectation.degraded_share
    return _share_result(expectation, "judged", (good, total), bounds.at_least, bounds.at_most)


def _recovers_to(context: Context, expectation: RecoversToExpectation) -> ExpectationResult:
    frame = context.frame
    restored = [window for window in frame.windows if window.fault in frame.restored]
    if expectation.after is not None:
        restored = [window for window in restored if window.fault == expectation.after]
    if not restored:
        return _result(expectation, Verdict.INCONCLUSIVE, "no fault to recover from was restored")
    restore = max(restored, key=lambda window: window.end)
    served, total = _served_per_second(frame, expectation.recovers_to)
    at = np.arange(math.ceil(restore.end - 1e-9), math.floor(frame.load_end) - RECOVERY_WINDOW + 1)
    cum_served = np.concatenate([[0], np.cumsum(served)])
    cum_total = np.concatenate([[0], np.cumsum(total)])
    in_window = cum_total[at + RECOVERY_WINDOW] - cum_total[at]
    share_ok = (in_window > 0) & (
        cum_served[at + RECOVERY_WINDOW] - cum_served[at] >= expectation.share * in_window - 1e-9
    )
    figures: dict[str, float | str | None] = {"restored_at": restore.end, "after": restore.fault}
    if share_ok.any():
        took = float(at[share_ok][0]) - restore.end
        verdict = Verdict.PASS if took <= expectation.within else Verdict.FAIL
        reason = f"{expectation.recovers_to} served {expectation.share:.0%} again {took:.1f}s after the restore"
        return _result(expectation, verdict, reason, recovered_after=took, **figures)
    if restore.end + expectation.within + RECOVERY_WINDOW > frame.load_end:
        reason = f"the load ended before {expectation.within:g}s of traffic after the restore could be read"
        return _result(expectation, Verdict.INCONCLUSIVE, reason, recovered_after=None, **figures)
    reason = f"{expectation.recovers_to} never served {expectation.share:.0%} again after {restore.fault} was restored"
    return _result(expectation, Verdict.FAIL, reason, recovered_after=None, **figures)


def _served_per_second(frame: Frame, provider: str) -> tuple[np.ndarray, np.ndarray]:
    """Per second, where shares place requests: ``(served by provider, every request)``."""
    seconds = math.ceil(frame.horizon) + RECOVERY_WINDOW + 1
    code = frame.providers.index(provider)
    second = np.clip(np.floor(frame.share_placed).astype(np.int64), 0, seconds - 1)
    who = frame.served_codes(ledger=frame.ledger_source(Source.AUTO))
    return np.bincount(second[who == code], minlength=seconds), np.bincount(second, minlength=seconds)


def _down_providers(frame: Frame, start: float, end: float) -> set[str]:
    """Providers whose proxy a ``down`` fault disabled during part of ``[start, end)``."""
    down = set()
    for fault in frame.scenario.faults:
        window = frame.window(fault.name)
        if isinstance(fault.network, Down) and window is not None and window.start < end and window.end > start:
            down.add(fault.network.provider)
    return down


def _proxy_of(frame: Frame, provider: str) -> str:
    return frame.scenario.providers[provider].proxy or provider


def _refused(frame: Frame, proxies: Sequence[str], spans: Sequence[tuple[float, float]]) -> int:
    series = frame.data.proxies
    return sum(series[p].refused_between(start, end) for p in proxies if p in series for start, end in spans)


def _retry_amplification(context: Context, expectation: RetryAmplificationExpectation) -> ExpectationResult:
    frame = context.frame
    segments = segments_for(frame.timeline, expectation.during)
    spans = [span for segment in segments for span in segment.spans]
    down = set().union(*(_down_providers(frame, start, end) for start, end in spans)) if spans else set()
    users = int(frame.requests_in(segments).sum())
    rows = int((frame.rows_in(segments) & frame.ledger.billable).sum())
    refused = _refused(frame, list(frame.data.proxies), spans)
    ratio = (rows + refused) / users if users else None
    figures: dict[str, float | str | None] = {
        "ledger_attempts": rows,
        "proxy_refused": refused,
        "user_requests": users,
        "ratio": ratio,
        "max": expectation.retry_amplification.max,
    }
    if down:
        reason = f"unmeasured: the proxy of {', '.join(sorted(down))} was down (refused in the kernel, uncounted)"
        return _result(expectation, Verdict.INCONCLUSIVE, reason, **figures)
    if ratio is None:
        return _result(expectation, Verdict.INCONCLUSIVE, "no user requests to compare with", **figures)
    verdict = Verdict.PASS if ratio <= expectation.retry_amplification.max else Verdict.FAIL
    reason = f"{rows} ledger attempts + {refused} refused connections for {users} user requests: {ratio:.3g}x"
    return _result(expectation, verdict, reason, **figures)


def _no_traffic_to(context: Context, expectation: NoTrafficToExpectation) -> ExpectationResult:
    frame = context.frame
    provider, grace = expectation.no_traffic_to, expectation.after
    window = frame.window(expectation.during)
    if window is not None:
        spans = [(window.start + grace, window.end)]
    else:
        segments = segments_for(frame.timeline, expectation.during)
        spans = [(start + grace, end) for segment in segments for start, end in segment.spans]
    spans = [(start, end) for start, end in spans if end > start]
    if not spans:
        return _result(expectation, Verdict.INCONCLUSIVE, f"{expectation.during} was never active past the grace")
    ledger = frame.ledger
    code = frame.providers.index(provider)
    in_spans = np.zeros(len(ledger), dtype=np.bool_)
    for start, end in spans:
        in_spans |= (ledger.t >= start) & (ledger.t < end)
    hits = in_spans & ledger.billable & (ledger.provider == code)
    rows = int(hits.sum())
    refused = _refused(frame, [_proxy_of(frame, provider)], spans)
    first = float(ledger.t[hits].min()) if rows else None
    figures: dict[str, float | str | None] = {"ledger_attempts": rows, "proxy_refused": refused, "first_at": first}
    if provider in set().union(*(_down_providers(frame, start, end) for start, end in spans)):
        reason = f"unmeasured: the proxy of {provider} was down (refused in the kernel, uncounted)"
        return _result(expectation, Verdict.INCONCLUSIVE, reason, **figures)
    if rows + refused == 0:
        return _result(expectation, Verdict.PASS, f"no request reached {provider}", **figures)
    reason = f"{rows + refused} attempts reached {provider}"
    if first is not None:
        reason += f", the first at {first:.1f}s"
    return _result(expectation, Verdict.FAIL, reason, **figures)


def _detect(context: Context, expectation: DetectExpectation) -> ExpectationResult:
    frame = context.frame
    window = frame.window(expectation.during)
    if window is None:
        return _result(expectation, Verdict.INCONCLUSIVE, f"{expectation.during} was never injected")
    deadline = window.start + expectation.within
    severities = {Severity.PAGE} if expectation.detect is Severity.PAGE else set(Severity)
    detected = [
        max(firing.fired_at, window.start) - window.start
        for firing in context.firings
        if firing.slo == expectation.slo
        and firing.severity in severities
        and firing.fired_at <= deadline
        and (firing.cleared_at is None or firing.cleared_at > window.start)
    ]
    if detected:
        after = min(detected)
        reason = f"a {expectation.detect.value} alert on {expectation.slo} fired {after:.1f}s after the injection"
        return _result(expectation, Verdict.PASS, reason, detected_after=after)
    if deadline > frame.horizon:
        reason = f"the run ended before {expectation.within:g}s after the injection"
        return _result(expectation, Verdict.INCONCLUSIVE, reason, detected_after=None)
    reason = f"no {expectation.detect.value} alert on {expectation.slo} within {expectation.within:g}s"
    return _result(expectation, Verdict.FAIL, reason, detected_after=None)


def _no_client_findings(context: Context, expectation: NoClientFindingsExpectation) -> ExpectationResult:
    kinds = expectation.no_client_findings
    found = [finding for finding in context.findings if kinds == "all" or finding.kind in kinds]
    if not found:
        return _result(expectation, Verdict.PASS, "no such client finding", findings=0)
    names = sorted({f"{finding.kind.value} ({finding.provider})" for finding in found})
    return _result(expectation, Verdict.FAIL, "found: " + ", ".join(names), findings=len(found))


_JUDGES: dict[type, Callable[[Context, Any], ExpectationResult]] = {
    ServedByExpectation: _served_by,
    RecoversToExpectation: _recovers_to,
    RetryAmplificationExpectation: _retry_amplification,
    NoTrafficToExpectation: _no_traffic_to,
    DetectExpectation: _detect,
    DegradedShareExpectation: _degraded_share,
    NoClientFindingsExpectation: _no_client_findings,
}
