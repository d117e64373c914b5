"""A hand-made measured run for the forecast's tests: records and ledger rows as a run
writes them, in a run directory without a journal (the forecast has it rebuilt, as
``chaos report`` does), and the forecast and price sheet its figures are computed with.

Load from 0 to 30 s, judged from 5 s (ramp-up 1 s, warm-up 4 s), no fault: one
``baseline`` from 5 s. Under it:

    r1 chat_stream  primary 100 in / 50 out, served
    r2 chat_stream  primary 429 (0 / 0), then secondary 100 in / 40 out, served
    r3 chat         primary 80 in / 20 out, served
    r4 chat         no call (a cached answer)
and, in the warm-up (not measured), r5 chat_stream: primary 1000 / 1000.

Per request: chat_stream at primary 1 call, 50 in, 25 out; at secondary 0.5, 50, 20;
chat at primary 0.5 call, 40 in, 10 out.
"""

from __future__ import annotations

from pathlib import Path

from chaos.kinds import RequestKind
from chaos.records import LedgerRow, dump_record
from chaos.rundir import RunDir
from tests.slo.slo_runs import T0, Run

SCENARIO = """version: 1
name: measured
target: {url: "http://127.0.0.1:9"}
providers:
  primary: {api: openai, model: model-a, price: {input: 10, output: 20}}
  secondary: {api: openai, model: model-b, price: {input: 1, output: 2}}
load: {users: 1, spawn_rate: 1, duration: 30s, warmup: 4s, stop_grace: 2s}
slos:
  availability: {objective: 90%}
alerts: []
"""

TRAFFIC = """version: 1
name: assistant
peak_to_mean: 2
growth: {best: 0%, base: 50%, worst: 100%}
features:
  assistant: {requests_per_day: 10000, kind: chat_stream}
  summaries: {requests_per_day: 5000, kind: chat}
"""

PRICES = """version: 1
name: list-2026
providers:
  primary:
    price: {input: 10, output: 20}
    quota: {rpm: 20, tpm: 10000}
    reserved: {discount: 40%, step_tpm: 100}
  secondary:
    price: {input: 1, output: 2}
"""


def measured_run(run_dir: Path) -> Path:
    run = Run()
    run.request(10, kind=RequestKind.CHAT_STREAM, request_id="r1", ttft=0.2)
    run.ledger(10.01, "primary", request_id="r1", input_tokens=100, output_tokens=50)
    run.request(11, kind=RequestKind.CHAT_STREAM, request_id="r2", ttft=0.2, served="secondary")
    run.ledger(11.01, "primary", request_id="r2", status=429)
    run.ledger(11.2, "secondary", request_id="r2", input_tokens=100, output_tokens=40)
    run.request(12, kind=RequestKind.CHAT, request_id="r3")
    run.ledger(12.01, "primary", request_id="r3", input_tokens=80, output_tokens=20)
    run.request(13, kind=RequestKind.CHAT, request_id="r4", served=None, degraded="cached")
    run.request(2, kind=RequestKind.CHAT_STREAM, request_id="r5", ttft=0.2)
    run.ledger(2.01, "primary", request_id="r5", input_tokens=1000, output_tokens=1000)
    run.stop(30)
    files = RunDir(run_dir)
    run_dir.mkdir(parents=True)
    files.scenario_copy.write_text(SCENARIO, encoding="utf-8")
    files.run_start.write_text(
        f'{{"run_id": "r", "scenario_name": "measured", "scenario_path": "measured.yaml", '
        f'"environment": "local", "started_at": {T0 - 1}}}',
        encoding="utf-8",
    )
    ledger = [record for record in run.records if isinstance(record, LedgerRow)]
    others = [record for record in run.records if not isinstance(record, LedgerRow)]
    files.records.write_text("".join(dump_record(record) for record in others), encoding="utf-8")
    files.ledger.write_text("".join(dump_record(record) for record in ledger), encoding="utf-8")
    return run_dir


def inputs(folder: Path, traffic: str = TRAFFIC, prices: str = PRICES) -> tuple[Path, Path]:
    (folder / "traffic.yaml").write_text(traffic, encoding="utf-8")
    (folder / "prices.yaml").write_text(prices, encoding="utf-8")
    return folder / "traffic.yaml", folder / "prices.yaml"
