"""``chaos load``: a scenario's load against a URL, from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chaos.cli import main
from chaos.load.summary import summarize
from chaos.records import ErrorKind, Outcome, RequestEnded, RequestKind, RequestSent, dump_record
from chaos.rundir import RunDir
from tests.load.helpers import EVALS, Records
from tests.load.target import TargetServer

SCENARIO = """\
version: 1
name: load-only
target:
  url: {url}
  api: anthropic
  served_by: {{header: x-served-by}}
providers:
  primary: {{api: anthropic, model: claude-opus}}
load:
  users: 2
  spawn_rate: 20
  duration: 2s
  warmup: 0s
  wait: {{min: 10ms, max: 20ms}}
  eval_set: {evals}
slos:
  availability: {{objective: 99%}}
"""


def scenario(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "load-only.yaml"
    path.write_text(SCENARIO.format(url=url, evals=EVALS))
    return path


@pytest.mark.e2e
def test_chaos_load_sends_a_scenarios_load_to_a_url(tmp_path: Path, target: TargetServer) -> None:
    out = tmp_path / "run"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "chaos",
            "load",
            str(scenario(tmp_path, target.url)),
            "--target",
            target.url,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    records = Records.read(RunDir(out).records)
    assert records.ended
    assert len(records.ended) == sum(target.target.received.values())
    assert f"requests: {len(records.ended)} ended (ok {len(records.ended)}), 0 never ended" in result.stdout
    assert (out / "locust-stats.json").exists()


def test_chaos_load_refuses_a_host_outside_the_allow_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path, "http://127.0.0.1:9")
    assert main(["load", str(path), "--target", "http://10.1.2.3:80", "--out", str(tmp_path / "run")]) == 2
    assert "may not target 10.1.2.3" in capsys.readouterr().err


def test_importing_the_cli_loads_neither_locust_nor_gevent() -> None:
    code = "import sys, chaos.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_summary_counts_ok_only_for_records_that_say_ok(tmp_path: Path) -> None:
    """A request the load generator itself failed has no error kind: it is failed, not ok."""
    common = {"kind": RequestKind.CHAT, "endpoint": "/v1/chat/completions", "stream": False, "t_sent": 1.0}
    records = [RequestSent(id=str(i), **common) for i in range(4)] + [
        RequestEnded(id="0", t_ended=2.0, status=200, outcome=Outcome.OK, **common),
        RequestEnded(id="1", t_ended=2.0, status=503, outcome=Outcome.FAILED, error_kind=ErrorKind.HTTP_5XX, **common),
        RequestEnded(id="2", t_ended=2.0, outcome=Outcome.FAILED, error="the load generator failed", **common),
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(dump_record(record) for record in records))
    summary = summarize(path)
    assert summary.outcomes == {"ok": 1, "http_5xx": 1, "failed": 1}
    assert summary.requests_line() == "requests: 3 ended (ok 1, http_5xx 1, failed 1), 1 never ended"
