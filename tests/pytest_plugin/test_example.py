"""examples/pytest as a team runs it (``pytest`` in a fresh process, the plugin loaded by
its entry point): it passes as written, and fails, saying why, when the app's fallback or
its backoff is taken out; under pytest-xdist each worker has providers of its own."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pytest"
UNIT_FILES = ("assistant.py", "test_assistant.py")
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"


def example(pytester: pytest.Pytester, *, edit: tuple[str, str] | None = None) -> None:
    """The example's app and unit tests in ``pytester.path``; ``edit`` replaces a piece of the
    app's code (which must be there)."""
    pytester.makeini(INI)
    for name in UNIT_FILES:
        text = (EXAMPLE / name).read_text()
        if edit is not None and name == "assistant.py":
            assert edit[0] in text, f"the example no longer has {edit[0]!r}"
            text = text.replace(edit[0], edit[1])
        (pytester.path / name).write_text(text)


def test_the_readme_command_passes_the_example_as_written() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "examples/pytest/test_assistant.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^=+ 5 passed in", done.stdout, re.MULTILINE), done.stdout


def test_without_its_fallback_the_example_fails_saying_which_provider_failed(pytester: pytest.Pytester) -> None:
    example(pytester, edit=('    ("anthropic", _anthropic, _ask_anthropic),\n', ""))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*AllProvidersFailed: openai: Error code: 503 - The service is temporarily unavailable*",
            "*AllProvidersFailed: openai: Error code: 500*",
            "*AllProvidersFailed: openai: the stream ended after * chunks without a finish reason",
        ],
        consecutive=False,
    )


def test_without_its_backoff_the_example_fails_naming_each_finding(pytester: pytest.Pytester) -> None:
    example(pytester, edit=("            time.sleep(_backoff(attempt, exc))\n", "            pass\n"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("failed")) == (1, 4), result.stdout.str()
    output = result.stdout.str()
    rate_limited = output[output.index("test_waits_out_a_rate_limit_instead_of_failing_over ___") :]
    assert re.search(r"E +AssertionError: the app misbehaved towards its providers \(2 client findings", rate_limited)
    assert re.search(r"retry_after_ignored: retried before Retry-After elapsed at openai: 2 times", rate_limited)
    assert re.search(r"shown by request ids: [0-9a-f]{32}", rate_limited)
    assert re.search(r"\+ +0\.000s openai +429 failed fault chaos-pytest-openai-1 retry-after", rate_limited)
    # The failure points at the test's own line, not into the plugin.
    assert ">       chaos_providers.assert_resilient()" in rate_limited
    assert "raise AssertionError" not in output


# Every test of the run records which providers its worker gave it.
RECORD_PORTS = """
import json, os, pytest

@pytest.fixture(autouse=True)
def record_ports(chaos_providers, request):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    out = request.config.rootpath / f"ports-{worker}-{request.node.name}.json"
    out.write_text(json.dumps({"worker": worker, "urls": chaos_providers.urls, "env": os.environ["OPENAI_BASE_URL"]}))
"""


def test_under_xdist_each_worker_has_its_own_providers_and_one_report_holds_them_all(
    pytester: pytest.Pytester,
) -> None:
    example(pytester)
    pytester.makeconftest(RECORD_PORTS)
    pytester.makepyfile(
        test_second_file="""
def test_another_file_for_the_other_worker(chaos_providers):
    with chaos_providers["anthropic"].fault(hang={}) as fault:
        assert fault.active
"""
    )
    report = pytester.path / "chaos-report.md"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile", f"--chaos-report={report}"
    )
    result.assert_outcomes(passed=6)
    seen = [json.loads(path.read_text()) for path in pytester.path.glob("ports-*.json")]
    assert len(seen) == 6
    by_worker = {record["worker"]: set(record["urls"].values()) for record in seen}
    assert sorted(by_worker) == ["gw0", "gw1"], seen
    assert all(len({json.dumps(r["urls"]) for r in seen if r["worker"] == worker}) == 1 for worker in by_worker)
    ports = [re.sub(r"/v1$", "", url).rsplit(":", 1)[1] for urls in by_worker.values() for url in urls]
    assert len(set(ports)) == 4  # two providers a worker, started once each, no port shared
    assert all(record["env"] == record["urls"]["openai"] for record in seen)
    text = report.read_text()
    # The faults of both workers (a file each), in the one report.
    assert "| `http_error` | 3 | 2 |" in text
    assert "| `rate_limit` | 1 | 1 |" in text
    assert "| `stream_cut` | 1 | 1 |" in text
    assert "| `hang` | 1 | 1 |" in text
    assert "| `slow_tokens` | ❔ never exercised | 0 |" in text
    assert "No test's providers showed a client finding." in text
    result.stdout.fnmatch_lines([f"chaos report: {report}"])
