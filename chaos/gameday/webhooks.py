"""Webhooks: Slack-shaped, Teams-shaped and generic JSON, delivered in the background.

``Notifier.notify`` only queues; one task per webhook posts its notices in order, each
attempt bounded by the webhook's timeout, retried on a timeout, a transport error or a
5xx at most ``retries`` times with a short backoff. A failure is logged and dropped: a
webhook never stops or delays the game day. ``close`` gives the queues at most one
notice's worst case (and ``DRAIN_SLACK_S``) to drain, then drops what is left, saying so
in the log.

A URL is a ``${ENV}`` reference resolved when the notifier starts; the value is never
logged or recorded (the log names the webhook).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from chaos.envrefs import Resolver
from chaos.errors import ChaosError
from chaos.gameday.plan import NotifyEvent, Webhook, WebhookFormat
from chaos.journal import iso

log = structlog.get_logger()

BACKOFF_S = 0.25  # doubled after each failed attempt
DRAIN_SLACK_S = 0.5  # beyond one notice's worst case, for the last attempt's outcome to land
_COLOURS = {"gameday_started": "2E7D32", "verdict": "1565C0", "gameday_ended": "1565C0"}


@dataclass(frozen=True)
class Notice:
    event: NotifyEvent
    at: float
    text: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delivery:
    """What became of one notice at one webhook."""

    webhook: str
    event: str
    attempts: int = 0
    status: int | None = None
    ok: bool = False
    error: str | None = None


def worst_case_s(hook: Webhook) -> float:
    """How long one notice can take at most: every attempt timing out, with the backoffs."""
    return float(hook.timeout * (hook.retries + 1) + sum(BACKOFF_S * 2**n for n in range(hook.retries)))


def payload(hook: Webhook, notice: Notice, *, gameday: str, plan: str, title: str) -> dict[str, Any]:
    when = iso(notice.at)
    if hook.format is WebhookFormat.SLACK:
        return {
            "text": f"[{title}] {notice.text}",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{notice.text}"}},
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"game day {gameday} · {notice.event.value} · {when}"}],
                },
            ],
        }
    if hook.format is WebhookFormat.TEAMS:
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": notice.text,
            "themeColor": _COLOURS.get(notice.event.value, "C62828"),
            "title": title,
            "sections": [
                {
                    "activityTitle": notice.event.value,
                    "activitySubtitle": when,
                    "text": notice.text,
                    "facts": [{"name": str(k), "value": str(v)} for k, v in notice.detail.items()],
                }
            ],
        }
    return {
        "event": notice.event.value,
        "gameday": gameday,
        "plan": plan,
        "title": title,
        "at": notice.at,
        "at_iso": when,
        "text": notice.text,
        "detail": notice.detail,
    }


class Notifier:
    """Queues notices for the plan's webhooks; use ``async with``."""

    def __init__(self, hooks: list[Webhook], *, gameday: str, plan: str, title: str) -> None:
        self.hooks = hooks
        self.names = {"gameday": gameday, "plan": plan, "title": title}
        self.deliveries: list[Delivery] = []
        self._queues: dict[str, asyncio.Queue[Notice]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Notifier:
        resolver = Resolver(os.environ)
        self._client = httpx.AsyncClient(follow_redirects=False)
        for hook in self.hooks:
            try:
                url = resolver.resolve(hook.url)
            except ChaosError as exc:
                log.error("webhook left out", webhook=hook.name, reason=exc.message)
                continue
            queue: asyncio.Queue[Notice] = asyncio.Queue()
            self._queues[hook.name] = queue
            self._tasks.append(asyncio.create_task(self._deliver(hook, url, queue)))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def notify(self, notice: Notice) -> None:
        for hook in self.hooks:
            queue = self._queues.get(hook.name)
            if queue is not None and notice.event in hook.events:
                queue.put_nowait(notice)

    async def close(self) -> None:
        """Let the queues drain for at most one notice's worst case, then stop."""
        bound = max((worst_case_s(hook) for hook in self.hooks), default=0.0) + DRAIN_SLACK_S
        waits = [asyncio.create_task(queue.join()) for queue in self._queues.values()]
        if waits:
            await asyncio.wait(waits, timeout=bound)
        for wait in waits:
            wait.cancel()
        for name, queue in self._queues.items():
            if queue.qsize():
                log.error("webhook notices dropped at the end", webhook=name, dropped=queue.qsize())
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, *waits, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def _deliver(self, hook: Webhook, url: str, queue: asyncio.Queue[Notice]) -> None:
        while True:
            notice = await queue.get()
            try:
                self.deliveries.append(await self._post(hook, url, notice))
            finally:
                queue.task_done()

    async def _post(self, hook: Webhook, url: str, notice: Notice) -> Delivery:
        assert self._client is not None
        delivery = Delivery(hook.name, notice.event.value)
        body = payload(hook, notice, **self.names)
        for attempt in range(hook.retries + 1):
            delivery.attempts = attempt + 1
            started = time.monotonic()
            try:
                response = await self._client.post(url, json=body, timeout=hook.timeout)
            except httpx.HTTPError as exc:
                delivery.status, delivery.error = None, f"{type(exc).__name__} after {time.monotonic() - started:.1f} s"
            else:
                delivery.status = response.status_code
                if response.is_success:
                    delivery.ok, delivery.error = True, None
                    return delivery
                delivery.error = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    break  # the receiver refuses this notice: sending it again changes nothing
            if attempt < hook.retries:
                await asyncio.sleep(BACKOFF_S * 2**attempt)
        log.error(
            "webhook not delivered",
            webhook=hook.name,
            notice=notice.event.value,
            error=delivery.error,
            attempts=delivery.attempts,
        )
        return delivery
