"""Each provider fault, switched on through the admin API, changes what a client sees."""

from __future__ import annotations

import itertools
import json
import statistics
import time

import httpx
import pytest

from chaos.evals import load_eval_set
from chaos.providers.text import count_tokens
from tests.providers.conftest import EVALS, JSON, Mock

OPENAI_HEADERS = {"Authorization": "Bearer k"}
ANTHROPIC_HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def chat(
    mock: Mock, provider: str = "oai", *, stream: bool = False, max_tokens: int = 8, **extra: object
) -> httpx.Response:
    messages = extra.pop("messages", [{"role": "user", "content": "Say something."}])
    body = {"model": "m", "messages": messages, "max_tokens": max_tokens, "stream": stream, **extra}
    if provider in ("anth", "paced-anth"):
        return httpx.post(f"{mock.url(provider)}/v1/messages", json=body, headers=ANTHROPIC_HEADERS, timeout=10)
    return httpx.post(f"{mock.url(provider)}/chat/completions", json=body, headers=OPENAI_HEADERS, timeout=10)


# Anthropic's error type for each status (docs.anthropic.com, "Errors"); a 5xx it does not
# name is an api_error.
ANTHROPIC_TYPES = {
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    413: "request_too_large",
}


@pytest.mark.parametrize(("status", "anthropic_type"), ANTHROPIC_TYPES.items())
def test_http_error_answers_in_each_providers_shape(mock: Mock, status: int, anthropic_type: str) -> None:
    mock.behave("err-o", "oai", "http_error", {"status": status, "retry_after": "2s"})
    mock.behave("err-a", "anth", "http_error", {"status": status, "message": "custom words"})
    openai_answer, anthropic_answer = chat(mock, "oai"), chat(mock, "anth")
    assert openai_answer.status_code == anthropic_answer.status_code == status
    error = openai_answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == ("server_error" if status >= 500 else "invalid_request_error")
    assert openai_answer.headers["retry-after"] == "2"
    body = anthropic_answer.json()
    assert body["type"] == "error"
    assert body["error"]["message"] == "custom words"
    assert body["error"]["type"] == anthropic_type
    assert all(row["fault"] in ("err-o", "err-a") and row["output_tokens"] == 0 for row in mock.ledger())


def test_rate_share_is_seeded_and_reproducible(mock: Mock) -> None:
    def pattern() -> list[int]:
        mock.behave("flaky", "oai", "http_error", {"status": 503, "rate": "30%"})
        statuses = [chat(mock).status_code for _ in range(40)]
        httpx.delete(f"{mock.admin}/behaviours/flaky", headers=JSON).raise_for_status()
        return statuses

    first, second = pattern(), pattern()
    assert first == second  # same seed, same name, same sequence of requests
    assert 4 <= first.count(503) <= 20


def test_scope_narrows_a_behaviour_to_streams_of_one_model(mock: Mock) -> None:
    mock.behave("scoped", "oai", "http_error", {"status": 500, "scope": {"model": "m", "stream": True}})
    assert chat(mock, stream=True).status_code == 500
    assert chat(mock, stream=False).status_code == 200
    assert chat(mock, stream=True, model="other").status_code == 200


