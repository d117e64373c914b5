"""The trace checks on hand-made record sets: each verdict and each request it names,
worked out by hand (chaos/observe/traces.py states the rules)."""

from __future__ import annotations

from chaos.kinds import CallEnd
from chaos.observe.context import trace_id, traceparent
from chaos.observe.facts import RequestFacts, attach_calls
from chaos.observe.spans import SpanRow
from chaos.observe.traces import judge_traces
from chaos.records import LedgerRow
from chaos.scenario.observe import Coverage, TraceChecks
from chaos.wilson import Verdict

CHECKS = TraceChecks(trace_coverage=Coverage(min=0.99))


def requests(*ids: str, unanswered: tuple[str, ...] = ()) -> dict[str, RequestFacts]:
    return {rid: RequestFacts(rid, 100.0, status=None if rid in unanswered else 200) for rid in ids}


def span(request_id: str, span_id: str, *, kind: str = "client", t: float = 100.0, **attributes: str) -> SpanRow:
    return SpanRow(
        trace_id=trace_id(request_id),
        span_id=span_id,
        name=f"{kind} span",
        kind=kind,
        t_start=t,
        t_end=t + 0.1,
        attributes=dict(attributes),
        t_received=t + 1,
    )


def call(
    request_id: str,
    provider: str,
    *,
    parent: str | None,
    attempt: int = 1,
    status: int = 200,
    t: float = 100.0,
    model: str = "m",
    trace_of: str | None = None,
) -> LedgerRow:
    """A ledger row whose traceparent names span ``parent`` in ``trace_of``'s trace (default
    the request's own); ``parent=None``: the call carried no traceparent."""
    header = None
    if parent is not None:
        header = f"00-{trace_id(trace_of or request_id)}-{parent}-01"
    return LedgerRow(
        t=t,
        t_end=t + 0.1,
        provider=provider,
        endpoint="/v1/chat/completions",
        model=model,
        stream=True,
        status=status,
        end=CallEnd.COMPLETED if status == 200 else CallEnd.FAILED,
        request_id=request_id,
        attempt=attempt,
        traceparent=header,
    )


MODELS = {"gen_ai.request.model": "m", "gen_ai.response.model": "m-2024"}


def judged(
    facts: dict[str, RequestFacts], rows: list[LedgerRow], spans: list[SpanRow]
) -> dict[str, tuple[Verdict, str]]:
    attach_calls(facts, rows)
    return {result.kind: (result.verdict, result.reason) for result in judge_traces(CHECKS, facts, spans)}


def test_the_load_s_traceparent_names_the_request_s_trace() -> None:
    header = traceparent("req-1")
    assert header.startswith(f"00-{trace_id('req-1')}-")
    assert header.endswith("-01")
    assert len(header) == 55


def test_coverage_at_exactly_the_minimum_passes_and_one_short_fails_naming_the_request() -> None:
    ids = [f"r{n:03d}" for n in range(100)]
    traced = [span(rid, f"{n + 1:016x}", kind="server") for n, rid in enumerate(ids[:99])]
    at_minimum = judged(requests(*ids), [], traced)["trace_coverage"]
    assert at_minimum == (Verdict.PASS, "99% of 100 answered requests have a trace")
    short = judged(requests(*ids), [], traced[:98])["trace_coverage"]
    assert short == (Verdict.FAIL, "98% of 100 answered requests have a trace; without one: r098; r099")


def test_requests_the_target_never_answered_are_not_owed_a_trace() -> None:
    assert (
        judged(requests("a", "b", unanswered=("b",)), [], [span("a", "1" * 16, kind="server")])["trace_coverage"][0]
        is Verdict.PASS
    )
    nothing = judged(requests("a", unanswered=("a",)), [], [])
    assert nothing["trace_coverage"] == (Verdict.INCONCLUSIVE, "the target answered no request")
    assert nothing["trace_provider_calls"][0] is Verdict.INCONCLUSIVE


