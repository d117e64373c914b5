"""The restore-on-exit path (an abort, a signal, an error): each restore's actual time
recorded, and the restores of one exit grouped as injections are, so that the
milliseconds between two API calls make no segment of their own."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from chaos.faults import FaultContext, LiveFault
from chaos.kinds import FaultAction
from chaos.run.jsonl import JsonlWriter
from chaos.run.timeline import Clock, FaultTimeline
from chaos.scenario.faults import FaultSpec
from chaos.scenario.model import Scenario
from chaos.segments import fault_windows
from tests.slo.slo_runs import scenario

FAULTS = [
    {"name": "a", "at": "12s", "for": "20s", "network": {"provider": "primary", "toxic": "latency", "latency": "1s"}},
    {"name": "b", "at": "12s", "for": "20s", "provider": "secondary", "http_error": {"status": 503}},
]


class TakesMilliseconds(LiveFault):
    """A fault whose every action is an API call of a few milliseconds."""

    on = False

    async def inject(self, spec: FaultSpec, *, ttl_s: float) -> None:
        await asyncio.sleep(0.004)
        self.on = True

    async def restore(self) -> None:
        await asyncio.sleep(0.004)
        self.on = False

    async def in_effect(self) -> bool:
        return self.on


async def injected_then_restored_on_exit(sc: Scenario, folder: Path) -> FaultTimeline:
    proxies = {"primary": "primary", "secondary": "secondary"}
    context = FaultContext("run", None, None, proxies, None)  # type: ignore[arg-type]  # the fakes need none
    with JsonlWriter(folder / "events.jsonl") as events:
        timeline = FaultTimeline(sc, context, events, Clock.starting_at(time.time() - 12))
        timeline.live = {fault.name: TakesMilliseconds(fault, context) for fault in sc.faults}
        injections = [(step, name) for step, name in timeline.steps if step.action is FaultAction.INJECT]
        await asyncio.gather(*(timeline._carry_out(step, name) for step, name in injections))
        await timeline.restore_all()
    return timeline


def test_restores_on_exit_record_their_actual_times_and_are_cut_together(tmp_path: Path) -> None:
    sc = scenario(faults=FAULTS)
    timeline = asyncio.run(injected_then_restored_on_exit(sc, tmp_path))
    restores = [event for event in timeline.events_written if event.action is FaultAction.RESTORE]
    assert [event.fault for event in restores] == ["b", "a"]  # newest first
    assert restores[0].t_intended == restores[1].t_intended <= restores[0].t_actual < restores[1].t_actual
    t0 = timeline.clock.t0
    windows = fault_windows(timeline.events_written, t0, 90.0, together=sc.min_segment)
    end = round(restores[1].t_actual - t0, 6)
    assert [(w.fault, w.end) for w in windows] == [("a", end), ("b", end)]
