"""Carrying out a scenario's ``change:``: the share of each step, the gates, the rollback.

Before the load starts, ``preflight`` sets the share to 0 through the plan's hook: a
target that does not take it (the hook fails, or answers non-2xx) stops the run with exit
2 and says so, rather than a canary that silently never happens. From t = 0 the plan runs
beside the fault timeline: at ``at`` the first step's share is set; at the end of each
step's hold (the last step's excepted: setting it promotes) the gate is decided from the
records so far, then every ``recheck`` while it holds. A promote moves on to the next
step; a roll back calls the rollback hook and ends the plan. The plan stops where it is
when the load ends. Each gate reads the requests ended by half a second before it (the
recorder flushes within 20 ms) and the ledger rows pulled just before it, and keeps both
bounds, so its figures can be recomputed from the run directory.

The plan's state is appended to ``change.jsonl`` as it starts and after each step, gate
and rollback, so a killed run keeps every decision made before the kill: ``chaos report``
judges the plan again from the last whole line, as the run would have at its end.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import structlog
from pydantic import ValidationError

from chaos.errors import ChaosError, EnvironmentProblem
from chaos.run.timeline import Clock
from chaos.rundir import RunDir
from chaos.scenario.change import SHARE_PLACEHOLDER, Change, Hook, Outcome
from chaos.scenario.model import Scenario
from chaos.slo.change import ChangeResult, GateRecord, HookCall, StepRecord, judge_change
from chaos.slo.evaluate import with_expectations
from chaos.slo.gates import GateDecision, decide_gate
from chaos.slo.results import Evaluation
from chaos.slo.versions import RunRecords, row_pricer, version_samples

log = structlog.get_logger()

RECORD_LAG_S = 0.5


class HookFailed(EnvironmentProblem):
    """The share could not be set on the target."""


async def call_hook(hook: Hook, share: float, target_url: str, cwd: Path) -> tuple[bool, str]:
    """Call ``hook`` with the share (0 to 1, said as 0 to 100); ``(ok, what it answered)``."""
    said = f"{share * 100:g}"
    try:
        if hook.http is not None:
            url = hook.http.url.replace(SHARE_PLACEHOLDER, said)
            url = target_url.rstrip("/") + url if url.startswith("/") else url
            body = hook.http.body.replace(SHARE_PLACEHOLDER, said) if hook.http.body is not None else None
            headers = {"Content-Type": "application/json"} if body is not None else {}
            async with httpx.AsyncClient(timeout=hook.timeout) as client:
                response = await client.request(hook.http.method, url, content=body, headers=headers)
            return response.is_success, f"{hook.http.method} {url}: HTTP {response.status_code} {response.text[:200]}"
        assert hook.command is not None
        argv = [sys.executable if arg == "python" else arg.replace(SHARE_PLACEHOLDER, said) for arg in hook.command]
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), hook.timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            return False, f"{' '.join(argv)}: no exit within {hook.timeout:g} s"
        text = output.decode(errors="replace").strip()[-200:]
        return process.returncode == 0, f"{' '.join(argv)}: exit {process.returncode} {text}"
    except (httpx.HTTPError, OSError) as exc:
        return False, f"{type(exc).__name__}: {exc}"


async def preflight(change: Change, target_url: str, cwd: Path) -> None:
    """The target takes the canary's share: set it to 0 before any traffic."""
    ok, detail = await call_hook(change.set_share, 0.0, target_url, cwd)
    if not ok:
        raise HookFailed(
            f"preflight: the target does not take the canary's share (change.set_share): {detail}",
            hint="the target needs weighted routing for change:; the reference gateway takes "
            "PUT /admin/canary?share={share}&provider=NAME&model=MODEL@VERSION",
        )


