"""Carrying out the faults' timeline: inject, update and restore each at its offset.

Offsets count from t = 0, the start of load. Before the first injection the steady-state
gate is asked; if it says no, nothing is injected. Every action is read back from the
environment and written as a ``FaultEvent`` with its intended and actual times; an
injection that fails or cannot be seen stops the run (a verdict over a fault that was
never there would be a lie). ``restore_all`` undoes whatever is still in effect, newest
first, and is what every way out of a run calls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from chaos.errors import ChaosError, EnvironmentProblem
from chaos.faults import FaultContext, LiveFault, live_fault
from chaos.records import FaultAction, FaultEvent
from chaos.run.jsonl import JsonlWriter
from chaos.scenario.model import Scenario
from chaos.scenario.timeline import FaultStep, fault_steps

log = structlog.get_logger()

# A provider behaviour lives this long past its window if nobody restores it.
TTL_GRACE_S = 15.0


class InjectionFailed(EnvironmentProblem):
    """A fault could not be injected, or was not in effect when read back: the environment
    did not do what the run asked, so the run stops and is judged on what it recorded."""


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
            key=lambda item: (item[0].offset, item[0].action is not FaultAction.RESTORE),
        )
        self.gate_refused = False
        self.restored_any = False
        self.events_written: list[FaultEvent] = []

    async def run(self, gate: Callable[[], Awaitable[bool]]) -> None:
        """Carry out every step; returns early (injecting nothing) if the gate refuses."""
        gated = False
        for step, name in self.steps:
            await self.clock.sleep_until(step.offset)
            if step.action is FaultAction.INJECT and not gated:
                gated = True
                if not await gate():
                    self.gate_refused = True
                    log.warning("steady state not met: no fault injected")
                    return
            await self._carry_out(step, name)

    async def restore_all(self) -> None:
        """Restore every fault still in effect, newest first; never raises."""
        for name in reversed(list(self.active)):
            try:
                await self._restore(name, intended=None)
            except Exception as exc:  # keep restoring the others
                log.error("restore failed", fault=name, error=str(exc))

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
            seen = await fault.in_effect()
        except ChaosError as exc:
            self._event(fault, step.action, step.offset, step, ok=False, error=exc.message)
            raise InjectionFailed(f"fault {name} could not be {_past(step.action)}: {exc.message}") from exc
        if not seen:
            self._event(fault, step.action, step.offset, step, ok=False, error="not in effect when read back")
            raise InjectionFailed(f"fault {name} was {_past(step.action)} but is not in effect when read back")
        self._event(fault, step.action, step.offset, step, ok=True)

    async def _restore(self, name: str, *, intended: float | None) -> None:
        fault = self.live[name]
        try:
            await fault.restore()
        except ChaosError as exc:
            self._event(fault, FaultAction.RESTORE, intended, None, ok=False, error=exc.message)
            raise
        self.active.remove(name)
        self.restored_any = True
        self._event(fault, FaultAction.RESTORE, intended, None, ok=True)

    def _event(
        self,
        fault: LiveFault,
        action: FaultAction,
        intended: float | None,
        step: FaultStep | None,
        *,
        ok: bool,
        error: str | None = None,
    ) -> None:
        now = time.time()
        settings = step.spec.model_dump(mode="json", by_alias=True, exclude_none=True) if step is not None else {}
        if step is not None and not step.active:
            settings["active"] = False
        event = FaultEvent(
            run_id=self.context.run_id,
            fault=fault.fault.name,
            kind=fault.fault.kind.value,
            action=action,
            t_intended=self.clock.t0 + intended if intended is not None else now,
            t_actual=now,
            settings=settings,
            ok=ok,
            error=error,
        )
        self.events.write(event)
        self.events_written.append(event)
        lag_ms = round((event.t_actual - event.t_intended) * 1000)
        log.info(f"fault {_past(action)}", fault=fault.fault.name, ok=ok, lag_ms=lag_ms)


def _past(action: FaultAction) -> str:
    return {FaultAction.INJECT: "injected", FaultAction.UPDATE: "updated", FaultAction.RESTORE: "restored"}[action]
