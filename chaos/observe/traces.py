"""The target's traces against what the run did: coverage, provider calls, model attributes.

- **Coverage**: a request the target answered has a trace when at least one span of the
  trace its ``traceparent`` named arrived (``chaos.observe.context``). The share of
  answered requests with a trace must reach ``trace_coverage.min``.
- **Provider calls**: each call the ledger saw for a request must be a client span of that
  request's trace. The provider records the ``traceparent`` the call carried: its parent
  id is the span that made the call, which must have arrived, in the request's trace, as
  a client span. A call that carried no traceparent is matched to a client span of its
  request's trace that no other call claimed, oldest first. A call left over is named with
  its request id and what it was (a retry, a fallback).
- **Model attributes**: each matched call span carries ``gen_ai.request.model``, equal to
  the model the provider was asked for, and, when the call answered, a non-empty
  ``gen_ai.response.model`` (the model and version that answered).

Each check is pass or fail; inconclusive when there was nothing to check (no request
answered, no call with a request id).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chaos.observe.context import parse_traceparent, trace_id
from chaos.observe.facts import RequestFacts
from chaos.observe.results import Figures, listed, result
from chaos.observe.spans import SpanRow
from chaos.records import LedgerRow
from chaos.scenario.observe import TraceChecks
from chaos.scenario.units import format_percent
from chaos.slo.results import ExpectationResult
from chaos.wilson import Verdict

CLIENT = "client"
REQUEST_MODEL, RESPONSE_MODEL = "gen_ai.request.model", "gen_ai.response.model"


@dataclass(frozen=True)
class Call:
    request: RequestFacts
    row: LedgerRow
    span: SpanRow | None
    why: str = ""  # why no span shows it

    @property
    def named(self) -> str:
        return f"{self.request.id}: {self.request.call_kind(self.row)}"


def judge_traces(
    checks: TraceChecks, requests: Mapping[str, RequestFacts], spans: Iterable[SpanRow]
) -> list[ExpectationResult]:
    traces: dict[str, list[SpanRow]] = defaultdict(list)
    for span in spans:
        traces[span.trace_id].append(span)
    results = [coverage(checks.trace_coverage.min, requests, traces)]
    if checks.provider_calls or checks.model_attributes:
        calls = match_calls(requests, traces)
        if checks.provider_calls:
            results.append(provider_calls(calls))
        if checks.model_attributes:
            results.append(model_attributes(calls))
    return results


def coverage(
    minimum: float, requests: Mapping[str, RequestFacts], traces: Mapping[str, list[SpanRow]]
) -> ExpectationResult:
    expectation = f"observe.traces.trace_coverage: min {format_percent(minimum)}"
    answered = [facts for facts in requests.values() if facts.answered]
    missing = [facts.id for facts in answered if trace_id(facts.id) not in traces]
    if not answered:
        return result(expectation, "trace_coverage", Verdict.INCONCLUSIVE, "the target answered no request", {})
    share = 1 - len(missing) / len(answered)
    figures: Figures = {"answered": len(answered), "traced": len(answered) - len(missing)}
    figures["coverage"] = share
    if share >= minimum:
        reason = f"{format_percent(share)} of {len(answered)} answered requests have a trace"
        return result(expectation, "trace_coverage", Verdict.PASS, reason, figures)
    reason = f"{format_percent(share)} of {len(answered)} answered requests have a trace; without one: "
    return result(expectation, "trace_coverage", Verdict.FAIL, reason + listed(missing), figures)


def match_calls(requests: Mapping[str, RequestFacts], traces: Mapping[str, list[SpanRow]]) -> list[Call]:
    """Each ledger call of each request, with the client span that shows it (or why none does)."""
    calls: list[Call] = []
    for facts in requests.values():
        expected = trace_id(facts.id)
        spans = {span.span_id: span for span in traces.get(expected, [])}
        claimed: set[str] = set()
        unpropagated: list[LedgerRow] = []
        for row in facts.calls:
            parent = parse_traceparent(row.traceparent)
            if parent is None:
                unpropagated.append(row)
                continue
            span = spans.get(parent.parent_id) if parent.trace_id == expected else None
            if parent.trace_id != expected:
                calls.append(Call(facts, row, None, "its traceparent names another trace"))
            elif span is None:
                calls.append(Call(facts, row, None, "the span its traceparent names never arrived"))
            elif span.kind != CLIENT:
                calls.append(Call(facts, row, None, f"its traceparent names the {span.kind} span {span.name!r}"))
            else:
                claimed.add(span.span_id)
                calls.append(Call(facts, row, span))
        free = sorted(
            (span for span in spans.values() if span.kind == CLIENT and span.span_id not in claimed),
            key=lambda span: span.t_start,
        )
        for index, row in enumerate(unpropagated):
            span = free[index] if index < len(free) else None
            calls.append(Call(facts, row, span, "" if span else "no traceparent reached the provider, no span is left"))
    return calls


def provider_calls(calls: list[Call]) -> ExpectationResult:
    expectation = "observe.traces.provider_calls"
    unseen = [call for call in calls if call.span is None]
    figures: Figures = {"calls": len(calls), "without_span": len(unseen)}
    figures["retries_or_fallbacks_without_span"] = sum(1 for call in unseen if _retry_or_fallback(call))
    if not calls:
        reason = "no provider call carried a request id of the run's requests"
        return result(expectation, "trace_provider_calls", Verdict.INCONCLUSIVE, reason, figures)
    if not unseen:
        reason = f"each of {len(calls)} provider calls is a client span of its request's trace"
        return result(expectation, "trace_provider_calls", Verdict.PASS, reason, figures)
    # Retries and fallbacks first: the calls a trace most needs to show.
    unseen.sort(key=lambda call: not _retry_or_fallback(call))
    named = [f"{call.named} ({call.why})" for call in unseen]
    reason = f"{len(unseen)} of {len(calls)} provider calls are not in their request's trace: " + listed(named)
    return result(expectation, "trace_provider_calls", Verdict.FAIL, reason, figures)


def model_attributes(calls: list[Call]) -> ExpectationResult:
    expectation = "observe.traces.model_attributes"
    shown = [call for call in calls if call.span is not None]
    wrong = [f"{call.named} ({problem})" for call in shown if (problem := _model_problem(call))]
    figures: Figures = {"spans": len(shown), "misreported": len(wrong)}
    if not shown:
        reason = "no provider call has a span to read"
        return result(expectation, "trace_model_attributes", Verdict.INCONCLUSIVE, reason, figures)
    if not wrong:
        reason = f"each of {len(shown)} call spans names the model asked for and the one that answered"
        return result(expectation, "trace_model_attributes", Verdict.PASS, reason, figures)
    reason = f"{len(wrong)} of {len(shown)} call spans misreport the model: " + listed(wrong)
    return result(expectation, "trace_model_attributes", Verdict.FAIL, reason, figures)


def _model_problem(call: Call) -> str:
    assert call.span is not None
    attributes = call.span.attributes
    asked = attributes.get(REQUEST_MODEL)
    if asked in (None, ""):
        return f"no {REQUEST_MODEL}"
    if str(asked) != call.row.model:
        return f"{REQUEST_MODEL} is {asked}, the provider was asked for {call.row.model}"
    if call.row.served and attributes.get(RESPONSE_MODEL) in (None, ""):
        return f"it answered, but no {RESPONSE_MODEL}"
    return ""


def _retry_or_fallback(call: Call) -> bool:
    return not call.request.call_kind(call.row).startswith("call")
