"""``pytest --chaos-report PATH``: one page of what the session exercised, the findings its
tests' providers showed (whether or not a test asserted on them), as HTML or Markdown."""

from __future__ import annotations

import re

import pytest

pytest_plugins = ("pytester",)

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
SESSION = """
import openai

def test_retries_at_once(chaos_providers):
    chaos_providers["openai"].fault(rate_limit={"retry_after": "2s"}, times=2)
    with openai.OpenAI(max_retries=0) as client:
        for _ in range(3):
            try:
                client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "hi"}], extra_headers={"x-request-id": "req-1"}
                )
            except openai.RateLimitError:
                pass

def test_slows_the_network(chaos_toxiproxy):
    with chaos_toxiproxy["anthropic"].fault(toxic="latency", latency="100ms"):
        pass
"""


def test_the_html_report_lists_faults_by_kind_and_the_findings_no_test_asserted(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_session=SESSION)
    report = pytester.path / "out" / "chaos.html"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--chaos-report={report}")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"chaos report: {report}"])
    page = report.read_text()
    assert page.startswith("<!doctype html>")
    assert "2 faults of 2 kinds injected in 2 tests; 2 client findings" in page
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", page, re.DOTALL)]
    assert cells[cells.index("rate_limit") : cells.index("rate_limit") + 4] == [
        "rate_limit",
        "1",
        "1",
        "{&#34;retry_after&#34;: &#34;2s&#34;}, times=2",
    ]
    assert cells[cells.index("network") : cells.index("network") + 3] == ["network", "1", "1"]
    assert "test_session.py::test_retries_at_once" in cells
    assert {"no_backoff", "retry_after_ignored"} <= set(cells)
    assert "req-1" in cells
    assert "pytest --chaos-report" in page  # its own footer, not a run report's


def test_without_the_option_nothing_is_written(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_session=SESSION)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert "chaos report" not in result.stdout.str()
    assert list(pytester.path.glob("**/*.html")) == []
    assert list(pytester.path.glob("**/*.md")) == []
