"""The admin API: behaviours with TTL, the ledger, the lease, findings, metrics."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from chaos.providers.admin_models import LEASE_TOKEN_HEADER
from chaos.records import LedgerRow
from tests.providers.conftest import JSON, Mock
from tests.providers.test_faults import chat


def test_health_and_providers_in_fallback_order(mock: Mock) -> None:
    assert httpx.get(f"{mock.admin}/healthz").json()["ok"] is True
    listed = httpx.get(f"{mock.admin}/providers").json()
    assert [p["name"] for p in listed] == ["anth", "oai", "paced", "paced-anth", "v-anth", "v-oai", "limited"]
    assert listed[1] == {"name": "oai", "api": "openai", "model": "gpt-test", "url": mock.url("oai")}
    assert mock.url("oai").endswith("/v1")
    assert not mock.url("anth").endswith("/v1")


def test_behaviour_upsert_answers_the_stored_behaviour_with_its_expiry(mock: Mock) -> None:
    before = time.time()
    body = {
        "provider": "oai",
        "http_error": {"status": 503, "rate": "50%", "retry_after": "250ms"},
        "run": "r1",
        "ttl_s": 45,
    }
    stored = mock.put("chaos-r1-outage", body).json()
    assert stored["name"] == "chaos-r1-outage"
    assert stored["http_error"] == {"status": 503, "rate": "50%", "retry_after": "250ms"}
    assert before + 45 <= stored["expires_at"] <= time.time() + 45
    assert [b["name"] for b in httpx.get(f"{mock.admin}/behaviours").json()["behaviours"]] == ["chaos-r1-outage"]
    updated = mock.put("chaos-r1-outage", {**body, "http_error": {"status": 500, "rate": "100%"}}).json()
    assert updated["http_error"]["status"] == 500
    assert chat(mock).status_code == 500  # updated in place


def test_invalid_behaviours_are_refused_with_every_problem(mock: Mock) -> None:
    answer = mock.put("bad", {"provider": "nobody", "http_error": {"status": 200}, "slow_tokens": {}, "ttl_s": -1})
    assert answer.status_code == 400
    problems = "\n".join(answer.json()["problems"])
    assert "provider: 'nobody' is not a provider here" in problems
    assert "ttl_s" in problems
    assert "exactly one kind key" in problems
    network = mock.put("bad", {"provider": "oai", "network": {"toxic": "down", "provider": "oai"}})
    assert "network: unknown key" in "\n".join(network.json()["problems"])
    units = mock.put("bad", {"provider": "oai", "slow_first_token": {"delay": 2}})
    assert "slow_first_token.delay" in "\n".join(units.json()["problems"])
    assert mock.put("bad name!", {"provider": "oai", "hang": {}}).status_code == 400


def test_a_counted_behaviour_applies_to_that_many_requests_then_is_gone(mock: Mock) -> None:
    stored = mock.put("twice", {"provider": "oai", "http_error": {"status": 529}, "times": 2}).json()
    assert stored["times_left"] == 2
    assert [chat(mock).status_code for _ in range(3)] == [529, 529, 200]
    assert httpx.get(f"{mock.admin}/behaviours").json()["behaviours"] == []
    # A rate draws first: only the requests it fires on count.
    mock.put("half", {"provider": "oai", "rate_limit": {"rate": "50%", "retry_after": "1s"}, "times": 3})
    statuses = [chat(mock).status_code for _ in range(40)]
    assert statuses.count(429) == 3
    bad = mock.put("bad", {"provider": "oai", "rate_limit": {"rpm": 5}, "times": 0}).json()["problems"]
    assert [p.split(":")[0] for p in bad] == ["times", "times"]


def test_the_server_expires_a_behaviour_by_its_ttl_and_a_put_refreshes_it(mock: Mock) -> None:
    """The TTL's arithmetic is pinned with a fake clock (test_units); here the server's own
    clock runs it: a PUT moves the expiry, and the behaviour acts until then, not after."""
    mock.behave("short", "oai", "http_error", {"status": 503}, ttl_s=2)
    first = httpx.get(f"{mock.admin}/behaviours/short").json()
    mock.behave("short", "oai", "http_error", {"status": 503}, ttl_s=2)  # a heartbeat
    refreshed = httpx.get(f"{mock.admin}/behaviours/short").json()
    assert refreshed["expires_at"] == pytest.approx(refreshed["updated_at"] + 2)
    assert refreshed["expires_at"] > first["expires_at"]
    deadline = time.time() + 15
    while chat(mock).status_code == 503 and time.time() < deadline:  # nobody restores it
        time.sleep(0.05)
    assert time.time() >= refreshed["expires_at"]  # never before its expiry (one clock: this machine's)
    assert chat(mock).status_code == 200
    assert httpx.get(f"{mock.admin}/behaviours").json()["behaviours"] == []
    assert httpx.get(f"{mock.admin}/behaviours/short").status_code == 404


def test_delete_by_name_by_run_and_reset(mock: Mock) -> None:
    for name, run in (("a", "r1"), ("b", "r1"), ("c", "r2")):
        assert mock.put(name, {"provider": "anth", "hang": None, "run": run}).status_code == 200
    assert httpx.delete(f"{mock.admin}/behaviours/zzz", headers=JSON).status_code == 404
    deleted = httpx.delete(f"{mock.admin}/behaviours", params={"run": "r1"}, headers=JSON)
    assert deleted.json()["deleted"] == ["a", "b"]
    assert httpx.delete(f"{mock.admin}/behaviours", headers=JSON).status_code == 400
    assert chat(mock, "oai").status_code == 200
    answer = httpx.post(f"{mock.admin}/reset", headers=JSON).json()
    assert answer == {"behaviours_cleared": 1, "ledger_cleared": False}
    assert len(mock.ledger()) == 1  # reset keeps the ledger unless asked
    cleared = httpx.post(f"{mock.admin}/reset", params={"ledger": "true"}, headers=JSON)
    assert cleared.json()["ledger_cleared"] is True
    assert mock.ledger() == []


def test_ledger_pulls_incrementally_and_filters(mock: Mock) -> None:
    started = time.time()
    for index in range(3):
        httpx.post(
            f"{mock.url('oai')}/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
            headers={
                "Authorization": "Bearer k",
                "x-request-id": "req-1",
                "x-chaos-canary": "1" if index == 2 else "0",
            },
        )
    answer = httpx.get(f"{mock.admin}/ledger").json()
    rows = [LedgerRow.model_validate(row) for row in answer["rows"]]
    assert [row.attempt for row in rows] == [1, 2, 3]
    assert [row.canary for row in rows] == [False, False, True]
    assert answer["last_seq"] == rows[-1].seq
    assert mock.ledger(after=rows[0].seq) == answer["rows"][1:]
    assert len(mock.ledger(canary="false")) == 2
    assert len(mock.ledger(id="req-1")) == 3
    assert mock.ledger(id="other") == []
    assert len(mock.ledger(since=started, until=time.time())) == 3
    assert mock.ledger(since=time.time() + 10) == []
    assert httpx.get(f"{mock.admin}/ledger", params={"after": "x"}).status_code == 400
    assert httpx.get(f"{mock.admin}/ledger", params={"since": "nan"}).status_code == 400


def lease(mock: Mock, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    return httpx.put(f"{mock.admin}/lease", json=body, headers={LEASE_TOKEN_HEADER: token} if token else {})


def release(mock: Mock, token: str | None = None, **params: str) -> httpx.Response:
    headers = {**JSON, LEASE_TOKEN_HEADER: token} if token else JSON
    return httpx.delete(f"{mock.admin}/lease", params=params, headers=headers)


def test_lease_heartbeat_conflict_release_and_stamped_rows(mock: Mock) -> None:
    assert httpx.get(f"{mock.admin}/lease").status_code == 404
    taken = lease(mock, {"run": "r1", "ttl_s": 30, "proxies": []})
    assert taken.status_code == 200
    token = taken.json()["token"]
    beat = lease(mock, {"run": "r1", "ttl_s": 30, "proxies": ["primary"]}, token).json()
    assert (beat["proxies"], beat["token"]) == (["primary"], token)
    assert beat["acquired_at"] == taken.json()["acquired_at"]
    seen = httpx.get(f"{mock.admin}/lease").json()
    assert (seen["run"], "token" in seen) == ("r1", False)  # the token is told to its holder only
    other = lease(mock, {"run": "r2", "ttl_s": 30})
    assert other.status_code == 409
    assert other.json()["holder"] == "r1"
    assert "token" not in other.text
    chat(mock)
    assert mock.ledger(run="r1")[0]["run_id"] == "r1"
    assert release(mock, "not-the-token").status_code == 403
    assert release(mock, token).json() == {"released": True, "run": "r1"}
    chat(mock)
    assert mock.ledger()[-1]["run_id"] is None


def test_only_the_token_renews_or_releases_a_lease_and_force_breaks_it(mock: Mock) -> None:
    token = lease(mock, {"run": "r1", "ttl_s": 30}).json()["token"]
    assert lease(mock, {"run": "r1", "ttl_s": 30}).status_code == 409  # its run id is no key
    assert lease(mock, {"run": "r1", "ttl_s": 30}, "guessed").status_code == 409
    assert release(mock).status_code == 400
    assert release(mock, run="r1").status_code == 400  # the old way, by run id, is gone
    assert release(mock, force="true").json() == {"released": True, "run": "r1"}
    gone = lease(mock, {"run": "r1", "ttl_s": 30}, token)
    assert gone.status_code == 410  # its holder must learn it lost the lease, not quietly retake it
    assert "broken" in gone.json()["error"]


def test_an_expired_lease_is_free_for_another_run(mock: Mock) -> None:
    """The expiry's arithmetic is pinned with a fake clock (test_units); here the server's
    own clock runs it: refused until the expiry, never before it, free after it."""
    dead = lease(mock, {"run": "dead", "ttl_s": 1}).json()
    deadline = time.time() + 15
    while (taken := lease(mock, {"run": "next", "ttl_s": 30})).status_code == 409 and time.time() < deadline:
        assert "leased by run dead" in taken.json()["error"]
        time.sleep(0.05)
    assert time.time() >= dead["expires_at"]  # never free before its expiry (one clock: this machine's)
    assert taken.json()["run"] == "next"
    bad = lease(mock, {"run": "", "ttl_s": "long", "extra": 1})
    assert bad.status_code == 400
    assert len(bad.json()["problems"]) == 3


def test_metrics_count_requests_tokens_and_behaviours(mock: Mock) -> None:
    mock.behave("err", "anth", "http_error", {"status": 529})
    chat(mock, "anth")
    chat(mock, "oai", max_tokens=7)
    text = httpx.get(f"{mock.admin}/metrics").text
    assert 'chaos_provider_requests_total{endpoint="/v1/messages",fault="err",provider="anth",status="529"}' in text
    assert 'chaos_provider_behaviours_active{provider="anth"} 1.0' in text
    assert 'chaos_provider_billed_tokens_total{direction="output",provider="oai"}' in text


def test_unknown_admin_routes_and_methods_answer_json(mock: Mock) -> None:
    missing = httpx.get(f"{mock.admin}/nope")
    assert missing.status_code == 404
    assert "error" in missing.json()
    assert httpx.post(f"{mock.admin}/ledger").status_code == 405
    assert httpx.put(f"{mock.admin}/behaviours/x", content=b"{nope", headers=JSON).status_code == 400
