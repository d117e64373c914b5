"""A run, from a validated scenario to its journal.

    lease the environment -> start the load -> t = 0 (the load's START record)
    -> the guard (fault timeline, abort rules, live view) until the load ends
    -> always: restore every fault (newest first), stop the load, clear this run's
       leftovers, release the lease -> evaluate what was recorded -> the journal

Ctrl-C and SIGTERM cancel the run's drive; the handlers stay installed while the run
restores and records, and once it winds down a signal no longer cancels anything, so no
signal can cut the restore short (SIGKILL can; then the providers' TTLs and ``chaos
reset`` clean up). A run whose environment breaks after the load started (an injection
that does not take, a child that dies), or that hits a bug, is judged on what it
recorded and marked aborted; one that breaks before is an environment error (exit 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import structlog

from chaos.errors import ChaosError, EnvironmentProblem, ExitCode
from chaos.faults import FaultContext
from chaos.faults.container import reach_engine
from chaos.journal import (
    FreezeOverride,
    Journal,
    RunStart,
    RunStatus,
    bills,
    versions,
    write_journal,
    write_start,
)
from chaos.load.config import RemoteWorkers
from chaos.load.launch import stop_deadline
from chaos.observe.judge import observe_run
from chaos.providers.admin_client import AdminClient
from chaos.providers.findings import client_findings
from chaos.run.canary import judge_canary, preflight
from chaos.run.collect import Collector
from chaos.run.context import RunContext, RunState, Stack, Watch
from chaos.run.guard import guard, start_load, wait_for_start
from chaos.run.jsonl import JsonlWriter
from chaos.run.lease import RunLease
from chaos.run.observing import receive_traces, watch_metrics
from chaos.run.version import target_version
from chaos.rundir import RunDir
from chaos.scenario import contract
from chaos.scenario.base import Environment
from chaos.scenario.loading import ScenarioFile
from chaos.slo.evaluate import evaluate, with_expectations
from chaos.slo.live import LiveMonitor
from chaos.slo.loading import load_run
from chaos.slo.results import AbortDecision, RunVerdict
from chaos.stack.local import LocalStack
from chaos.stack.processes import Child, stop
from chaos.stack.staging import connect_staging
from chaos.toxiproxy.client import ToxiproxyClient

log = structlog.get_logger()


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 0xFFFF:04x}"


async def run_scenario(
    loaded: ScenarioFile,
    path: Path,
    run_id: str,
    *,
    watch: Watch,
    freeze_override: FreezeOverride | None = None,
    workers: RemoteWorkers | None = None,
) -> Journal:
    """Run ``loaded`` in the run directory ``path``, its load split over remote ``workers``
    if given; returns the final journal (also written there). ``freeze_override`` is
    recorded from the start (``run.json``), so a rebuilt journal keeps it."""
    scenario = loaded.scenario
    run_dir = RunDir(path)
    start = RunStart(
        run_id=run_id,
        scenario_name=scenario.name,
        scenario_path=str(loaded.path),
        overrides=list(loaded.overrides),
        scale=loaded.scale,
        environment=scenario.environment.value,
        started_at=time.time(),
        freeze_override=freeze_override,
    )
    journal = Journal.starting(start, loaded.text, versions())
    state = RunState()
    collector: Collector | None = None
    with _signals(asyncio.current_task(), state) as received:
        write_start(path, start, loaded.text)
        write_journal(path, journal)
        try:
            async with _stack(loaded, run_dir, run_id) as stack:
                journal.endpoints = {
                    "target": stack.endpoints.target_url,
                    "providers_admin": stack.endpoints.admin_url,
                    "toxiproxy": stack.endpoints.toxiproxy_url,
                }
                if stack.otlp_endpoint is not None:
                    journal.endpoints["otlp"] = stack.otlp_endpoint
                journal.versions = versions(stack.endpoints.toxiproxy_version)
                if stack.endpoints.leftovers:
                    log.warning("running on top of faults this run did not make", faults=stack.endpoints.leftovers)
                    journal.problems.append(
                        "ran on top of faults it did not make (safety.leftovers: allow):\n"
                        + "\n".join(stack.endpoints.leftovers)
                    )
                if scenario.target.version is not None:
                    journal.versions["target"] = await target_version(
                        scenario.target.version, stack.endpoints.target_url, scenario.target.health, Path.cwd()
                    )
                collector = Collector(run_dir, run_id, LiveMonitor(scenario), stack.admin, stack.toxiproxy)
                lease = RunLease(stack.admin, run_id, ttl_s=scenario.stack.lease_ttl)
                context = RunContext(loaded, run_dir, run_id, stack, collector, state, watch, lease, workers)
                await _leased_run(context, journal)
        except asyncio.CancelledError:
            if not received:
                raise
            _uncancel(asyncio.current_task())
            journal.status = RunStatus.INTERRUPTED
            reason = f"interrupted by {received[0].name}"
            if state.t0 is None:  # before the load started: nothing to judge
                return _unjudged(run_dir, journal, f"{reason} before the load started", ExitCode.ABORTED)
            state.aborted = AbortDecision(rule="signal", reason=reason, at=_offset(state))
        except EnvironmentProblem as exc:
            journal.problems.append(exc.message + (f"\n{exc.hint}" if exc.hint else ""))
            journal.status = RunStatus.FAILED if state.t0 is not None else RunStatus.NOT_STARTED
            if state.t0 is None:  # nothing was measured: an environment error, not a verdict
                _unjudged(run_dir, journal, exc.message, exc.exit_code)
                raise
            state.aborted = AbortDecision(rule="environment", reason=exc.message, at=_offset(state))
        except Exception as exc:  # a bug: every fault is restored by now; judge what was recorded
            log.exception("the run failed")
            reason = f"internal error: {type(exc).__name__}: {exc}"
            journal.problems.append(reason)
            journal.status = RunStatus.FAILED
            if state.t0 is None:
                _unjudged(run_dir, journal, reason, ExitCode.INVALID)
                raise
            state.aborted = AbortDecision(rule="error", reason=reason, at=_offset(state))
        return _judge(loaded, run_dir, journal, state, collector)  # still deaf to signals: they are recorded


def _unjudged(run_dir: RunDir, journal: Journal, reason: str, exit_code: ExitCode) -> Journal:
    """The journal of a run that stopped before its load started."""
    journal.verdict = RunVerdict.ERROR if exit_code is ExitCode.INVALID else RunVerdict.ABORTED
    journal.reason, journal.exit_code, journal.ended_at = reason, int(exit_code), time.time()
    write_journal(run_dir.path, journal)
    return journal


@contextlib.contextmanager
def _signals(drive: asyncio.Task[object] | None, state: RunState) -> Iterator[list[signal.Signals]]:
    """The first SIGINT or SIGTERM cancels the run's drive, unless the run is already
    winding down (cancelling that would cut the restore short); later ones are ignored."""
    loop = asyncio.get_running_loop()
    received: list[signal.Signals] = []
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: signal.Signals) -> None:
        if not received and drive is not None and not state.winding_down:
            log.warning("stopping: restoring every fault first", signal=signum.name)
            drive.cancel()
        elif not received:
            log.warning("already stopping: restoring every fault first", signal=signum.name)
        received.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, handler, signum)
    try:
        yield received
    finally:
        for signum, before in previous.items():
            loop.remove_signal_handler(signum)
            if before is not None:  # removing set the default: put back what the caller had
                signal.signal(signum, before)


def _uncancel(task: asyncio.Task[object] | None) -> None:
    if task is not None:
        while task.uncancel():
            pass


def _offset(state: RunState) -> float:
    return 0.0 if state.t0 is None else time.time() - state.t0


@asynccontextmanager
async def _stack(loaded: ScenarioFile, run_dir: RunDir, run_id: str) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as exits:
        children: list[Child] = []
        engine = await reach_engine(loaded.scenario)  # first: a missing container stops the run before anything starts
        if engine is not None:
            exits.push_async_callback(engine.close)
        extra = {}
        otlp = await receive_traces(exits, loaded, run_dir)  # before the target: stopped after its last flush
        if otlp is not None:
            extra[contract.OTLP_ENDPOINT] = otlp
        if loaded.scenario.environment is Environment.STAGING:
            endpoints = await connect_staging(loaded.scenario)
        else:
            if loaded.scenario.load.eval_set is not None:
                extra[contract.EVAL_SET] = str(loaded.resolve(loaded.scenario.load.eval_set).resolve())
            local = LocalStack(loaded, run_dir, run_id, target_env=extra)
            endpoints = await exits.enter_async_context(local)
            children = local.children
        await watch_metrics(exits, loaded, run_dir, run_id, endpoints.target_url)
        admin = await exits.enter_async_context(AdminClient(endpoints.admin_url, token=endpoints.admin_token))
        toxiproxy = await exits.enter_async_context(ToxiproxyClient(endpoints.toxiproxy_url))
        yield Stack(endpoints, admin, toxiproxy, children, engine, otlp)


async def _leased_run(run: RunContext, journal: Journal) -> None:
    state, stack = run.state, run.stack

    async def proxy_disabled(proxy: str, down: bool) -> None:
        (state.disabled_proxies.add if down else state.disabled_proxies.discard)(proxy)
        await run.lease.renew(sorted(state.disabled_proxies))

    async def container_touched(container: str, touched: bool) -> None:
        (state.touched_containers.add if touched else state.touched_containers.discard)(container)
        await run.lease.renew(containers=sorted(state.touched_containers))

    events = JsonlWriter(run.run_dir.events)
    context = FaultContext(
        run.run_id,
        stack.admin,
        stack.toxiproxy,
        stack.endpoints.proxy_names,
        proxy_disabled,
        engine=stack.engine,
        container_touched=container_touched,
    )
    heartbeat: asyncio.Task[None] | None = None
    try:
        await run.lease.take()  # inside: a lease taken as the run is interrupted is still released
        heartbeat = asyncio.create_task(run.lease.heartbeat())
        change = run.loaded.scenario.change
        if change is not None:  # before any traffic: a target without weighted routing is told so
            await preflight(change, stack.endpoints.target_url, run.loaded.path.parent)
        load = await start_load(run)
        assert state.load_config is not None  # start_load set it
        state.t0 = journal.t0 = await wait_for_start(run.collector, load, state.load_config)
        write_journal(run.run_dir.path, journal)
        await guard(run, context, events)
    finally:
        state.winding_down = True
        if heartbeat is not None:
            heartbeat.cancel()
        await _wind_down(run, events)


async def _wind_down(run: RunContext, events: JsonlWriter) -> None:
    """Restore, stop the load, clear leftovers, record, release: whatever happened before."""
    stack, run_id, state, collector = run.stack, run.run_id, run.state, run.collector
    if state.timeline is not None:
        await state.timeline.restore_all()
    if state.load is not None and state.load_config is not None:
        await stop(state.load, grace=stop_deadline(state.load_config))
    with contextlib.suppress(ChaosError):
        await stack.admin.delete_run_behaviours(run_id)
    with contextlib.suppress(ChaosError):
        await stack.toxiproxy.reset_run(run_id, enable=sorted(state.disabled_proxies))
    if stack.engine is not None:  # a container listed but never restored (its injection failed half-way)
        for container in sorted(state.touched_containers):
            with contextlib.suppress(ChaosError):
                await stack.engine.bring_back(container)
    events.close()
    await collector.pull()
    collector.close()
    await run.lease.release()


def _judge(
    loaded: ScenarioFile, run_dir: RunDir, journal: Journal, state: RunState, collector: Collector | None
) -> Journal:
    scenario = loaded.scenario
    rows = collector.ledger_rows if collector is not None else []
    findings = client_findings(rows)
    evaluation = evaluate(
        scenario,
        load_run(run_dir.path, scenario),
        aborted=state.aborted,
        baseline_gate_failed=state.gate_failed,
        findings=findings,
    )
    if state.canary is not None and journal.t0 is not None:
        journal.change, evaluation = judge_canary(scenario, run_dir, state.canary.result, evaluation, journal.t0)
    evaluation = with_expectations(evaluation, observe_run(loaded, run_dir, rows, evaluation, journal.t0))
    summary = collector.summary() if collector is not None else None
    journal.evaluation = evaluation
    journal.events = list(state.timeline.events_written) if state.timeline is not None else []
    journal.ledger = bills(scenario, rows)
    journal.proxies = list(collector.last_counters.values()) if collector is not None else []
    journal.findings = findings
    journal.load_summary = dict(summary.detail) if summary is not None else {}
    journal.record_workers(collector.load_events if collector is not None else [])
    journal.verdict = evaluation.verdict.verdict
    journal.reason = evaluation.verdict.reason
    journal.exit_code = evaluation.verdict.exit_code
    if journal.status is RunStatus.RUNNING:
        journal.status = RunStatus.FINISHED
    journal.ended_at = time.time()
    write_journal(run_dir.path, journal)
    return journal
