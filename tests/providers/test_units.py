"""The pure parts: tokens, answers, tool arguments, eval sets, quotas, behaviours, findings."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaos.errors import ChaosError
from chaos.evals import EvalCase, load_eval_set
from chaos.kinds import CallEnd, ClientFinding
from chaos.providers.admin_models import StoredBehaviour
from chaos.providers.behaviours import BehaviourError, Behaviours
from chaos.providers.findings import Thresholds, client_findings
from chaos.providers.lease import Lease, LeaseConflict, LeaseGone
from chaos.providers.ledger import Ledger, LedgerQuery
from chaos.providers.quotas import Window
from chaos.providers.text import count_tokens, filler_tokens, split_tokens
from chaos.providers.tools import Tool, choose_tool, tool_arguments
from chaos.records import LedgerRow

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_token_counter_counts_words_and_marks() -> None:
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("  ") == 0
    assert count_tokens("H2O is 100% water_vapour.") == 6


@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=0, max_value=300))
def test_filler_has_exactly_the_tokens_asked_and_is_deterministic(seed: int, count: int) -> None:
    tokens = filler_tokens(seed, count)
    assert len(tokens) == count
    assert count_tokens("".join(tokens)) == count
    assert tokens == filler_tokens(seed, count)


@given(st.text())
def test_split_tokens_keeps_the_text_and_gives_one_token_per_piece(text: str) -> None:
    pieces = split_tokens(text)
    if count_tokens(text):
        assert "".join(pieces) == text
        assert all(count_tokens(piece) == 1 for piece in pieces)
        assert len(pieces) == count_tokens(text)


SCHEMAS = [
    {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 5},
            "x": {"type": "number", "exclusiveMinimum": 0},
            "flag": {"type": ["boolean", "null"]},
            "mode": {"enum": ["a", "b"]},
            "fixed": {"const": 3},
            "name": {"type": "string", "minLength": 12, "maxLength": 20},
            "nested": {
                "type": "object",
                "properties": {"list": {"type": "array", "items": {"type": "integer"}, "minItems": 2}},
            },
            "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "required": ["n", "mode", "nested"],
        "additionalProperties": False,
    },
    {},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_tool_arguments_satisfy_their_schema(schema: dict[str, object]) -> None:
    arguments = json.loads(tool_arguments(Tool("t", schema), "a prompt"))
    jsonschema.validate(arguments, schema if schema else {"type": "object"})


def test_a_tool_is_called_when_forced_or_named_in_the_prompt() -> None:
    tools = [Tool("search", {}), Tool("weather", {})]
    assert choose_tool(tools, None, False, "please search then check weather") == tools[0]
    assert choose_tool(tools, None, False, "hello") is None
    assert choose_tool(tools, "weather", False, "hello") == tools[1]
    assert choose_tool(tools, None, True, "hello") == tools[0]
    assert choose_tool([], None, True, "search") is None


def test_the_shipped_eval_set_loads_and_each_right_answer_passes_and_wrong_fails() -> None:
    evals = load_eval_set(ROOT / "scenarios" / "evals" / "general.jsonl")
    assert len(evals.cases) == 40
    for case in evals.cases:
        assert case.judge(case.right_answer)
        assert not case.judge(case.wrong_answer())
        assert evals.find(case.prompt) is case
        assert evals.find(f"Context: quiz.\n{case.prompt}") is case
    assert evals.find("Something else entirely") is None


def test_a_bad_eval_set_is_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "evals.jsonl"
    path.write_text(
        '{"id": "a", "prompt": "p", "expected": "x", "match": "exact"}\n'
        "not json\n"
        '{"id": "b", "prompt": "p", "expected": "[", "match": "regex", "answer": "["}\n'
        '{"id": "a", "prompt": "q", "expected": "x", "match": "fuzzy"}\n'
    )
    with pytest.raises(ChaosError) as raised:
        load_eval_set(path)
    message = raised.value.message
    assert f"{path}:2: not a JSON object" in message
    assert f"{path}:3:" in message
    assert "not a valid regex" in message
    assert f"{path}:4: match" in message
    with pytest.raises(ValueError, match="does not pass its own match"):
        EvalCase(id="x", prompt="p", expected="^a$", match="regex", answer="b")  # type: ignore[arg-type]


def test_a_quota_refuses_until_the_real_wait_has_passed() -> None:
    clock = Clock(1000.25)
    window = Window(clock)
    assert window.admit(10, 2, None) == 0
    clock.now = 1010.5
    assert window.admit(10, 2, None) == 0
    wait = window.admit(10, 2, None)
    assert wait == pytest.approx(1060 - 1010.5)
    clock.now += wait - 0.01
    assert window.admit(10, 2, None) > 0  # not yet
    clock.now += 0.01
    assert window.admit(10, 2, None) == 0  # exactly when the first request left the window
    usage = window.usage(2, None)
    assert (usage.remaining_requests, usage.rpm) == (0, 2)


def test_a_token_quota_waits_for_enough_tokens_to_leave() -> None:
    clock = Clock(2000.0)
    window = Window(clock)
    assert window.admit(600, None, 1000) == 0
    clock.now = 2030.0
    assert window.admit(300, None, 1000) == 0
    assert window.admit(500, None, 1000) == pytest.approx(30.0)  # the first 600 must leave
    assert window.admit(2000, None, 1000) == float("inf")  # larger than the quota itself


def test_a_quota_counted_over_two_seconds_admits_its_share_of_the_minute() -> None:
    clock = Clock(3000.5)
    window = Window(clock, span=2)
    for _ in range(16):  # 480 a minute is 16 in any 2 s
        assert window.admit(10, 480, None) == 0
    wait = window.admit(10, 480, None)
    assert wait == pytest.approx(3002 - 3000.5)  # the first second's calls leave the span at 3002
    clock.now = 3002.0
    assert window.admit(10, 480, None) == 0
    assert window.usage(480, None).requests == 30  # one call in the span, said as a minute's count


def test_behaviours_expire_by_ttl_and_refresh_on_upsert() -> None:
    clock = Clock()
    behaviours = Behaviours({"p"}, seed=1, clock=clock)
    behaviours.upsert("x", {"provider": "p", "http_error": {"status": 503}, "ttl_s": 1})
    assert behaviours.decide("p", "m", "/v1/messages", False).http_error is not None
    clock.now += 0.9
    behaviours.upsert("x", {"provider": "p", "http_error": {"status": 500}, "ttl_s": 1})
    clock.now += 0.9
    decision = behaviours.decide("p", "m", "/v1/messages", False)
    assert decision.http_error is not None
    assert decision.http_error.status == 500
    clock.now += 0.2
    assert behaviours.decide("p", "m", "/v1/messages", False).applied == []
    assert behaviours.active() == []


def test_a_lease_is_held_until_its_expiry_and_a_renewal_moves_it() -> None:
    clock = Clock()
    held = Lease(clock)
    token = held.take("r1", ttl_s=10, proxies=[]).token
    clock.now += 9.5  # binary fractions: the expiry below is met exactly, not within rounding
    with pytest.raises(LeaseConflict):
        held.take("r2", ttl_s=10, proxies=[])
    renewed = held.take("r1", ttl_s=10, proxies=["primary"], token=token)
    assert (renewed.token, renewed.acquired_at, renewed.expires_at) == (token, 1_000_000.0, clock.now + 10)
    clock.now += 9.5
    assert held.run_id() == "r1"
    clock.now += 0.5  # at its expiry it is free: no one holds it, and its holder learns so
    assert held.run_id() is None
    with pytest.raises(LeaseGone):
        held.take("r1", ttl_s=10, proxies=[], token=token)
    assert held.take("r2", ttl_s=10, proxies=[]).run == "r2"


def test_a_lapsed_lease_is_kept_for_the_janitor_until_forgotten_and_a_released_one_is_not() -> None:
    clock = Clock()
    held = Lease(clock)
    token = held.take("r1", ttl_s=10, proxies=["primary"], containers=["gateway-1"]).token
    assert held.release(token) is not None
    assert held.lapsed() == []  # released: its run cleaned up itself
    held.take("r2", ttl_s=10, proxies=[], containers=["gateway-1"])
    clock.now += 9.5
    assert held.lapsed() == []  # still held
    clock.now += 0.5
    (lapsed,) = held.lapsed()
    assert (lapsed.run, lapsed.containers, lapsed.expires_at) == ("r2", ["gateway-1"], clock.now)
    assert held.take("r3", ttl_s=10, proxies=[]).run == "r3"  # a new run does not wait for the janitor
    assert [view.run for view in held.lapsed()] == ["r2"]
    assert held.forget_lapsed("r2") is not None
    assert (held.lapsed(), held.forget_lapsed("r2")) == ([], None)


def test_behaviour_bodies_are_validated_with_the_scenario_specs() -> None:
    behaviours = Behaviours({"p"}, seed=1)
    with pytest.raises(BehaviourError) as raised:
        behaviours.upsert("x", {"provider": "p", "slow_tokens": {"inter_token": "1s", "tokens_per_s": 3}})
    assert "exactly one of inter_token or tokens_per_s" in raised.value.problems[0]
    with pytest.raises(BehaviourError):
        behaviours.upsert("x", [1, 2])
    stored = behaviours.upsert("x", {"provider": "p", "stream_cut": {"mode": "error", "rate": 0.5}})
    assert StoredBehaviour.of(stored).model_dump(mode="json")["stream_cut"] == {
        "rate": "50%",
        "after_tokens": 10,
        "mode": "error",
    }


def row(
    seq: int, t: float, status: int, *, request_id: str | None = "r", provider: str = "p", **extra: object
) -> LedgerRow:
    fields: dict[str, object] = {
        "seq": seq,
        "t": t,
        "t_end": t + 0.1,
        "provider": provider,
        "endpoint": "/v1/messages",
        "model": "m",
        "stream": False,
        "status": status,
        "request_id": request_id,
        "end": "completed" if 200 <= status < 300 else "client_disconnected" if status == 499 else "failed",
        **extra,
    }
    return LedgerRow.model_validate(fields)


def kinds(rows: list[LedgerRow], **limits: float) -> set[ClientFinding]:
    return {finding.kind for finding in client_findings(rows, Thresholds(**limits))}  # type: ignore[arg-type]


def test_failing_over_to_another_provider_is_never_a_finding() -> None:
    rows = [row(1, 0.0, 503, provider="a"), row(2, 0.11, 200, provider="b")]
    assert kinds(rows) == set()


def test_a_wait_that_honours_retry_after_is_not_a_missing_backoff() -> None:
    rows = [row(1, 0.0, 429, retry_after_s=1.0), row(2, 1.1, 429, retry_after_s=1.0), row(3, 2.2, 200)]
    assert kinds(rows) == set()
    early = [row(1, 0.0, 429, retry_after_s=1.0), row(2, 0.9, 200)]
    assert kinds(early) == {ClientFinding.RETRY_AFTER_IGNORED}


def test_findings_thresholds_are_parameters() -> None:
    rows = [row(i, i * 1.0, 503) for i in range(1, 4)]
    assert ClientFinding.RETRY_STORM not in kinds(rows)
    assert ClientFinding.RETRY_STORM in kinds(rows, max_attempts=2)
    assert ClientFinding.NO_BACKOFF in kinds(rows)  # waits of 0.9 s and 0.9 s: constant
    assert ClientFinding.NO_BACKOFF not in kinds(rows, backoff_cap_s=0.5)


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 100),
            st.sampled_from([200, 400, 429, 499, 503, 529]),
            st.sampled_from(["a", "b", None]),
            st.sampled_from(["p", "q"]),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_findings_never_fail_and_name_ids_that_exist(entries: list[tuple[float, int, str | None, str, bool]]) -> None:
    rows = [
        row(i, t, status, request_id=rid, provider=provider, canary=canary)
        for i, (t, status, rid, provider, canary) in enumerate(entries, start=1)
    ]
    ids = {r.request_id for r in rows if not r.canary}
    for finding in client_findings(rows):
        assert set(finding.request_ids) <= ids
        assert finding.detail


def test_the_ledger_keeps_its_newest_rows_and_pulls_after_a_sequence_number() -> None:
    ledger = Ledger(max_rows=3)
    for index in range(5):
        fields = row(0, float(index), 200, request_id=f"id{index}").model_dump(exclude={"seq", "record"})
        ledger.write(**fields)
    assert [r.seq for r in ledger.query(LedgerQuery())] == [3, 4, 5]
    assert [r.seq for r in ledger.query(LedgerQuery(after=4))] == [5]
    assert [r.request_id for r in ledger.query(LedgerQuery(after=1, until=3.0))] == ["id2", "id3"]
    for index in range(10):
        ledger.next_attempt(f"other{index}", "p")
    assert ledger.next_attempt("other9", "p") == 2
    assert ledger.next_attempt("other0", "p") == 1  # forgotten: only the newest ids are kept


def test_calls_in_flight_when_a_streak_ends_are_not_hammering() -> None:
    failing = [row(0, i * 0.001, 503, request_id=f"f{i}", t_end=i * 0.001) for i in range(5)]
    in_flight = [row(0, 0.01 + i * 0.001, 503, request_id=f"c{i}", t_end=0.02) for i in range(35)]
    probe = [row(0, 5.5, 503, request_id="probe", t_end=5.5)]
    assert client_findings(failing + in_flight + probe) == []
    late = [row(0, 1.0 + i * 0.1, 503, request_id=f"l{i}", t_end=1.0 + i * 0.1) for i in range(5)]
    (finding,) = client_findings(failing + late)
    assert finding.kind is ClientFinding.HAMMERING_FAILED_PROVIDER


def test_calls_after_the_providers_own_retry_after_are_not_hammering() -> None:
    limited = [
        LedgerRow(
            t=i * 0.01,
            t_end=i * 0.01,
            provider="p",
            endpoint="/",
            model="m",
            stream=False,
            status=429,
            end=CallEnd.FAILED,
            retry_after_s=1.0,
            request_id=f"f{i}",
        )
        for i in range(5)
    ]
    after_the_wait = [
        LedgerRow(
            t=1.2 + i * 0.1,
            t_end=1.2 + i * 0.1,
            provider="p",
            endpoint="/",
            model="m",
            stream=False,
            status=200,
            end=CallEnd.COMPLETED,
            request_id=f"a{i}",
        )
        for i in range(10)
    ]
    assert client_findings(limited + after_the_wait) == []


@pytest.mark.parametrize(
    ("status", "end"),
    [(200, "client_disconnected"), (499, "client_disconnected"), (200, "failed")],
    ids=["abandoned-stream", "abandoned-before-an-answer", "cut-stream"],
)
def test_a_client_that_keeps_calling_a_provider_whose_calls_it_abandons_or_that_cuts_them_is_hammering(
    status: int, end: str
) -> None:
    """Five calls that served nothing (the gateway gave up on a stream before its first
    token, or the provider cut it), then ten more within the cool-down: a provider that
    times out or cuts streams is a failing provider, even when its status said 200."""
    streak = [row(i, i * 0.1, status, request_id=f"s{i}", end=end) for i in range(5)]
    more = [row(10 + i, 1.5 + i * 0.1, status, request_id=f"m{i}", end=end) for i in range(10)]
    (finding,) = client_findings(streak + more)
    assert finding.kind is ClientFinding.HAMMERING_FAILED_PROVIDER
    completed = [r.model_copy(update={"end": CallEnd.COMPLETED, "status": 200}) for r in streak + more]
    assert client_findings(completed) == []


def test_a_call_again_right_after_an_abandoned_one_is_a_retry_without_backoff() -> None:
    rows = [row(1, 0.0, 200, end="client_disconnected"), row(2, 0.12, 200)]
    assert kinds(rows) == {ClientFinding.NO_BACKOFF}


def test_a_stream_the_client_stopped_reading_after_tokens_came_is_no_failure() -> None:
    """A gateway's cost guard cuts each inflated answer after 48 tokens: the provider served."""
    cut = [row(i, i * 0.1, 200, request_id=f"c{i}", end="client_disconnected", output_tokens=48) for i in range(20)]
    assert client_findings(cut) == []
