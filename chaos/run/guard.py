"""The part of a run between t = 0 and the end of load.

The fault timeline runs as its own task; beside it, every second, the guard tails the
records, pulls the ledger and the proxy counters, checks the abort rules, watches that
the stack's processes are alive, and updates the live view. It returns when the load
has ended, an abort rule held, or the steady-state gate refused the first injection.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from typing import Any

import structlog

from chaos.envrefs import Resolver
from chaos.errors import EnvironmentProblem
from chaos.faults import FaultContext
from chaos.load.config import LoadConfig
from chaos.load.launch import free_port, locust_command, run_deadline
from chaos.records import FaultEvent
from chaos.run.canary import CanaryRun
from chaos.run.collect import Collector
from chaos.run.context import LiveStatus, RunContext
from chaos.run.jsonl import JsonlWriter
from chaos.run.timeline import Clock, FaultTimeline
from chaos.scenario.estimate import stop_grace
from chaos.scenario.model import Scenario
from chaos.segments import GRACE, Span, cut_timeline, fault_windows
from chaos.slo.evaluate import steady_state_gate
from chaos.slo.loading import load_run
from chaos.slo.results import AbortDecision
from chaos.stack.local import require_running
from chaos.stack.processes import Child, spawn

log = structlog.get_logger()

GUARD_PERIOD_S = 1.0
START_TIMEOUT_S = 60.0


async def start_load(run: RunContext) -> Child:
    target = run.stack.endpoints.target_url
    config = LoadConfig.from_scenario(run.loaded, target_url=target, records=run.run_dir.records, run_id=run.run_id)
    config.resolved_headers(Resolver(os.environ))  # a missing ${VAR} is named now, not inside Locust
    command = locust_command(config, run.run_dir, master_port=free_port() if config.processes > 1 else None)
    config.dump(command.config_file)
    run.state.load_config = config
    run.state.load = await spawn(
        "load", command.argv, log_path=run.run_dir.log("load"), run_id=run.run_id, env=command.env, cwd=command.cwd
    )
    return run.state.load


async def wait_for_start(collector: Collector, load: Child) -> float:
    """t = 0: the epoch time of the load's START record."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        collector.tail_records()
        if collector.t0 is not None:
            return collector.t0
        if not load.running:
            raise EnvironmentProblem(
                f"the load exited with code {load.process.returncode} before it started",
                hint=f"its output ({load.log_path}):\n{load.log_tail()}",
            )
        await asyncio.sleep(0.05)
    raise EnvironmentProblem(f"the load did not start within {START_TIMEOUT_S:g} s", hint=load.log_tail())


async def guard(run: RunContext, context: FaultContext, events: JsonlWriter) -> None:
    """From t = 0 until the load ends (or the run must stop early)."""
    state, collector, scenario = run.state, run.collector, run.loaded.scenario
    assert state.load is not None
    assert state.t0 is not None
    assert state.load_config is not None
    clock = Clock.starting_at(state.t0)
    timeline = FaultTimeline(scenario, context, events, clock)
    state.timeline = timeline

    async def gate(at: float) -> bool:
        collector.tail_records()
        result = steady_state_gate(scenario, load_run(run.run_dir.path, scenario), at)
        if not result.passed:
            failing = [f"{r.slo} in {r.segment}" for r in result.slos if r.verdict == "fail"]
            log.warning("baseline does not meet its SLOs", failing=failing)
        return result.passed

    faults = asyncio.create_task(timeline.run(gate))
    load_exit = asyncio.create_task(state.load.process.wait())
    watched: set[asyncio.Task[Any]] = {faults, load_exit}
    canary: asyncio.Task[None] | None = None
    if scenario.change is not None:
        state.canary = CanaryRun(
            scenario,
            run.run_dir,
            clock,
            target_url=run.stack.endpoints.target_url,
            cwd=run.loaded.path.parent,
            pull=collector.pull,
            last_ledger_seq=lambda: collector.ledger_seq,
        )
        canary = asyncio.create_task(state.canary.run())
        watched.add(canary)
    deadline = time.monotonic() + run_deadline(state.load_config)
    try:
        while True:
            # Each period, or at once when the load exits or the timeline stops.
            await asyncio.wait(watched, timeout=GUARD_PERIOD_S, return_when=asyncio.FIRST_COMPLETED)
            if faults in watched and faults.done():
                watched.discard(faults)
                faults.result()  # an action that failed stops the run here
                if timeline.gate_refused:
                    state.gate_failed = True
                    return
            if canary is not None and canary in watched and canary.done():
                watched.discard(canary)
                canary.result()  # a share that could not be set stops the run here
            if load_exit.done():
                return
            if run.lease.lost is not None:
                state.aborted = AbortDecision(rule="lease", reason=run.lease.lost, at=clock.offset())
                return
            await collector.pull()
            state.aborted = collector.monitor.check(time.time())
            if state.aborted is not None:
                log.warning("abort rule holds", rule=state.aborted.rule, reason=state.aborted.reason)
                return
            require_running([child for child in run.stack.children if child.name != "load"])
            if time.monotonic() > deadline:
                raise EnvironmentProblem("the load did not end by itself in time", hint=state.load.log_tail())
            run.watch(_status(timeline, clock, collector, scenario))
    finally:
        tasks = [task for task in (faults, load_exit, canary) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # their outcome is known, or moot


def _status(timeline: FaultTimeline, clock: Clock, collector: Collector, scenario: Scenario) -> LiveStatus:
    elapsed = clock.offset()
    order = [fault.name for fault in scenario.faults]
    active = tuple(sorted(timeline.active, key=order.index))
    span = live_span(scenario, timeline.events_written, clock.t0, elapsed)
    segment = span.name if span is not None else GRACE
    return LiveStatus(elapsed, scenario.load.duration, segment, active, collector.monitor.summary(time.time()))


def live_span(scenario: Scenario, events: Sequence[FaultEvent], t0: float, offset: float) -> Span | None:
    """The span ``offset`` falls in, cut from the fault events so far as the verdict cuts
    the whole run: the live view names each second as the plan and the verdict do."""
    load = scenario.load
    timeline = cut_timeline(
        fault_windows(events, t0, load.duration, together=scenario.min_segment),
        order=[fault.name for fault in scenario.faults],
        judged_from=load.judged_from,
        load_end=load.duration,
        settle=scenario.settle,
        stop_grace=stop_grace(scenario),
        min_segment=scenario.min_segment,
    )
    return timeline.span_at(offset)
