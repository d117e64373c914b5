"""The unit level as this suite uses it: the plugin's fixtures, the official SDKs, real faults
on the mock providers, and what the assertions say when the app misbehaves."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from chaos.pytest_plugin.faults import FaultSettingsError
from chaos.pytest_plugin.network import ChaosToxiproxy
from chaos.pytest_plugin.providers import DUMMY_KEY, ChaosProviders


@pytest.fixture
def oai() -> Iterator[openai.OpenAI]:
    with openai.OpenAI(max_retries=0, timeout=10) as client:  # built as an app builds it: from the environment
        yield client


@pytest.fixture
def anth() -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(max_retries=0, timeout=10) as client:
        yield client


def chat(client: openai.OpenAI, request_id: str | None = None, **extra: Any) -> str:
    headers = {"x-request-id": request_id} if request_id else {}
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], extra_headers=headers, **extra
    )
    return completion.choices[0].message.content or ""


def message(client: anthropic.Anthropic, request_id: str | None = None) -> str:
    headers = {"x-request-id": request_id} if request_id else {}
    messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": "hi"}]
    answer = client.messages.create(
        model="claude-3-5-haiku-latest", max_tokens=16, messages=messages, extra_headers=headers
    )
    return "".join(block.text for block in answer.content if block.type == "text")


def test_the_sdks_built_from_the_environment_reach_the_default_providers(
    chaos_providers: ChaosProviders, oai: openai.OpenAI, anth: anthropic.Anthropic
) -> None:
    assert chaos_providers.names == ["openai", "anthropic"]
    assert os.environ["OPENAI_BASE_URL"] == chaos_providers["openai"].url
    assert os.environ["OPENAI_BASE_URL"].startswith("http://127.0.0.1:")
    assert os.environ["OPENAI_BASE_URL"].endswith("/v1")
    assert os.environ["ANTHROPIC_BASE_URL"] == chaos_providers["anthropic"].url
    assert os.environ["OPENAI_API_KEY"] == os.environ["ANTHROPIC_API_KEY"] == DUMMY_KEY
    assert os.environ["CHAOS_PROVIDERS"] == "openai,anthropic"
    assert os.environ["CHAOS_PROVIDER_ANTHROPIC_URL"] == chaos_providers.urls["anthropic"]
    assert chat(oai)
    assert message(anth)
    assert [(row.provider, row.status) for row in chaos_providers.calls()] == [("openai", 200), ("anthropic", 200)]


def test_a_fault_holds_inside_its_with_block_only(chaos_providers: ChaosProviders, oai: openai.OpenAI) -> None:
    with chaos_providers["openai"].fault(http_error={"status": 529}) as fault:
        assert fault.active
        for _ in range(2):
            with pytest.raises(openai.APIStatusError) as raised:
                chat(oai)
            assert raised.value.status_code == 529
    assert not fault.active
    assert chat(oai)
    assert [row.status for row in chaos_providers.calls(provider="openai")] == [529, 529, 200]
    assert len(chaos_providers.calls(status=529)) == 2
    assert [row.status for row in chaos_providers.calls(served=True)] == [200]


def test_a_counted_fault_fails_that_many_calls_then_the_provider_answers(
    chaos_providers: ChaosProviders, anth: anthropic.Anthropic
) -> None:
    fault = chaos_providers["anthropic"].fault(rate_limit={"retry_after": "1s"}, times=2)
    for _ in range(2):
        with pytest.raises(anthropic.RateLimitError) as raised:
            message(anth)
        assert raised.value.response.headers["retry-after"] == "1"
    assert message(anth)
    assert not fault.active
    assert chaos_providers.active_faults() == []


def test_a_cut_stream_ends_early_without_its_finish_reason(chaos_providers: ChaosProviders, oai: openai.OpenAI) -> None:
    chaos_providers["openai"].fault(stream_cut={"after_tokens": 3, "mode": "truncate"})
    chunks = list(
        oai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], max_tokens=20, stream=True
        )
    )
    text = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(text) == 3
    assert all(choice.finish_reason is None for chunk in chunks for choice in chunk.choices)


def test_settings_are_checked_by_the_scenario_language(chaos_providers: ChaosProviders) -> None:
    with pytest.raises(FaultSettingsError, match=r"http_error\.status: Input should be greater than or equal to 400"):
        chaos_providers["openai"].fault(http_error={"status": 200})
    with pytest.raises(FaultSettingsError, match="http_eror: not a fault kind; one of hang, http_error"):
        chaos_providers["openai"].fault(http_eror={"status": 503})
    with pytest.raises(FaultSettingsError, match="exactly one kind key"):
        chaos_providers["openai"].fault(hang={}, http_error={"status": 503})
    with pytest.raises(KeyError, match="no mock provider 'primary'; these run: openai, anthropic"):
        chaos_providers["primary"].fault(hang={})
    assert chaos_providers.active_faults() == []


def test_assert_resilient_names_the_finding_and_its_request_ids(
    chaos_providers: ChaosProviders, oai: openai.OpenAI
) -> None:
    chaos_providers["openai"].fault(rate_limit={"retry_after": "1s"}, times=2)
    for _ in range(3):  # retried at once, Retry-After ignored
        try:
            chat(oai, request_id="req-7")
        except openai.RateLimitError:
            continue
    with pytest.raises(AssertionError) as failed:
        chaos_providers.assert_resilient()
    said = str(failed.value)
    assert "retry_after_ignored: retried before Retry-After elapsed at openai: 2 times" in said
    assert "shown by request ids: req-7" in said
    assert "no_backoff" in said
    assert said.count(" openai       429 failed") == 2


def test_assert_resilient_holds_for_a_patient_client_and_refuses_a_test_without_calls(
    chaos_providers: ChaosProviders, oai: openai.OpenAI
) -> None:
    with pytest.raises(AssertionError, match="no mock provider saw a call in this test"):
        chaos_providers.assert_resilient()
    chaos_providers["openai"].fault(http_error={"status": 503}, times=1)
    with pytest.raises(openai.InternalServerError):
        chat(oai, request_id="req-1")
    time.sleep(0.3)
    assert chat(oai, request_id="req-1")
    chaos_providers.assert_resilient()


def test_assert_fell_back_needs_a_failure_then_a_served_call_at_the_other(
    chaos_providers: ChaosProviders, oai: openai.OpenAI, anth: anthropic.Anthropic
) -> None:
    assert message(anth)
    with pytest.raises(AssertionError, match="openai never failed a call, so there was nothing to fall back from"):
        chaos_providers.assert_fell_back(from_="openai", to="anthropic")
    with chaos_providers["openai"].fault(http_error={"status": 500}), pytest.raises(openai.InternalServerError):
        chat(oai)
    with pytest.raises(AssertionError) as failed:
        chaos_providers.assert_fell_back(from_="openai", to="anthropic")
    assert "openai failed 1 call, and anthropic served none after the first" in str(failed.value)
    assert "+  0.000s anthropic    200 completed (no x-request-id)" in str(failed.value)
    assert message(anth)
    chaos_providers.assert_fell_back(from_="openai", to="anthropic")


@pytest.mark.chaos_providers(
    primary={"api": "anthropic", "model": "claude-sonnet", "latency": {"ttft": "300ms", "jitter": "0s"}},
    secondary={"api": "openai", "model": "gpt-4o-mini"},
    tertiary={"api": "openai", "model": "gpt-4.1-nano"},
)
def test_a_marker_names_the_providers_their_order_and_latency(
    chaos_providers: ChaosProviders, oai: openai.OpenAI, anth: anthropic.Anthropic
) -> None:
    assert chaos_providers.names == ["primary", "secondary", "tertiary"]
    assert os.environ["CHAOS_PROVIDERS"] == "primary,secondary,tertiary"
    assert os.environ["ANTHROPIC_BASE_URL"] == chaos_providers["primary"].url
    assert os.environ["OPENAI_BASE_URL"] == chaos_providers["secondary"].url  # the first of its format
    assert os.environ["CHAOS_PROVIDER_TERTIARY_MODEL"] == "gpt-4.1-nano"
    started = time.monotonic()
    assert message(anth)
    assert time.monotonic() - started >= 0.3
    assert chat(oai)
    assert [row.provider for row in chaos_providers.calls()] == ["primary", "secondary"]


def test_network_faults_go_through_the_proxies(
    chaos_providers: ChaosProviders, chaos_toxiproxy: ChaosToxiproxy, oai: openai.OpenAI
) -> None:
    assert os.environ["OPENAI_BASE_URL"] == chaos_toxiproxy.urls["openai"] != chaos_providers["openai"].url
    with chaos_toxiproxy["openai"].fault(toxic="latency", latency="400ms"):
        started = time.monotonic()
        assert chat(oai)
        assert time.monotonic() - started >= 0.4
    with chaos_toxiproxy.fault(network={"provider": "openai", "toxic": "down"}) as down:
        assert down.active
        with pytest.raises(openai.APIConnectionError):
            chat(oai)
    assert chat(oai)
