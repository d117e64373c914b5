"""The assistant's resilience, proven against mock providers with real faults.

Run with `pytest examples/pytest` (the plugin comes with chaos-llm): `chaos_providers`
starts a mock OpenAI and a mock Anthropic and points the SDKs at them.
"""

from __future__ import annotations

import assistant


def test_a_healthy_openai_answers(chaos_providers):
    answer = assistant.ask("What is chaos engineering?")
    assert answer.provider == "openai"
    assert answer.text
    chaos_providers.assert_resilient()


def test_falls_back_to_anthropic_while_openai_is_down(chaos_providers):
    with chaos_providers["openai"].fault(http_error={"status": 503}):
        answer = assistant.ask("Are you there?")
    assert answer.provider == "anthropic"
    assert len(chaos_providers.calls(provider="openai", status=503)) == assistant.ATTEMPTS
    chaos_providers.assert_fell_back(from_="openai", to="anthropic")
    chaos_providers.assert_resilient()


def test_waits_out_a_rate_limit_instead_of_failing_over(chaos_providers):
    chaos_providers["openai"].fault(rate_limit={"retry_after": "500ms"}, times=2)
    answer = assistant.ask("Still there?")
    assert answer.provider == "openai"
    assert len(chaos_providers.calls(provider="openai", status=429)) == 2
    chaos_providers.assert_resilient()


def test_an_overloaded_anthropic_is_retried_with_backoff(chaos_providers):
    chaos_providers["anthropic"].fault(http_error={"status": 529}, times=2)
    with chaos_providers["openai"].fault(http_error={"status": 500}):
        answer = assistant.ask("Anyone?")
    assert answer.provider == "anthropic"
    chaos_providers.assert_resilient()


def test_a_stream_cut_short_is_not_taken_for_an_answer(chaos_providers):
    with chaos_providers["openai"].fault(stream_cut={"after_tokens": 3, "mode": "truncate"}):
        answer = assistant.ask("Tell me a story.", stream=True)
    assert answer.provider == "anthropic"
    chaos_providers.assert_fell_back(from_="openai", to="anthropic")
    chaos_providers.assert_resilient()
