"""``chaos providers serve``: config errors located, ready-file, ports, clean exit on signals."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from chaos.cli import main
from chaos.stack.processes import terminate
from tests.providers.conftest import ROOT, start_providers


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "providers.yaml"
    path.write_text(text)
    return path


def test_importing_the_cli_loads_no_server() -> None:
    heavy = "('aiohttp', 'prometheus_client', 'chaos.providers')"
    code = f"import sys, chaos.cli; print([m for m in {heavy} if m in sys.modules])"
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert output.strip() == "[]"


def test_a_misspelt_key_is_located_with_a_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "providers:\n  primary:\n    api: openai\n    modle: gpt\n")
    assert main(["providers", "serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f'{path}:4:5: providers.primary.modle: unknown key "modle" (did you mean "model"?)' in err
    assert f"{path}:3:5: providers.primary.model: missing required key" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("providers: {a: {api: grpc, model: x}}\n", "providers.a.api: Input should be 'openai' or 'anthropic'"),
        ("providers: {a: {api: openai, model: x, latency: {ttft: 300}}}\n", "expected a duration with a unit"),
        ("providers: {a: {api: openai, model: x, port: 70000}}\n", "providers.a.port"),
        ("providers: {a: {api: openai, model: x, port: 9999}, b: {api: openai, model: y, port: 9999}}\n", "also a's"),
        ("- just a list\n", "a providers file is a mapping of keys"),
        ("providers: {a: {api: openai, model: x}}\neval_set: missing.jsonl\n", "cannot read the eval set"),
        ("", "the file is empty"),
    ],
)
def test_invalid_configs_exit_2_with_a_located_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    assert main(["providers", "serve", "--config", str(write(tmp_path, text))]) == 2
    assert message in capsys.readouterr().err


def test_config_and_scenario_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["providers", "serve"]) == 2
    assert "exactly one of --config FILE or --scenario FILE" in capsys.readouterr().err
    assert main(["providers", "serve", "--config", "nowhere.yaml"]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_scenarios_providers_serve_until_a_signal_and_exit_0(tmp_path: Path, signum: signal.Signals) -> None:
    ready_file = tmp_path / "ready.json"
    command = [sys.executable, "-m", "chaos", "providers", "serve", "--scenario", "scenarios/provider-outage.yaml"]
    process = subprocess.Popen(
        [*command, "--ready-file", str(ready_file), "--zero-latency"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(5)]  # type: ignore[union-attr]
        ready = json.loads(ready_file.read_text())
        assert list(ready["providers"]) == ["primary", "secondary", "tertiary"]
        assert ready["providers"]["tertiary"]["api"] == "openai"
        assert ready["providers"]["tertiary"]["url"].endswith("/v1")
        assert ready["providers"]["primary"] == {
            "url": ready["providers"]["primary"]["url"],
            "api": "anthropic",
            "model": "claude-opus",
        }
        assert any(ready["admin"] in line for line in lines)
        assert any(ready["providers"]["primary"]["url"] in line for line in lines)
        eval_answer = httpx.post(
            f"{ready['providers']['tertiary']['url']}/chat/completions",
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Who wrote Hamlet?"}]},
            headers={"Authorization": "Bearer k"},
        ).json()
        assert "Shakespeare" in eval_answer["choices"][0]["message"]["content"]  # the load's eval set
    finally:
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
        assert "Traceback" not in process.stderr.read()  # type: ignore[union-attr]
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
    assert not ready_file.exists()


def test_fixed_ports_are_used_and_a_taken_port_exits_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "chaos", "providers", "serve", "--config"]
        config = write(tmp_path, f"providers: {{a: {{api: openai, model: x, port: {port}}}}}\n")
        failed = subprocess.run([*command, str(config)], capture_output=True, text=True, timeout=30, check=False)
    assert failed.returncode == 2
    assert "cannot listen" in failed.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    process, ready = start_providers(tmp_path, f"providers: {{a: {{api: anthropic, model: x, port: {free}}}}}\n")
    try:
        assert ready["providers"]["a"]["url"] == f"http://127.0.0.1:{free}"
    finally:
        assert terminate(process, grace=10) == 0
