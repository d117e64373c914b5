"""A resolved secret never reaches a record, a log, an error message or a report.

The secret is the harness's sentinel (``CHAOS_TEST_GATEWAY_KEY``, sent as
``Authorization: Bearer ${CHAOS_TEST_GATEWAY_KEY}``), unique per test session. A value
that cannot be a header is refused before the load starts, by the variable's name; a
value that is sent and comes back (in a target's error, a locustfile's log line or
exception) is recorded as the reference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chaos.envrefs import Resolver
from chaos.load.config import LoadConfig
from chaos.records import RequestEnded, parse_record
from chaos.rundir import RunDir
from tests.load.helpers import config
from tests.load.target import Settings, TargetServer
from tests.run.conftest import StagingStack
from tests.run.harness import FALLBACK, SECRET_ENV, SENTINEL, assert_no_secret, chaos, chaos_cli, chaos_run, run_env

REFERENCE = "${" + SECRET_ENV + "}"
# Not a header value: it would end the Authorization header and start another.
INVALID = f"{SENTINEL}\r\nX-Evil: injected"
LEAKY = Path(__file__).parent / "locustfiles" / "leaky.py"
SCENARIO = """\
version: 1
name: secret-load
target:
  url: {url}
  headers: {{Authorization: "Bearer ${{CHAOS_TEST_GATEWAY_KEY}}", x-test-fault: echo_auth}}
providers:
  primary: {{api: openai, model: gpt-test}}
load:
  users: 2
  spawn_rate: 20
  duration: 2s
  warmup: 0s
  wait: {{min: 20ms, max: 40ms}}
  mix: {{chat_stream: 50%, chat: 50%, eval: 0%}}
{locustfile}
slos:
  availability: {{objective: 99%}}