class CanaryRun:
    def __init__(
        self,
        scenario: Scenario,
        run_dir: RunDir,
        clock: Clock,
        *,
        target_url: str,
        cwd: Path,
        pull: Callable[[], Awaitable[None]],
        last_ledger_seq: Callable[[], int],
    ) -> None:
        assert scenario.change is not None
        self.change: Change = scenario.change
        self.scenario = scenario
        self.run_dir = run_dir
        self.clock = clock
        self.target_url = target_url
        self.cwd = cwd
        self.pull = pull
        self.last_ledger_seq = last_ledger_seq
        self.result = ChangeResult(
            baseline=self.change.baseline.label,
            candidate=self.change.candidate.label,
            min_sample=self.change.gates.samples_needed,
        )
        self._labels = [(ref.provider, ref.version) for ref in (self.change.baseline, self.change.candidate)]

    async def run(self) -> None:
        """Every step and gate, until promoted or rolled back (cancelled when the load ends)."""
        change = self.change
        self._keep()
        await self.clock.sleep_until(change.at)
        for index, step in enumerate(change.steps):
            started = self.clock.offset()
            await self._set_share(step.share)
            if index == len(change.steps) - 1:
                self._update(outcome=Outcome.PROMOTED)
                log.info("canary promoted", share=step.share)
                return
            await self.clock.sleep_until(started + step.hold)
            while True:
                decision = await self._gate()
                if decision is GateDecision.PROMOTE:
                    break
                if decision is GateDecision.ROLL_BACK:
                    await self._roll_back()
                    return
                await asyncio.sleep(change.gates.recheck)

    async def _set_share(self, share: float) -> None:
        call = await self._call(self.change.set_share, share)
        self._update(steps=[*self.result.steps, StepRecord(share=share, set=call)])
        if not call.ok:
            raise HookFailed(f"change: the share could not be set to {share:.0%}: {call.detail}")
        log.info("canary share set", share=share)

    async def _gate(self) -> GateDecision:
        await self.pull()
        until = time.time() - RECORD_LAG_S
        seq = self.last_ledger_seq()
        records = RunRecords.read(self.run_dir.records, self.run_dir.ledger)
        samples = version_samples(records, self._labels, row_pricer(self.scenario), until=until, ledger_seq=seq)
        gate = decide_gate(samples[self._labels[0]], samples[self._labels[1]], self.change.gates)
        record = GateRecord(at=self.clock.offset(), until=until, ledger_seq=seq, gate=gate)
        step = self.result.steps[-1]
        steps = [*self.result.steps[:-1], step.model_copy(update={"gates": [*step.gates, record]})]
        self._update(steps=steps)
        log.info("canary gate", decision=gate.decision.value, reason=gate.reason)
        return gate.decision

    async def _roll_back(self) -> None:
        decided = self.clock.offset()
        call = await self._call(self.change.rollback_hook, 0.0)
        self._update(outcome=Outcome.ROLLED_BACK, decided_at=decided, rollback=call)
        log.warning("canary rolled back", ok=call.ok, detail=call.detail)

    async def _call(self, hook: Hook, share: float) -> HookCall:
        at = self.clock.offset()
        ok, detail = await call_hook(hook, share, self.target_url, self.cwd)
        return HookCall(share=share, at=at, answered_at=self.clock.offset(), ok=ok, detail=detail)

    def _update(self, **fields: object) -> None:
        self.result = self.result.model_copy(update=fields)
        self._keep()

    def _keep(self) -> None:
        with self.run_dir.change.open("a", encoding="utf-8") as kept:
            kept.write(self.result.model_dump_json() + "\n")


def read_change(run_dir: RunDir) -> ChangeResult | None:
    """The plan's last state kept in ``change.jsonl`` (a last line cut short by a kill is
    skipped), or None if the run kept none."""
    try:
        lines = run_dir.change.read_bytes().split(b"\n")[:-1]
    except FileNotFoundError:
        return None
    whole = [line for line in lines if line.strip()]
    if not whole:
        return None
    try:
        return ChangeResult.model_validate_json(whole[-1])
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise ChaosError(f"{run_dir.change}: line {len(whole)} is not the plan's state: {reason}") from None


def judge_canary(
    scenario: Scenario, run_dir: RunDir, result: ChangeResult, evaluation: Evaluation, t0: float
) -> tuple[ChangeResult, Evaluation]:
    """The plan's ``result``, judged from the whole record; its expectation joins the verdict."""
    change = scenario.change
    assert change is not None
    records = RunRecords.read(run_dir.records, run_dir.ledger)
    labels = [(ref.provider, ref.version) for ref in (change.baseline, change.candidate)]
    judged = judge_change(change, result, records, version_samples(records, labels, row_pricer(scenario)), t0)
    if judged.expectation is None:
        return judged, evaluation
    return judged, with_expectations(evaluation, [judged.expectation])
