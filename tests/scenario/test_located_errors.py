"""Every invalid example under invalid/ produces exactly the located problems its header
lists (``# expect: LINE:COL: path: message`` where the message is a prefix)."""

import re
from pathlib import Path

import pytest

from chaos.errors import ScenarioError
from chaos.scenario.loading import load_scenario

INVALID = Path(__file__).parent / "invalid"
EXPECT = re.compile(r"^# expect: (?:(\d+):(\d+): )?(?:([\w.\[\]-]+): )?(.*)$")


def expectations(path: Path) -> list[tuple[int | None, int | None, str, str]]:
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = EXPECT.match(line)
        if match:
            line_no, column, where, message = match.groups()
            found.append((int(line_no) if line_no else None, int(column) if column else None, where or "", message))
    return found


@pytest.mark.parametrize("path", sorted(INVALID.glob("*.yaml")), ids=lambda p: p.stem)
def test_invalid_example_reports_exactly_its_expected_problems(path):
    expected = expectations(path)
    assert expected, f"{path.name} lists no '# expect:' lines"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    got = [(p.line, p.column, p.path, p.message) for p in problems]
    for line, column, where, message in expected:
        assert any(
            (p.line, p.column, p.path) == (line, column, where) and p.message.startswith(message) for p in problems
        ), f"missing {line}:{column}: {where}: {message}\ngot: {got}"
    assert len(problems) == len(expected), f"unexpected extra problems: {got}"
    assert all(p.source == str(path) for p in problems)
