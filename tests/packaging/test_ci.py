"""What users are told to type is what CI types: the README's Quick start and the LiteLLM
walkthrough are followed by .ci/run command by command, as written."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / ".ci" / "run"


def followed(markdown: str) -> list[str]:
    """The commands .ci/run's ``follow`` runs for a Markdown file, by running its own code."""
    script = CI.read_text()
    function = script[script.index("follow() {") : script.index("\n}\n", script.index("follow() {")) + 3]
    shim = function.replace('bash -c "$command" </dev/null', ":")
    result = subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n{shim}\nfollow {markdown}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.removeprefix("+ ").removesuffix(f" ({markdown})") for line in result.stdout.splitlines()]


def test_ci_follows_the_quick_start_as_written() -> None:
    assert followed("README.md") == ["make demo", "make test"]
    assert "\nfollow README.md\n" in CI.read_text()


def test_ci_follows_the_litellm_walkthrough_as_written() -> None:
    assert followed("examples/litellm/README.md") == [
        "make litellm",
        ".venv-litellm/bin/chaos run examples/litellm/provider-outage.yaml",
    ]
    assert "\nfollow examples/litellm/README.md\n" in CI.read_text()
