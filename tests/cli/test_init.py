"""``chaos init`` as a user types it: a scenario that validates, is decidable as written,
and a checklist of what the app must read, from flags or from answers on a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from chaos.cli import main

ROOT = Path(__file__).resolve().parents[2]
FLAGS = [
    "--start",
    "node gw.js --port {port} --upstream {provider.primary-eu.url}",
    "--api",
    "anthropic",
    "--served-by",
    "header:x-upstream",
    "--providers",
    "primary-eu=anthropic:claude-sonnet,backup=openai:gpt-4o-mini",
]


def test_init_from_flags_writes_a_scenario_that_validates_and_can_be_decided(tmp_path: Path, capsys) -> None:
    out = tmp_path / "gw.yaml"
    assert main(["init", "-o", str(out), "--name", "gw-outage", *FLAGS]) == 0
    printed = capsys.readouterr().out
    for variable in (
        "CHAOS_TARGET_PORT",
        "CHAOS_PROVIDERS",
        "CHAOS_PROVIDER_PRIMARY_EU_URL",
        "CHAOS_PROVIDER_PRIMARY_EU_MODEL",
        "CHAOS_PROVIDER_BACKUP_URL",
        "CHAOS_PROVIDER_BACKUP_API_KEY",
    ):
        assert variable in printed
        assert f"#   {variable}" in out.read_text()  # the checklist heads the file too
    assert "x-upstream response header" in printed
    assert main(["validate", str(out)]) == 0
    assert main(["plan", str(out)]) == 0
    plan = capsys.readouterr().out
    assert "gw-outage" in plan
    assert "cannot pass" not in plan
    assert "warning" not in plan
    text = out.read_text()
    assert 'start: ["node", "gw.js", "--port", "{port}", "--upstream", "{provider.primary-eu.url}"]' in text
    assert "{served_by: backup, during: primary-503, at_least: 90%}" in text


def test_init_writes_nothing_that_would_not_validate(tmp_path: Path, capsys) -> None:
    out = tmp_path / "gw.yaml"
    flags = [*FLAGS[:1], "node gw.js --upstream {provider.primary.url}", *FLAGS[2:]]  # no provider named primary
    assert main(["init", "-o", str(out), *flags]) == 2
    err = capsys.readouterr().err
    assert f"{out} not written" in err
    assert "target.start[3]: {provider.primary.url} is not a value this run sets" in err
    assert 'did you mean "{provider.primary-eu.url}"?' in err
    assert not out.exists()


def test_init_refuses_to_overwrite_and_to_guess_the_target(tmp_path: Path, capsys) -> None:
    out = tmp_path / "gw.yaml"
    out.write_text("mine\n")
    assert main(["init", "-o", str(out), "--url", "http://127.0.0.1:4000"]) == 2
    assert f"{out} exists" in capsys.readouterr().err
    assert out.read_text() == "mine\n"
    assert main(["init", "-o", str(tmp_path / "other.yaml")]) == 2  # stdin is not a terminal here
    assert "give --start CMD" in capsys.readouterr().err
    assert main(["init", "-o", str(tmp_path / "x.yaml"), "--url", "http://h", "--providers", "primary=grpc:m"]) == 2
    assert "the api is openai or anthropic" in capsys.readouterr().err
    assert not (tmp_path / "x.yaml").exists()


def test_init_asks_on_a_terminal(tmp_path: Path) -> None:
    primary, replica = os.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "chaos", "init", "-o", "asked.yaml"],
            stdin=replica,
            stdout=replica,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        answers = ["python -m chaos.demo.gateway", "asked", "openai", "header:x-served-by", ""]
        for answer in answers:  # the last takes the default providers
            os.write(primary, (answer + "\n").encode())
            time.sleep(0.1)
        assert process.wait(timeout=30) == 0
    finally:
        os.close(primary)
        os.close(replica)
    text = (tmp_path / "asked.yaml").read_text()
    assert 'start: ["python", "-m", "chaos.demo.gateway"]' in text
    assert "name: asked" in text
    assert 'served_by: {header: "x-served-by"}' in text
    assert main(["validate", str(tmp_path / "asked.yaml")]) == 0