def test_rate_limit_quota_gives_the_real_wait_in_retry_after(mock: Mock) -> None:
    mock.behave("quota", "anth", "rate_limit", {"rpm": 2})
    assert [chat(mock, "anth").status_code for _ in range(2)] == [200, 200]
    refused = chat(mock, "anth")
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "rate_limit_error"
    wait_ms = int(refused.headers["retry-after-ms"])
    assert 55_000 <= wait_ms <= 60_000  # the first request leaves the one-minute window then
    assert int(refused.headers["retry-after"]) == -(-wait_ms // 1000)
    assert refused.headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert refused.headers["anthropic-ratelimit-requests-limit"] == "2"


def test_a_standing_quota_refuses_over_it_and_marks_the_ledger(mock: Mock) -> None:
    # rpm 60 counted over 2 s: 2 calls in any 2 s (the scenario's providers.NAME.quota)
    assert [chat(mock, "limited").status_code for _ in range(2)] == [200, 200]
    refused = chat(mock, "limited")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after-ms"]) <= 2_000  # the real wait, within the 2 s span
    assert refused.headers["x-ratelimit-limit-requests"] == "60"
    rows = [row for row in mock.ledger() if row["provider"] == "limited"]
    assert [(row["status"], row.get("fault")) for row in rows] == [(200, None), (200, None), (429, "quota")]


def test_slow_first_token_delays_the_first_token_not_the_headers(mock: Mock) -> None:
    mock.behave("slow", "oai", "slow_first_token", {"delay": "600ms"})
    started = time.monotonic()
    with httpx.stream(
        "POST",
        f"{mock.url('oai')}/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True, "max_tokens": 3},
        headers=OPENAI_HEADERS,
    ) as response:
        headers_at = time.monotonic() - started
        first_token_at = None
        for line in response.iter_lines():
            if '"content":"' in line and '"content":""' not in line:
                first_token_at = time.monotonic() - started
                break
    assert headers_at < 0.5
    assert first_token_at is not None
    assert 0.6 <= first_token_at <= 0.6 * 3 + 0.5
    non_stream_started = time.monotonic()
    assert chat(mock).status_code == 200
    assert 0.6 <= time.monotonic() - non_stream_started <= 0.6 * 3 + 0.5


def test_slow_tokens_paces_the_stream(mock: Mock) -> None:
    mock.behave("crawl", "anth", "slow_tokens", {"inter_token": "100ms"})
    gaps = []
    with httpx.stream(
        "POST",
        f"{mock.url('anth')}/v1/messages",
        json={"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True, "max_tokens": 6},
        headers=ANTHROPIC_HEADERS,
    ) as response:
        last = None
        for line in response.iter_lines():
            if line.startswith('data: {"type":"content_block_delta"'):
                now = time.monotonic()
                if last is not None:
                    gaps.append(now - last)
                last = now
    assert len(gaps) == 5
    # A delta seen late (the client not scheduled at once) shortens the gap before it and
    # lengthens the next: the median gap is the pace, whatever one late read does.
    assert statistics.median(gaps) >= 0.1 - 0.005
    assert sum(gaps) <= 0.5 * 3 + 0.5


def test_latency_profile_is_realistic_by_default(mock: Mock) -> None:
    started = time.monotonic()
    answer = chat(mock, "paced", max_tokens=20)
    elapsed = time.monotonic() - started
    assert answer.status_code == 200
    # ttft 300 ms +- 50 ms, then 19 more tokens at 40/s: about 0.73 s.
    assert 0.25 + 19 / 40 <= elapsed <= 3 * (0.35 + 19 / 40) + 0.5


@pytest.mark.parametrize("provider", ["oai", "anth"])
def test_stream_cut_bills_what_was_sent(mock: Mock, provider: str) -> None:
    mock.behave("cut", provider, "stream_cut", {"mode": "truncate", "after_tokens": 4})
    response = chat(mock, provider, stream=True, max_tokens=10)
    assert response.status_code == 200
    assert "[DONE]" not in response.text
    assert "message_stop" not in response.text
    (row,) = mock.ledger()
    assert row["output_tokens"] == 4
    assert row["input_tokens"] == count_tokens("Say something.")


def test_stream_cut_leaves_non_stream_answers_alone(mock: Mock) -> None:
    mock.behave("cut", "oai", "stream_cut", {"mode": "disconnect", "after_tokens": 1})
    assert chat(mock).status_code == 200
    assert mock.ledger()[0]["fault"] is None


def test_disconnect_drops_the_connection_mid_body(mock: Mock) -> None:
    mock.behave("cut", "oai", "stream_cut", {"mode": "disconnect", "after_tokens": 2})
    with pytest.raises(httpx.RemoteProtocolError):
        chat(mock, stream=True)
    assert mock.ledger()[0]["output_tokens"] == 2


def test_hang_never_answers_and_the_ledger_sees_the_client_leave(mock: Mock) -> None:
    mock.behave("hang", "oai", "hang", {})
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{mock.url('oai')}/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
            headers=OPENAI_HEADERS,
            timeout=0.5,
        )
    deadline = time.monotonic() + 5
    while not mock.ledger() and time.monotonic() < deadline:
        time.sleep(0.05)
    (row,) = mock.ledger()
    assert row["status"] == 499
    assert row["fault"] == "hang"
    # The provider's clock starts once it has read the request, a hair after the client's
    # 0.5 s read timeout began: it held the call until the client left, give or take that.
    assert row["duration_s"] >= 0.45
    assert (row["input_tokens"], row["output_tokens"]) == (0, 0)
    assert httpx.get(f"{mock.admin}/healthz").status_code == 200  # the admin API is not blocked


def test_token_inflation_ignores_max_tokens_and_is_billed(mock: Mock) -> None:
    mock.behave("inflate", "oai", "token_inflation", {"factor": 10})
    answer = chat(mock, max_tokens=8).json()
    assert answer["usage"]["completion_tokens"] == 80
    assert count_tokens(answer["choices"][0]["message"]["content"]) == 80
    assert mock.ledger()[0]["output_tokens"] == 80


def test_quality_fault_lowers_the_eval_pass_rate_and_changes_the_model(mock: Mock) -> None:
    mock.behave("dumb", "anth", "quality", {"pass_rate": "25%", "model_version": "claude-test-regressed"})
    cases = load_eval_set(EVALS).cases
    passed = 0
    for case in cases * 2:
        answer = chat(mock, "anth", messages=[{"role": "user", "content": case.prompt}], max_tokens=50).json()
        assert answer["model"] == "claude-test-regressed"
        passed += case.judge(answer["content"][0]["text"])
    assert 0.05 <= passed / (2 * len(cases)) <= 0.5


def test_several_behaviours_combine_by_the_documented_precedence(mock: Mock) -> None:
    mock.behave("b-503", "oai", "http_error", {"status": 503})
    mock.behave("a-hang-never", "oai", "hang", {"rate": "0%"})
    mock.behave("inflate", "oai", "token_inflation", {"factor": 2})
    assert chat(mock).status_code == 503  # a blocking behaviour replaces the answer
    httpx.delete(f"{mock.admin}/behaviours/b-503", headers=JSON).raise_for_status()
    mock.behave("inflate-more", "oai", "token_inflation", {"factor": 3})
    mock.behave("slow", "oai", "slow_first_token", {"delay": "100ms"})
    answer = chat(mock, max_tokens=5)
    assert answer.json()["usage"]["completion_tokens"] == 15  # the largest factor wins
    fault = mock.ledger()[-1]["fault"]
    assert set(fault.split("+")) == {"inflate", "inflate-more", "slow"}


def test_openai_rate_limit_headers_and_error_shape_on_429(mock: Mock) -> None:
    mock.behave("limited", "oai", "rate_limit", {"retry_after": "3s"})
    answer = chat(mock)
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "3"
    assert answer.headers["x-ratelimit-limit-requests"]
    assert json.loads(answer.text)["error"]["code"] == "rate_limit_exceeded"


def wait_for_rows(mock: Mock, count: int) -> list[dict[str, object]]:
    """The ledger once it holds ``count`` rows (a row is billed when its call ends)."""
    deadline = time.monotonic() + 5
    while len(rows := mock.ledger()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return rows


def test_the_ledger_says_how_each_call_ended_from_the_providers_side(mock: Mock) -> None:
    """Whole answers are completed; an error, a cut stream and a hang are failed; a client
    that leaves a healthy stream midway disconnected, and the row bills what was sent."""
    assert chat(mock, "oai", stream=True).status_code == 200
    assert chat(mock, "anth").status_code == 200
    mock.behave("cut", "anth", "stream_cut", {"mode": "truncate", "after_tokens": 2})
    assert chat(mock, "anth", stream=True).status_code == 200
    mock.behave("down", "oai", "http_error", {"status": 503})
    assert chat(mock, "oai").status_code == 503
    mock.behave("hang", "anth", "hang", {}, ttl_s=60)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{mock.url('anth')}/v1/messages",
            json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
            headers=ANTHROPIC_HEADERS,
            timeout=0.3,
        )
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 40, "stream": True}
    with httpx.stream(
        "POST", f"{mock.url('paced')}/chat/completions", json=body, headers=OPENAI_HEADERS, timeout=10
    ) as response:
        deltas = (json.loads(line[6:])["choices"][0]["delta"] for line in response.iter_lines() if line[6:7] == "{")
        tokens = list(itertools.islice((delta for delta in deltas if delta.get("content")), 3))
    assert len(tokens) == 3
    ends = [(row["provider"], row["status"], row["end"]) for row in wait_for_rows(mock, 6)]
    assert ends == [
        ("oai", 200, "completed"),
        ("anth", 200, "completed"),
        ("anth", 200, "failed"),
        ("oai", 503, "failed"),
        ("anth", 499, "failed"),
        ("paced", 200, "client_disconnected"),
    ]
    left = mock.ledger()[-1]
    assert 3 <= left["output_tokens"] < 40  # what was sent before the client left