"""


def leaked(folder: Path, *texts: str) -> list[str]:
    """Every file under ``folder``, and every text, that holds any piece of the invalid value."""
    pieces = [SENTINEL.encode(), b"X-Evil"]
    found = [str(path) for path in folder.rglob("*") if path.is_file() and any(p in path.read_bytes() for p in pieces)]
    return found + [text[:200] for text in texts if any(p.decode() in text for p in pieces)]


def test_a_resolved_value_is_scrubbed_however_it_is_spelled() -> None:
    secrets = Resolver({"KEY": INVALID, "SHORT": "ab"})
    assert secrets.resolve("Bearer ${KEY} ${SHORT}") == f"Bearer {INVALID} ab"
    for spelling in (INVALID, repr(INVALID), json.dumps(INVALID), SENTINEL, f"b'{SENTINEL}'"):
        text = f"refused: {spelling} (at the end)"
        assert "SENTINEL" not in secrets.scrub(text).upper().replace("${KEY}", ""), spelling
        assert "${KEY}" in secrets.scrub(text)
    assert secrets.scrub("ab abc") == "ab abc"  # too short to be told from ordinary text: no secret
    assert Resolver({"KEY": INVALID}).scrub(INVALID) == INVALID  # only what was resolved is scrubbed


def test_chaos_load_refuses_a_value_that_cannot_be_a_header_by_name_before_any_request(tmp_path: Path) -> None:
    with TargetServer(Settings()) as target:
        path = tmp_path / "scenario.yaml"
        path.write_text(SCENARIO.format(url=target.url, locustfile=""))
        out = tmp_path / "out"
        argv = chaos("load", str(path), "--target", target.url, "--out", str(out))
        result = subprocess.run(
            argv, check=False, capture_output=True, text=True, timeout=60, env=run_env({SECRET_ENV: INVALID})
        )
        assert sum(target.target.received.values()) == 0
    assert result.returncode == 2, result.stderr
    assert f"the environment variable {SECRET_ENV} holds a value that cannot be sent" in result.stderr
    assert "Traceback" not in result.stderr
    assert leaked(tmp_path, result.stdout, result.stderr) == []


def test_the_load_process_refuses_it_too_by_name(tmp_path: Path) -> None:
    """As a locustfile meets it when someone starts the load process by hand."""
    load = config(tmp_path, "http://127.0.0.1:9", headers={"Authorization": f"Bearer {REFERENCE}"})
    load.dump(tmp_path / "load.json")
    code = "from chaos.load.runtime import LoadRuntime; LoadRuntime.from_environ()"
    env = run_env({SECRET_ENV: INVALID, "CHAOS_LOAD_CONFIG": str(tmp_path / "load.json")})
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 1
    assert f"chaos load: target.headers.Authorization: the environment variable {SECRET_ENV}" in result.stderr
    assert leaked(tmp_path, result.stdout, result.stderr) == []


@pytest.mark.e2e  # it runs `chaos run` (which refuses at once)
def test_chaos_run_refuses_it_by_name_before_anything_starts(tmp_path: Path) -> None:
    finished = chaos_run(FALLBACK, runs_dir=tmp_path / "runs", env={SECRET_ENV: INVALID})
    assert finished.code == 2, finished.explain()
    assert f"the environment variable {SECRET_ENV} holds a value that cannot be sent" in finished.stderr
    assert finished.run_dir is None  # refused before a run directory, a stack or a load
    assert leaked(tmp_path, finished.stdout, finished.stderr) == []


@pytest.mark.e2e
def test_a_secret_that_comes_back_is_recorded_as_its_reference_in_records_and_logs(tmp_path: Path) -> None:
    """The target quotes the key in its 401s; the locustfile logs it and fails holding it."""
    with TargetServer(Settings()) as target:
        path = tmp_path / "scenario.yaml"
        path.write_text(SCENARIO.format(url=target.url, locustfile=f"  locustfile: {LEAKY}"))
        out = tmp_path / "out"
        argv = chaos("load", str(path), "--target", target.url, "--out", str(out))
        result = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=60, env=run_env())
        assert target.target.received["echo_auth"] > 0
    assert result.returncode == 0, result.stderr
    run_dir = RunDir(out)
    ended = [r for r in map(parse_record, run_dir.records.read_text().splitlines()) if isinstance(r, RequestEnded)]
    assert ended
    assert all(r.error is not None and f"invalid key 'Bearer {REFERENCE}'" in r.error for r in ended)
    logs = "\n".join(p.read_text(errors="replace") for p in out.rglob("*.log"))
    assert f"about to send Bearer {REFERENCE}" in logs  # the locustfile's log line
    assert f"the locustfile broke holding 'Bearer {REFERENCE}'" in logs  # its exception, traceback and all
    assert leaked(tmp_path, result.stdout, result.stderr) == []


@pytest.mark.e2e
def test_a_run_whose_target_echoes_the_key_keeps_it_out_of_every_file_and_report(
    staging: StagingStack, tmp_path: Path
) -> None:
    with TargetServer(Settings()) as target:
        sets = (*staging.overrides(), "target.headers.x-test-fault=echo_auth", "load.duration=11s")
        env = {**staging.env(), "CHAOS_TEST_TARGET": target.url}
        finished = chaos_run(FALLBACK, *sets, runs_dir=tmp_path / "runs", env=env)  # asserts no secret itself
    assert finished.code in (1, 4), finished.explain()  # every request refused: not a pass
    assert finished.run_dir is not None
    records = RunDir(finished.run_dir).records.read_text()
    assert f"invalid key 'Bearer {REFERENCE}'" in records
    for args in (("report", str(finished.run_dir)), ("report", str(finished.run_dir), "--rebuild")):
        shown = chaos_cli(*args)
        assert shown.returncode == finished.code, shown.stderr
        assert leaked(finished.run_dir, shown.stdout, shown.stderr) == []
    assert_no_secret(finished)
    assert os.environ.get(SECRET_ENV) is None  # the test process never held it: only the runs did


def test_load_configs_keep_references_not_values(tmp_path: Path) -> None:
    load = config(tmp_path, "http://127.0.0.1:9", headers={"Authorization": f"Bearer {REFERENCE}"})
    load.dump(tmp_path / "load.json")
    assert REFERENCE in (tmp_path / "load.json").read_text()
    assert LoadConfig.read(tmp_path / "load.json").headers == {"Authorization": f"Bearer {REFERENCE}"}
