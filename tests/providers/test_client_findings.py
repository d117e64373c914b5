"""Each client finding is raised by a scripted client that misbehaves in exactly that way,
and by no well-behaved client; judged from the mock's ledger."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from conftest import Mock

from chaos.providers.findings import client_findings
from chaos.records import LedgerRow

Client = Callable[[Mock], None]


def call(mock: Mock, provider: str, request_id: str) -> httpx.Response:
    if provider == "anth":
        return httpx.post(
            f"{mock.url('anth')}/v1/messages",
            json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
            headers={"x-api-key": "k", "anthropic-version": "2023-06-01", "x-request-id": request_id},
        )
    return httpx.post(
        f"{mock.url(provider)}/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 5},
        headers={"Authorization": "Bearer k", "x-request-id": request_id},
    )


def retry_with_waits(mock: Mock, request_id: str, waits: list[float]) -> None:
    """Call ``oai``; after each failure wait the next of ``waits`` and call again."""
    for wait in [*waits, None]:
        if call(mock, "oai", request_id).status_code < 300 or wait is None:
            return
        time.sleep(wait)


def honours_retry_after(mock: Mock) -> None:
    for attempt in range(2):
        answer = call(mock, "oai", "polite")
        if answer.status_code != 429 or attempt == 1:
            return
        time.sleep(int(answer.headers["retry-after-ms"]) / 1000)


def stops_after_a_client_error(mock: Mock) -> None:
    call(mock, "oai", "gives-up")


def backs_off_exponentially(mock: Mock) -> None:
    retry_with_waits(mock, "backoff", [0.15, 0.3])


def fails_over_with_a_circuit_breaker(mock: Mock) -> None:
    failures = 0
    for index in range(12):
        request_id = f"user-{index}"
        if failures < 5 and call(mock, "oai", request_id).status_code < 300:
            continue
        failures += 1
        call(mock, "anth", request_id)  # the fallback, for this request and while the breaker is open
        time.sleep(0.05)


def hammers(mock: Mock) -> None:
    for index in range(12):
        call(mock, "oai", f"user-{index}")
        time.sleep(0.05)


CASES: list[tuple[str, dict[str, object], Client, Client]] = [
    (
        "retry_after_ignored",
        {"rate_limit": {"retry_after": "1s"}},
        lambda mock: retry_with_waits(mock, "eager", [0.4]),
        honours_retry_after,
    ),
    (
        "retried_non_retryable",
        {"http_error": {"status": 400}},
        lambda mock: retry_with_waits(mock, "stubborn", [0.3]),
        stops_after_a_client_error,
    ),
    (
        "retry_storm",
        {"http_error": {"status": 503}},
        lambda mock: retry_with_waits(mock, "storm", [0.11, 0.15, 0.21, 0.29, 0.4]),
        backs_off_exponentially,
    ),
    (
        "no_backoff",
        {"http_error": {"status": 503}},
        lambda mock: retry_with_waits(mock, "steady", [0.2, 0.2]),
        backs_off_exponentially,
    ),
    (
        "no_backoff",
        {"http_error": {"status": 502}},
        lambda mock: retry_with_waits(mock, "at-once", [0.0]),
        backs_off_exponentially,
    ),
    ("hammering_failed_provider", {"http_error": {"status": 503}}, hammers, fails_over_with_a_circuit_breaker),
]


@pytest.mark.parametrize(("kind", "fault", "bad", "good"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_a_finding_shows_the_misbehaviour_and_only_it(
    mock: Mock, kind: str, fault: dict[str, object], bad: Client, good: Client
) -> None:
    ((fault_kind, spec),) = fault.items()
    mock.behave("fault", "oai", fault_kind, spec)  # type: ignore[arg-type]
    good(mock)
    assert httpx.get(f"{mock.admin}/findings").json()["findings"] == []
    mock.reset()
    mock.behave("fault", "oai", fault_kind, spec)  # type: ignore[arg-type]
    bad(mock)
    findings = httpx.get(f"{mock.admin}/findings").json()["findings"]
    assert [(f["kind"], f["provider"]) for f in findings] == [(kind, "oai")]
    assert findings[0]["request_ids"]
    rows = [LedgerRow.model_validate(row) for row in mock.ledger()]
    assert [f.model_dump(mode="json") for f in client_findings(rows)] == findings


def test_canary_probes_are_not_judged(mock: Mock) -> None:
    mock.behave("fault", "oai", "http_error", {"status": 503})
    for _ in range(8):
        httpx.post(
            f"{mock.url('oai')}/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
            headers={"Authorization": "Bearer k", "x-request-id": "probe", "x-chaos-canary": "1"},
        )
    assert httpx.get(f"{mock.admin}/findings").json()["findings"] == []
