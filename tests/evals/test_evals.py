"""Eval sets load with located errors, and each match rule judges answers as documented."""

from pathlib import Path

import pytest

from chaos.errors import ChaosError
from chaos.evals import EvalCase, load_eval_set

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_eval_set_loads():
    evals = load_eval_set(ROOT / "scenarios" / "evals" / "general.jsonl")
    assert len(evals) == 40
    item = evals.by_id("capital-france")
    assert item is not None
    assert evals.find(item.prompt + "  ") is item
    assert all(case.judge(case.right_answer) and not case.judge(case.wrong_answer()) for case in evals.cases)


@pytest.mark.parametrize(
    ("match", "expected", "answer", "right"),
    [
        ("exact", "Paris", " Paris\n", True),
        ("exact", "Paris", "Paris.", False),
        ("contains", "Shakespeare", "William Shakespeare wrote it.", True),
        ("contains", "Shakespeare", "Marlowe", False),
        ("regex", "^101$", "101", True),
        ("regex", "(?i)^(0x)?ff$", "0xFF", True),
        ("regex", "^101$", "1010", False),
    ],
)
def test_match_rules(match, expected, answer, right):
    answer_field = {"answer": answer} if match == "regex" and right else {}
    if match == "regex" and not right:
        answer_field = {"answer": {"^101$": "101", "(?i)^(0x)?ff$": "ff"}[expected]}
    assert EvalCase(id="x", prompt="p", expected=expected, match=match, **answer_field).judge(answer) is right


EXACT = '"expected": "e", "match": "exact"'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "a", "prompt": "p", ' + EXACT + "}\nnot json\n", ":2: not a JSON object"),
        ('{"id": "a", "prompt": "p", "match": "exact"}\n', ":1: expected: Field required"),
        ('{"id": "a", "prompt": "p", "expected": "(", "match": "regex"}\n', "expected is not a valid regex"),
        ('{"id": "a", "prompt": "p", "expected": "x", "match": "regex"}\n', "a regex eval needs answer:"),
        (
            '{"id": "a", "prompt": "p", ' + EXACT + '}\n{"id": "a", "prompt": "q", ' + EXACT + "}\n",
            ":2: id: duplicate id 'a'",
        ),
        ("\n\n", "has no cases"),
        ('{"id": "a", "prompt": "p", "expected": "e", "match": "fuzzy"}\n', ":1: match: Input should be"),
    ],
)
def test_bad_eval_sets_are_located(tmp_path, content, message):
    path = tmp_path / "e.jsonl"
    path.write_text(content)
    with pytest.raises(ChaosError) as info:
        load_eval_set(path)
    assert message in info.value.message
    assert info.value.message.startswith(str(path))


def test_missing_eval_set(tmp_path):
    with pytest.raises(ChaosError, match="cannot read the eval set"):
        load_eval_set(tmp_path / "none.jsonl")
