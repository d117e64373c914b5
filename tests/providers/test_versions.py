"""Model versions: a provider answers as model@version (as the real APIs name the
snapshot that answered, and the official SDKs read it), bills the version in the ledger,
serves a pinned version when asked, and a ``model_swap`` silently changes the version
every other request gets until it is restored."""

from __future__ import annotations

import time

import anthropic
import httpx
import openai

from chaos.evals import load_eval_set
from tests.providers.conftest import EVALS, Mock

PROMPT = [{"role": "user", "content": "Tell me a story about a lighthouse."}]


def _anth(mock: Mock) -> anthropic.Anthropic:
    return mock.opened(anthropic.Anthropic(base_url=mock.url("v-anth"), api_key="k", max_retries=0, timeout=10))


def _oai(mock: Mock) -> openai.OpenAI:
    return mock.opened(openai.OpenAI(base_url=mock.url("v-oai"), api_key="k", max_retries=0, timeout=10))


def _ask_anthropic(mock: Mock, model: str, prompt: str = PROMPT[0]["content"], max_tokens: int = 20) -> tuple[str, str]:
    answer = _anth(mock).messages.create(
        model=model, max_tokens=max_tokens, messages=[{"role": "user", "content": prompt}]
    )
    text = "".join(block.text for block in answer.content if block.type == "text")
    return answer.model, text


def test_the_sdks_read_the_version_that_answered_and_the_ledger_bills_it(mock: Mock) -> None:
    model, _ = _ask_anthropic(mock, "claude-sonnet")
    assert model == "claude-sonnet@2026-09"  # the first version is the default
    answer = _oai(mock).chat.completions.create(model="gpt-v", messages=PROMPT, max_tokens=5)  # type: ignore[arg-type]
    assert answer.model == "gpt-v@2026-11"  # version: names the default
    with _oai(mock).chat.completions.create(
        model="gpt-v@2026-09", messages=PROMPT, max_tokens=5, stream=True
    ) as chunks:  # type: ignore[arg-type]
        assert {chunk.model for chunk in chunks} == {"gpt-v@2026-09"}
    rows = mock.ledger()
    assert [(row["provider"], row["model"], row["version"]) for row in rows] == [
        ("v-anth", "claude-sonnet", "2026-09"),
        ("v-oai", "gpt-v", "2026-11"),
        ("v-oai", "gpt-v@2026-09", "2026-09"),
    ]


def test_each_version_answers_with_its_own_accuracy_and_token_use(mock: Mock) -> None:
    case = load_eval_set(EVALS).cases[0]
    _, right = _ask_anthropic(mock, "claude-sonnet@2026-09", case.prompt)
    _, wrong = _ask_anthropic(mock, "claude-sonnet@2026-11", case.prompt)
    assert case.judge(right)
    assert not case.judge(wrong)
    _ask_anthropic(mock, "claude-sonnet@2026-09", max_tokens=20)
    _ask_anthropic(mock, "claude-sonnet@2026-11", max_tokens=20)
    tokens = {row["version"]: row["output_tokens"] for row in mock.ledger()[2:]}
    assert tokens == {"2026-09": 20, "2026-11": 10}  # token_use 50%


def test_each_version_answers_at_its_own_latency(mock: Mock) -> None:
    client = _oai(mock)
    started = time.monotonic()
    client.chat.completions.create(model="gpt-v@2026-11", messages=PROMPT, max_tokens=3)  # type: ignore[arg-type]
    slow = time.monotonic() - started
    started = time.monotonic()
    client.chat.completions.create(model="gpt-v@2026-09", messages=PROMPT, max_tokens=3)  # type: ignore[arg-type]
    fast = time.monotonic() - started
    assert slow >= 0.3
    assert fast < 0.25


def test_a_model_swap_changes_the_version_of_unpinned_requests_until_it_is_restored(mock: Mock) -> None:
    mock.behave("swap", "v-anth", "model_swap", {"version": "2026-11"})
    swapped, _ = _ask_anthropic(mock, "claude-sonnet")
    pinned, _ = _ask_anthropic(mock, "claude-sonnet@2026-09")
    httpx.delete(f"{mock.admin}/behaviours/swap", headers={"Content-Type": "application/json"}).raise_for_status()
    restored, _ = _ask_anthropic(mock, "claude-sonnet")
    assert (swapped, pinned, restored) == ("claude-sonnet@2026-11", "claude-sonnet@2026-09", "claude-sonnet@2026-09")
    assert [row["fault"] for row in mock.ledger()] == ["swap", None, None]


def test_a_model_swap_to_a_version_the_provider_lacks_is_refused(mock: Mock) -> None:
    response = mock.put("swap", {"provider": "v-anth", "model_swap": {"version": "2027-01"}, "ttl_s": 10})
    assert response.status_code == 400
    assert "model_swap.version: '2027-01' is not one of v-anth's versions (2026-09, 2026-11)" in response.text
    response = mock.put("swap", {"provider": "anth", "model_swap": {"version": "2026-11"}, "ttl_s": 10})
    assert response.status_code == 400
    assert "is not one of anth's versions (none)" in response.text
