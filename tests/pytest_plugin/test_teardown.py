"""What the unit-level fixtures leave behind, in a real pytest process: no fault after a
failed test, no environment variable after the test, and no process or port after a
session that was interrupted or killed. And what they never import: Locust, gevent."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"


def refused(url: str) -> bool:
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((host, int(port))) != 0


def test_a_failed_test_leaves_no_fault_and_no_variable_to_the_next(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.example.invalid/v1")
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import os
        import openai

        def test_a_fails_with_its_faults_on(chaos_providers, chaos_toxiproxy):
            chaos_providers["openai"].fault(http_error={"status": 503})
            chaos_toxiproxy["anthropic"].fault(toxic="down")
            assert False, "failing on purpose"

        def test_b_starts_clean(chaos_providers, chaos_toxiproxy):
            assert chaos_providers.active_faults() == []
            assert chaos_providers.calls() == []
            for base_url in (chaos_providers.urls["openai"], chaos_toxiproxy.urls["openai"]):
                with openai.OpenAI(max_retries=0, base_url=base_url) as client:
                    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])

        def test_c_without_the_fixture_sees_its_own_environment():
            assert os.environ["OPENAI_BASE_URL"] == "https://api.example.invalid/v1"
            assert "ANTHROPIC_BASE_URL" not in os.environ
            assert "CHAOS_PROVIDERS" not in os.environ
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, passed=2)
    result.stdout.fnmatch_lines(["*AssertionError: failing on purpose"])


INTERRUPTED = """
import json, os, pathlib, signal

def test_stops_the_session_with_a_fault_on(chaos_providers, chaos_toxiproxy):
    chaos_providers["openai"].fault(hang={})
    chaos_toxiproxy["anthropic"].fault(toxic="latency", latency="5s")
    children = [
        pid
        for task in pathlib.Path("/proc/self/task").iterdir()
        for pid in (task / "children").read_text().split()
    ]
    urls = [*chaos_providers.urls.values(), *chaos_toxiproxy.urls.values()]
    pathlib.Path("seen.json").write_text(json.dumps({"urls": urls, "children": children}))
    HOW
"""


@pytest.mark.parametrize(
    ("how", "exit_code"),
    [("raise KeyboardInterrupt", pytest.ExitCode.INTERRUPTED), ("os.kill(os.getpid(), signal.SIGKILL)", -9)],
    ids=["ctrl-c", "killed"],
)
def test_an_interrupted_or_killed_session_leaves_no_process_and_no_port(
    pytester: pytest.Pytester, how: str, exit_code: int
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(INTERRUPTED.replace("HOW", how))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == exit_code, result.stdout.str()
    seen = json.loads(Path(pytester.path / "seen.json").read_text())
    assert seen["children"] == []  # the providers and Toxiproxy are threads of the test process
    assert len(seen["urls"]) == 4
    assert [url for url in seen["urls"] if not refused(url)] == []


def test_a_unit_level_session_never_imports_locust_or_gevent(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import sys

        def test_uses_the_unit_level(chaos_providers, chaos_toxiproxy):
            with chaos_providers["openai"].fault(http_error={"status": 503}):
                pass
            assert [m for m in sys.modules if m.split(".")[0] in ("locust", "gevent")] == []
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_configuration_the_scenario_language_refuses_fails_the_test_saying_where(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.chaos_providers(primary={"api": "gemini", "model": "m"}, secondary={"api": "openai"})
        def test_bad(chaos_providers):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*chaos_providers: primary.api: Input should be 'openai' or 'anthropic'",
            "*chaos_providers: secondary.model: Field required",
        ]
    )