def test_every_call_a_client_span_of_its_trace_passes() -> None:
    rows = [
        call("a", "primary", parent="00000000000000a1", status=503),
        call("a", "primary", parent="00000000000000a2", attempt=2, t=100.5),
        call("b", "primary", parent="00000000000000b1"),
    ]
    spans = [
        span("a", "00000000000000a0", kind="server"),
        span("a", "00000000000000a1", **MODELS),
        span("a", "00000000000000a2", **MODELS),
        span("b", "00000000000000b1", **MODELS),
    ]
    result = judged(requests("a", "b"), rows, spans)
    assert result["trace_provider_calls"] == (
        Verdict.PASS,
        "each of 3 provider calls is a client span of its request's trace",
    )
    assert result["trace_model_attributes"][0] is Verdict.PASS


def test_a_retry_and_a_fallback_the_trace_does_not_show_are_named_with_their_request_ids() -> None:
    rows = [
        call("a", "primary", parent="00000000000000a1", status=503),
        call("a", "primary", parent="00000000000000a0", attempt=2, status=503, t=100.5),  # the server span: dropped
        call("a", "secondary", parent="00000000000000a9", t=101.0),  # a span that never arrived
        call("b", "primary", parent="00000000000000b1", trace_of="a"),  # in another request's trace
    ]
    spans = [span("a", "00000000000000a0", kind="server"), span("a", "00000000000000a1", **MODELS)]
    verdict, reason = judged(requests("a", "b"), rows, spans)["trace_provider_calls"]
    assert verdict is Verdict.FAIL
    assert reason == (
        "3 of 4 provider calls are not in their request's trace: "
        "a: retry (attempt 2 at primary) (its traceparent names the server span 'server span'); "
        "a: fallback to secondary (the span its traceparent names never arrived); "
        "b: call to primary (its traceparent names another trace)"
    )


def test_calls_without_a_traceparent_take_the_client_spans_no_other_call_claimed() -> None:
    rows = [
        call("a", "primary", parent=None, status=503),
        call("a", "primary", parent=None, attempt=2, t=100.5),
        call("a", "secondary", parent=None, t=101.0),
    ]
    two_spans = [span("a", "00000000000000a1", **MODELS), span("a", "00000000000000a2", t=100.5, **MODELS)]
    verdict, reason = judged(requests("a"), rows, two_spans)["trace_provider_calls"]
    assert verdict is Verdict.FAIL
    assert reason == (
        "1 of 3 provider calls are not in their request's trace: "
        "a: fallback to secondary (no traceparent reached the provider, no span is left)"
    )


def test_spans_must_name_the_model_asked_for_and_when_it_answered_the_one_that_answered() -> None:
    rows = [
        call("a", "primary", parent="00000000000000a1", status=503),  # failed: no response model owed
        call("a", "secondary", parent="00000000000000a2", t=100.5, model="gpt"),
        call("b", "primary", parent="00000000000000b1"),
        call("c", "primary", parent="00000000000000c1"),
    ]
    spans = [
        span("a", "00000000000000a1", **{"gen_ai.request.model": "m"}),
        span("a", "00000000000000a2", **{"gen_ai.request.model": "m", "gen_ai.response.model": "m"}),
        span("b", "00000000000000b1", **{"gen_ai.request.model": "m"}),
        span("c", "00000000000000c1", **MODELS),
    ]
    verdict, reason = judged(requests("a", "b", "c"), rows, spans)["trace_model_attributes"]
    assert verdict is Verdict.FAIL
    assert reason == (
        "2 of 4 call spans misreport the model: "
        "a: fallback to secondary (gen_ai.request.model is m, the provider was asked for gpt); "
        "b: call to primary (it answered, but no gen_ai.response.model)"
    )


def test_checks_switched_off_are_not_reported() -> None:
    facts = requests("a")
    only_coverage = TraceChecks(provider_calls=False, model_attributes=False)
    assert [r.kind for r in judge_traces(only_coverage, facts, [])] == ["trace_coverage"]
