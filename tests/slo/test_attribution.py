"""Who served a request, by time, when no call carries its id: a hand-made run.

Each request takes 1 s; the calls below carry no request id. A call can have served a
request only if it lay inside it; of those, the one that ended last serves it, and a call
serves one request at most.
"""

from __future__ import annotations

import pytest

from chaos.records import CallEnd, LedgerRow
from chaos.slo.builder import RunDataBuilder
from chaos.slo.evaluate import evaluate
from tests.slo.slo_runs import Run, scenario


def test_calls_without_a_request_id_are_matched_by_time_and_the_journal_says_how_sure() -> None:
    run = Run()
    run.request(12.0, duration=1.0)  # a: one candidate call
    run.ledger(12.01, "primary", duration=0.98)
    run.request(14.0, duration=1.0)  # b: two candidates at two providers; the later end wins
    run.ledger(14.02, "secondary", duration=0.48)
    run.ledger(14.01, "primary", duration=0.97)
    run.request(16.0, duration=1.0)  # c: two candidates at the primary
    run.ledger(16.01, "primary", duration=0.59)
    run.ledger(16.3, "primary", duration=0.65)
    run.request(18.0, duration=1.0)  # d: the only call began before it was sent
    run.ledger(17.9, "primary", duration=1.0)
    run.request(20.0, duration=1.0)  # e and f: one call inside both; e ended first and takes it
    run.request(20.1, duration=1.0)
    run.ledger(20.2, "secondary", duration=0.7)
    run.request(22.0, duration=1.0, degraded="cached")  # g: a cached answer, served by no call
    run.ledger(22.1, "primary", duration=0.8)
    run.stop(100)
    sc = scenario(target={"url": "http://127.0.0.1:9", "served_by": {"ledger": True}})
    (baseline,) = evaluate(sc, run.data(sc)).segments
    assert baseline.requests == 7
    assert baseline.served_by_ledger == {
        "primary": 3 / 7,  # a, b, c
        "secondary": 1 / 7,  # e
        "unknown": 2 / 7,  # d, f
        "degraded": 1 / 7,  # g
    }
    counts = baseline.attributed_by_time
    assert (counts.requests, counts.several_calls, counts.several_providers) == (4, 2, 1)


def test_a_call_the_client_abandoned_or_the_provider_cut_never_served_a_request() -> None:
    """Billed 200 all the same. ``timed_out`` carried its id; ``abandoned`` did not (the
    LiteLLM case: its stream timeout gave up on the primary, then the secondary answered)."""
    run = Run()
    timed_out = run.request(12.0, duration=3.0)
    run.ledger(12.01, "primary", request_id=timed_out, duration=2.0, end="client_disconnected")
    run.ledger(14.02, "secondary", request_id=timed_out, duration=0.9)
    cut = run.request(16.0, duration=1.0)
    run.ledger(16.01, "primary", request_id=cut, duration=0.9, end="failed")
    run.request(20.0, duration=3.0)  # abandoned
    run.ledger(20.01, "primary", duration=2.0, end="client_disconnected")
    run.ledger(22.02, "secondary", duration=0.95)
    run.stop(100)
    sc = scenario(target={"url": "http://127.0.0.1:9", "served_by": {"ledger": True}})
    (baseline,) = evaluate(sc, run.data(sc)).segments
    assert baseline.served_by_ledger == {"secondary": 2 / 3, "unknown": 1 / 3}
    assert baseline.attributed_by_time.requests == 1


def test_a_call_the_client_stopped_reading_after_tokens_came_served_its_request() -> None:
    """A gateway's cost guard cuts an answer running past its budget and relays what came:
    the provider sees its client leave midway, yet it served the request (the library's
    cost-explosion run). A call left before any token (a first-token timeout) served nobody."""
    run = Run()
    guarded = run.request(12.0, duration=1.0)
    run.ledger(12.01, "primary", request_id=guarded, duration=0.9, output_tokens=48, end="client_disconnected")
    timed_out = run.request(14.0, duration=3.0, served="secondary")
    run.ledger(14.01, "primary", request_id=timed_out, duration=2.0, end="client_disconnected")
    run.stop(100)
    sc = scenario(target={"url": "http://127.0.0.1:9", "served_by": {"ledger": True}})
    (baseline,) = evaluate(sc, run.data(sc)).segments
    assert baseline.served_by_ledger == {"primary": 1 / 2, "unknown": 1 / 2}


@pytest.mark.parametrize("status", [200, 429, 499, 503])
@pytest.mark.parametrize("end", list(CallEnd))
@pytest.mark.parametrize("tokens", [0, 5])
def test_the_verdict_reads_who_served_as_the_ledger_row_defines_it(status: int, end: CallEnd, tokens: int) -> None:
    row = LedgerRow(
        t=1.0,
        t_end=2.0,
        provider="primary",
        endpoint="/",
        model="m",
        stream=True,
        status=status,
        end=end,
        output_tokens=tokens,
    )
    builder = RunDataBuilder(scenario())
    builder.add_records([row])
    assert bool(builder.build().ledger.serving[0]) is row.served
