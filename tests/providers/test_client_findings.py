"""Each client finding is raised by a scripted client that misbehaves in exactly that way,
and by no well-behaved client; judged from the mock's ledger."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import NamedTuple

import httpx
import pytest

from chaos.providers.findings import client_findings
from chaos.records import LedgerRow
from tests.providers.conftest import Mock

pytestmark = pytest.mark.e2e


class Scripted:
    """A small client of the mock that calls, waits and retries exactly as a test scripts it."""

    def __init__(self, mock: Mock, http: httpx.Client) -> None:
        self.mock = mock
        self.http = http

    def call(self, provider: str, request_id: str) -> httpx.Response:
        if provider == "anth":
            return self.http.post(
                f"{self.mock.url('anth')}/v1/messages",
                json={"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
                headers={"x-api-key": "k", "anthropic-version": "2023-06-01", "x-request-id": request_id},
            )
        return self.http.post(
            f"{self.mock.url(provider)}/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 5},
            headers={"Authorization": "Bearer k", "x-request-id": request_id},
        )

    def stream_giving_up(self, provider: str, request_id: str, after: float = 0.1) -> bool:
        """Stream from ``provider``, leaving when no byte has come for ``after`` seconds (a
        gateway's stream timeout); whether the stream ended."""
        body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 5, "stream": True}
        headers = {"Authorization": "Bearer k", "x-request-id": request_id}
        url = f"{self.mock.url(provider)}/chat/completions"
        try:
            with self.http.stream(
                "POST", url, json=body, headers=headers, timeout=httpx.Timeout(5, read=after)
            ) as answer:
                answer.read()
        except httpx.ReadTimeout:
            return False
        return True

    def retry_with_waits(self, request_id: str, waits: list[float]) -> None:
        """Call ``oai``; after each failure wait the next of ``waits`` and call again."""
        for wait in [*waits, None]:
            if self.call("oai", request_id).status_code < 300 or wait is None:
                return
            time.sleep(wait)

    def honour_retry_after(self, request_id: str, attempts: int) -> None:
        for attempt in range(attempts):
            answer = self.call("oai", request_id)
            if answer.status_code != 429 or attempt == attempts - 1:
                return
            time.sleep(int(answer.headers["retry-after-ms"]) / 1000 + 0.02)


Client = Callable[[Scripted], None]


def stops_after_a_client_error(client: Scripted) -> None:
    client.call("oai", "gives-up")


def backs_off_exponentially(client: Scripted) -> None:
    client.retry_with_waits("backoff", [0.15, 0.3])


def fails_over_with_a_circuit_breaker(client: Scripted) -> None:
    failures = 0
    for index in range(12):
        request_id = f"user-{index}"
        if failures < 5 and client.call("oai", request_id).status_code < 300:
            continue
        failures += 1
        client.call("anth", request_id)  # the fallback, for this request and while the breaker is open
        time.sleep(0.05)


def keeps_streaming_from_a_slow_provider(client: Scripted) -> None:
    for index in range(30):
        client.stream_giving_up("oai", f"user-{index}")
        time.sleep(0.05)


def stops_streaming_from_a_slow_provider(client: Scripted) -> None:
    failures = 0
    for index in range(12):
        if failures < 5 and client.stream_giving_up("oai", f"user-{index}"):
            continue
        failures += 1
        client.call("anth", f"user-{index}")
        time.sleep(0.05)


def hammers(client: Scripted) -> None:
    # 1.5 s of calls: well past the in-flight grace after the fifth failure.
    for index in range(30):
        client.call("oai", f"user-{index}")
        time.sleep(0.05)


class Case(NamedTuple):
    kind: str
    fault: dict[str, object]
    bad: Client
    good: Client


CASES = [
    Case(
        "retry_after_ignored",
        {"rate_limit": {"retry_after": "1s"}},
        lambda client: client.retry_with_waits("eager", [0.4]),
        lambda client: client.honour_retry_after("polite", 2),
    ),
    Case(
        "retried_non_retryable",
        {"http_error": {"status": 400}},
        lambda client: client.retry_with_waits("stubborn", [0.3]),
        stops_after_a_client_error,
    ),
    Case(
        "retry_storm",
        {"rate_limit": {"retry_after": "100ms"}},
        lambda client: client.honour_retry_after("storm", 6),
        lambda client: client.honour_retry_after("patient", 3),
    ),
    Case(
        "no_backoff",
        {"http_error": {"status": 503}},
        lambda client: client.retry_with_waits("steady", [0.25, 0.25, 0.25]),
        backs_off_exponentially,
    ),
    Case(
        "no_backoff",
        {"http_error": {"status": 502}},
        lambda client: client.retry_with_waits("at-once", [0.0]),
        backs_off_exponentially,
    ),
    Case("hammering_failed_provider", {"http_error": {"status": 503}}, hammers, fails_over_with_a_circuit_breaker),
    # Every stream answers 200 at once, its first token 2 s later: a gateway that gives up
    # on each (a first-token timeout) and calls again at once hammers it as surely as one
    # that gets 503s.
    Case(
        "hammering_failed_provider",
        {"slow_first_token": {"delay": "2s"}},
        keeps_streaming_from_a_slow_provider,
        stops_streaming_from_a_slow_provider,
    ),
]


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.mark.parametrize("case", CASES, ids=[f"{case.kind}-{index}" for index, case in enumerate(CASES)])
def test_a_finding_shows_the_misbehaviour_and_only_it(mock: Mock, http: httpx.Client, case: Case) -> None:
    client = Scripted(mock, http)
    kind, fault, bad, good = case
    ((fault_kind, spec),) = fault.items()
    mock.behave("fault", "oai", fault_kind, spec)  # type: ignore[arg-type]
    good(client)
    assert httpx.get(f"{mock.admin}/findings").json()["findings"] == []
    mock.reset()
    mock.behave("fault", "oai", fault_kind, spec)  # type: ignore[arg-type]
    bad(client)
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
