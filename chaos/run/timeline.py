"""Carrying out the faults' timeline: inject, update and restore each at its offset.

Offsets count from t = 0, the start of load. Just before the first injection the
steady-state gate is asked; if it says no, nothing is injected. Actions due at the same
instant are carried out together (restores first), so that one's round trips do not
delay another. Every action is read back from the environment and written as a
``FaultEvent`` with its intended time and its actual one (when the environment
acknowledged it); an action that fails or cannot be seen stops the run (a verdict over a
fault that was never there would be a lie). ``restore_all`` undoes whatever is still in
effect, newest first, and is what every way out of a run calls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from itertools import groupby

import structlog

from chaos.errors import ChaosError, EnvironmentProblem
from chaos.faults import FaultContext, LiveFault, live_fault
from chaos.kinds import FaultAction
from chaos.records import FaultEvent
from chaos.run.jsonl import JsonlWriter
from chaos.scenario.model import Scenario
from chaos.scenario.timeline import FaultStep, fault_steps

log = structlog.get_logger()

# A provider behaviour lives this long past its window if nobody restores it.
TTL_GRACE_S = 15.0


# What a run does ahead of an instant, so that it does not delay the instant's actions:
# the steady-state gate before the first injection, and preparing the faults due then.
LEAD_S = 0.5


class FaultActionFailed(EnvironmentProblem):
    """A fault could not be injected, updated or restored, or was not in effect when read
    back: the environment did not do what the run asked, so the run stops and is judged on
    what it recorded."""


@dataclass(frozen=True)
class Clock:
    """Maps offsets from the start of load to wall-clock and monotonic time."""

    t0: float  # epoch seconds of t = 0
    mono_t0: float

    @classmethod
    def starting_at(cls, t0: float) -> Clock:
        return cls(t0, time.monotonic() - (time.time() - t0))

    def offset(self) -> float:
        return time.monotonic() - self.mono_t0

    async def sleep_until(self, offset: float) -> None:
        delay = offset - self.offset()
        if delay > 0:
            await asyncio.sleep(delay)


class FaultTimeline:
    def __init__(self, scenario: Scenario, context: FaultContext, events: JsonlWriter, clock: Clock) -> None:
        self.scenario = scenario
        self.context = context
        self.events = events
        self.clock = clock
        self.live = {fault.name: live_fault(fault, context) for fault in scenario.faults}
        self.active: list[str] = []  # injected and not restored, oldest first
        self.steps = sorted(
            ((step, fault.name) for fault in scenario.faults for step in fault_steps(fault, scenario.load.duration)),
            # At one instant restores go first, so that back-to-back faults never overlap.
            key=_instant,
        )
        self.gate_refused = False
        self.events_written: list[FaultEvent] = []

    async def run(self, gate: Callable[[float], Awaitable[bool]]) -> None:
        """Carry out every step, those due at the same instant together; returns early
        (injecting nothing) if the gate, asked about the first injection's offset, refuses."""
        gated = False
        for (offset, _), batch in groupby(self.steps, key=_instant):
            steps = list(batch)
            injections = [(step, name) for step, name in steps if step.action is FaultAction.INJECT]
            await self.clock.sleep_until(offset - LEAD_S)
            if injections and not gated:
                gated = True
                if not await gate(offset):
                    self.gate_refused = True
                    log.warning("steady state not met: no fault injected")
                    return
            await self._together(self._prepare(step, name) for step, name in injections)
            await self.clock.sleep_until(offset)
            await self._together(self._carry_out(step, name) for step, name in steps)

    @staticmethod
    async def _together(actions: Iterable[Awaitable[None]]) -> None:
        """Every action at once; the first failure is raised once all have landed (or failed)."""
        for outcome in await asyncio.gather(*actions, return_exceptions=True):
            if isinstance(outcome, BaseException):
                raise outcome

    async def restore_all(self) -> None:
        """Restore every fault still in effect, newest first; never raises."""
        intended = self.clock.offset()
        for name in reversed(list(self.active)):
            try:
                await self._restore(name, intended=intended)
            except Exception as exc:  # keep restoring the others
                log.error("restore failed", fault=name, error=str(exc))

    async def _prepare(self, step: FaultStep, name: str) -> None:
        fault = self.live[name]
        try:
            await fault.prepare()
        except ChaosError as exc:  # the injection cannot happen: say so as its event
            self._event(fault, step.action, step.offset, step, time.time(), error=exc.message)
            raise FaultActionFailed(f"fault {name} could not be {_past(step.action)}: {exc.message}") from exc

    async def _carry_out(self, step: FaultStep, name: str) -> None:
        if step.action is FaultAction.RESTORE:
            if name in self.active:
                await self._restore(name, intended=step.offset)
            return
        fault = self.live[name]
        ttl = max(0.0, fault.fault.end(self.scenario.load.duration) - self.clock.offset()) + TTL_GRACE_S
        try:
            if step.action is FaultAction.INJECT:
                await fault.inject(step.spec, ttl_s=ttl)
                if name not in self.active:
                    self.active.append(name)
            else:
                await fault.update(step.spec, ttl_s=ttl)
            acknowledged = time.time()  # the onset: the environment has taken it
            seen = await fault.in_effect()
        except ChaosError as exc:
            self._event(fault, step.action, step.offset, step, time.time(), error=exc.message)
            raise FaultActionFailed(f"fault {name} could not be {_past(step.action)}: {exc.message}") from exc
        if not seen:
            self._event(fault, step.action, step.offset, step, acknowledged, error="not in effect when read back")
            raise FaultActionFailed(f"fault {name} was {_past(step.action)} but is not in effect when read back")
        self._event(fault, step.action, step.offset, step, acknowledged)

    async def _restore(self, name: str, *, intended: float) -> None:
        fault = self.live[name]
        try:
            await fault.restore()
        except ChaosError as exc:
            self._event(fault, FaultAction.RESTORE, intended, None, time.time(), error=exc.message)
            raise FaultActionFailed(f"fault {name} could not be restored: {exc.message}") from exc
        self.active.remove(name)
        self._event(fault, FaultAction.RESTORE, intended, None, time.time())

    def _event(
        self,
        fault: LiveFault,
        action: FaultAction,
        intended: float,
        step: FaultStep | None,
        at: float,
        *,
        error: str | None = None,
    ) -> None:
        settings = step.spec.model_dump(mode="json", by_alias=True, exclude_none=True) if step is not None else {}
        if step is not None and not step.active:
            settings["active"] = False
        event = FaultEvent(
            run_id=self.context.run_id,
            fault=fault.fault.name,
            kind=fault.fault.kind.value,
            action=action,
            t_intended=self.clock.t0 + intended,
            t_actual=at,
            settings=settings,
            ok=error is None,
            error=error,
        )
        self.events.write(event)
        self.events_written.append(event)
        lag_ms = round((event.t_actual - event.t_intended) * 1000)
        log.info(f"fault {_past(action)}", fault=fault.fault.name, ok=event.ok, lag_ms=lag_ms)


def _instant(item: tuple[FaultStep, str]) -> tuple[float, bool]:
    """Steps fall due together by offset; at one offset, restores first."""
    return item[0].offset, item[0].action is not FaultAction.RESTORE


def _past(action: FaultAction) -> str:
    return {FaultAction.INJECT: "injected", FaultAction.UPDATE: "updated", FaultAction.RESTORE: "restored"}[action]
