"""Whatever a scenario file holds, `chaos validate` answers with exit 0 or 2, and on 2 with
located problems: never a traceback, never another exit code."""

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaos.cli import main

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "scenarios" / "provider-outage.yaml").read_text(encoding="utf-8")
SEED_LINES = SEED.splitlines()
JUNK = [
    "",
    ":",
    "- ",
    "{",
    "}",
    "[",
    "]",
    "&a",
    "*a",
    "!!python/object:os.system",
    "~",
    "0x",
    "1e999",
    "\t",
    "'",
    '"',
    "%",
    "${",
    "\x00",
    "é",
    "-1s",
    "999999999999999999999",
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("fuzz")
    # Files the seed scenario refers to, so that mutations are judged on what changed.
    (directory / "evals").mkdir()
    (directory / "evals" / "general.jsonl").write_text(
        '{"id": "a", "prompt": "p", "expected": "e", "match": "exact"}\n'
    )
    return directory


def run_validate(path: Path) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["validate", str(path)])
    return code, err.getvalue()


def assert_answered(path: Path, code: int, err: str) -> None:
    assert "Traceback" not in err
    assert code in (0, 2), err
    if code == 2:
        lines = [line for line in err.splitlines() if line]
        assert lines[-1].endswith(f"in {path}"), err
        location = re.compile(rf"^{re.escape(str(path))}(:\d+:\d+)?: ")
        problems = lines[:-1]
        assert problems, err
        assert all(location.match(line) or line.startswith("--set") for line in problems), err


mutation = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, len(SEED_LINES) - 1), st.just("")),
    st.tuples(st.just("duplicate"), st.integers(0, len(SEED_LINES) - 1), st.just("")),
    st.tuples(
        st.just("replace-value"), st.integers(0, len(SEED_LINES) - 1), st.sampled_from(JUNK) | st.text(max_size=12)
    ),
    st.tuples(st.just("insert"), st.integers(0, len(SEED_LINES) - 1), st.text(max_size=30)),
    st.tuples(st.just("indent"), st.integers(0, len(SEED_LINES) - 1), st.sampled_from(["  ", "\t", " "])),
)


def mutate(lines: list[str], edits) -> str:
    lines = list(lines)
    for kind, position, text in edits:
        index = position % max(len(lines), 1)
        if not lines:
            lines = [text]
        elif kind == "delete":
            del lines[index]
        elif kind == "duplicate":
            lines.insert(index, lines[index])
        elif kind == "replace-value":
            head, sep, _ = lines[index].partition(": ")
            lines[index] = head + sep + text if sep else text
        elif kind == "insert":
            lines.insert(index, text)
        else:
            lines[index] = text + lines[index]
    return "\n".join(lines) + "\n"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(edits=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_scenarios_are_answered_with_located_problems(workdir, edits):
    path = workdir / "mutated.yaml"
    path.write_text(mutate(SEED_LINES, edits), encoding="utf-8", errors="surrogatepass")
    code, err = run_validate(path)
    assert_answered(path, code, err)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25,
)
seed_keys = st.sampled_from(
    [
        "version",
        "name",
        "target",
        "providers",
        "load",
        "faults",
        "slos",
        "expect",
        "abort",
        "alerts",
        "environment",
        "stack",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.one_of(yaml_values, st.dictionaries(seed_keys, yaml_values, max_size=8)))
def test_random_yaml_documents_are_answered(workdir, document):
    path = workdir / "random.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    code, err = run_validate(path)
    assert code == 2
    assert_answered(path, code, err)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=400))
def test_random_bytes_are_answered(workdir, raw):
    path = workdir / "bytes.yaml"
    path.write_bytes(raw)
    code, err = run_validate(path)
    assert code == 2
    assert_answered(path, code, err)


def validate_in_a_process(path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "chaos", "validate", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


HOSTILE = {
    "deep.yaml": "a: " + "[" * 2000 + "]" * 2000 + "\n",
    "bomb.yaml": "a: &a [x,x,x,x,x,x,x,x,x]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)),
    "junk.yaml": "\x00\x01\x02 binary",
    "list.yaml": "- 1\n- 2\n",
    "scalar.yaml": "just a string\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_through_a_real_process(tmp_path, name):
    path = tmp_path / name
    path.write_text(HOSTILE[name], encoding="utf-8")
    result = validate_in_a_process(path)
    assert result.returncode == 2
    assert_answered(path, result.returncode, result.stderr)


def test_huge_file_through_a_real_process(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("a: " + "x" * (2 * 1024 * 1024) + "\n", encoding="utf-8")
    result = validate_in_a_process(path)
    assert result.returncode == 2
    assert f"{path}: larger than 1024 KiB" in result.stderr
