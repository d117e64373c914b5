"""The collector against a real providers process: ledger pulls that overlap (a canary
gate pulls beside the collector's own beat, both asking after the same row) keep each row
once, in ``ledger.jsonl`` and in what the verdict bills. A CI run of canary-healthy had
112 rows written twice, which billed their requests twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from chaos.providers.admin_client import AdminClient
from chaos.records import LedgerRow
from chaos.run.collect import Collector
from chaos.rundir import RunDir
from chaos.scenario.loading import scenario_from_text
from chaos.slo.live import LiveMonitor
from chaos.stack.processes import terminate
from chaos.toxiproxy.client import ToxiproxyClient
from tests.providers.conftest import start_providers

CONFIG = """
providers:
  oai: {api: openai, model: gpt-test, latency: {ttft: 0s, jitter: 0s, tokens_per_s: 0}}
"""
SCENARIO = """
version: 1
name: collect
target: {start: [python, -m, app]}
providers:
  oai: {api: openai, model: gpt-test}
load: {users: 1, spawn_rate: 1, duration: 10s}
slos: {availability: {objective: 99%}}
"""
RUN = "collect-run"
CALLS = 6
KEY = {"Authorization": "Bearer test-key"}


async def pull_twice_at_once(admin_url: str, provider_url: str, run_dir: RunDir) -> Collector:
    async with AdminClient(admin_url) as admin, ToxiproxyClient("http://127.0.0.1:9") as unused:
        await admin.take_lease(RUN, ttl_s=30, proxies=[])
        async with httpx.AsyncClient() as client:
            for index in range(CALLS):
                body = {"model": "gpt-test", "messages": [{"role": "user", "content": f"hello {index}"}]}
                response = await client.post(f"{provider_url}/chat/completions", json=body, headers=KEY)
                assert response.status_code == 200, response.text
        scenario = scenario_from_text(SCENARIO, Path("collect.yaml")).scenario
        collector = Collector(run_dir, RUN, LiveMonitor(scenario), admin, unused)
        await asyncio.gather(collector.pull_ledger(), collector.pull_ledger())
        await collector.pull_ledger()  # and one more after them: nothing new
        collector.close()
        return collector


def test_overlapping_ledger_pulls_keep_each_row_once(tmp_path: Path) -> None:
    process, ready = start_providers(tmp_path, CONFIG)
    try:
        run_dir = RunDir(tmp_path / "run")
        run_dir.path.mkdir()
        collector = asyncio.run(pull_twice_at_once(ready["admin"], ready["providers"]["oai"]["url"], run_dir))
    finally:
        assert terminate(process, grace=10) == 0
    lines = run_dir.ledger.read_text(encoding="utf-8").splitlines()
    written = [LedgerRow.model_validate_json(line).seq for line in lines]
    assert len(written) == CALLS
    assert written == sorted(set(written))
    assert [row.seq for row in collector.ledger_rows] == written
    assert collector.ledger_seq == written[-1]
