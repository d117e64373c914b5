"""Webhooks reach a local receiver in each shape, and a receiver that fails or hangs
costs at most the bounded retries: it never stops the game day or delays its steps."""

from __future__ import annotations

import time

import pytest

from chaos.gameday.plan import NotifyEvent, Webhook
from chaos.gameday.webhooks import BACKOFF_S, DRAIN_SLACK_S, Notice, Notifier, worst_case_s
from tests.gameday.receiver import receiver


def hook(name: str, url: str, **extra: object) -> Webhook:
    return Webhook.model_validate({"name": name, "url": url, **extra}, context={"strict_units": False})


NOTICE = Notice(NotifyEvent.FAULT_INJECTED, 1_796_000_000.5, "fault primary-503 injected", {"fault": "primary-503"})


async def test_each_shape_carries_the_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    with receiver() as rx:
        monkeypatch.setenv("HOOK_BASE", rx.url)
        hooks = [
            hook("slack", "${HOOK_BASE}/ok/slack", format="slack"),
            hook("teams", "${HOOK_BASE}/ok/teams", format="teams"),
            hook("plain", "${HOOK_BASE}/ok/json", format="json"),
        ]
        async with Notifier(hooks, gameday="g1", plan="provider-outage", title="Outage day") as notifier:
            notifier.notify(NOTICE)
        (slack,) = rx.bodies("/ok/slack")
        assert slack["text"] == "[Outage day] fault primary-503 injected"
        assert slack["blocks"][0]["text"] == {"type": "mrkdwn", "text": "*Outage day*\nfault primary-503 injected"}
        assert "fault_injected" in slack["blocks"][1]["elements"][0]["text"]
        (teams,) = rx.bodies("/ok/teams")
        assert teams["@type"] == "MessageCard"
        assert teams["sections"][0]["activityTitle"] == "fault_injected"
        assert teams["sections"][0]["facts"] == [{"name": "fault", "value": "primary-503"}]
        (plain,) = rx.bodies("/ok/json")
        assert plain == {
            "event": "fault_injected",
            "gameday": "g1",
            "plan": "provider-outage",
            "title": "Outage day",
            "at": 1_796_000_000.5,
            "at_iso": "2026-11-30T00:53:20.500Z",
            "text": "fault primary-503 injected",
            "detail": {"fault": "primary-503"},
        }
        assert [d.ok for d in notifier.deliveries] == [True, True, True]


async def test_a_webhook_hears_only_its_events() -> None:
    with receiver() as rx:
        hooks = [hook("finops", f"{rx.url}/ok/finops", events=["verdict"])]
        async with Notifier(hooks, gameday="g", plan="p", title="t") as notifier:
            notifier.notify(NOTICE)
            notifier.notify(Notice(NotifyEvent.VERDICT, 1.0, "run outage: pass"))
        assert [body["event"] for body in rx.bodies("/ok/finops")] == ["verdict"]


async def test_a_500_is_retried_at_most_retries_times_and_a_404_never() -> None:
    with receiver() as rx:
        hooks = [hook("flaky", f"{rx.url}/fail/x", retries=2), hook("gone", f"{rx.url}/refuse/x", retries=2)]
        async with Notifier(hooks, gameday="g", plan="p", title="t") as notifier:
            notifier.notify(NOTICE)
        assert len(rx.bodies("/fail/x")) == 3
        assert len(rx.bodies("/refuse/x")) == 1
        by_name = {d.webhook: d for d in notifier.deliveries}
        assert (by_name["flaky"].ok, by_name["flaky"].attempts, by_name["flaky"].error) == (False, 3, "HTTP 500")
        assert (by_name["gone"].attempts, by_name["gone"].status) == (1, 404)


async def test_a_hanging_receiver_costs_its_timeouts_and_nothing_more() -> None:
    with receiver() as rx:
        hanging = hook("hang", f"{rx.url}/hang/x", timeout="300ms", retries=1)
        started = time.monotonic()
        async with Notifier([hanging], gameday="g", plan="p", title="t") as notifier:
            queued = time.monotonic()
            notifier.notify(NOTICE)
            notifier.notify(NOTICE)  # a second one waits behind the first and is dropped at the end
            assert time.monotonic() - queued < 0.01  # notifying never waits for the receiver
        took = time.monotonic() - started
        bound = worst_case_s(hanging)
        assert bound == pytest.approx(0.3 * 2 + BACKOFF_S)
        assert took >= 0.3 * 2 + BACKOFF_S - 0.05
        assert took < bound + DRAIN_SLACK_S + 1.0
        assert len(rx.bodies("/hang/x")) >= 2  # the first notice's two attempts (the second's may have begun)
        assert [(d.ok, d.attempts) for d in notifier.deliveries] == [(False, 2)]


async def test_an_unset_variable_leaves_the_webhook_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_HOOK", raising=False)
    async with Notifier([hook("x", "${NOT_SET_HOOK}")], gameday="g", plan="p", title="t") as notifier:
        notifier.notify(NOTICE)
    assert notifier.deliveries == []
