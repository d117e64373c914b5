"""The load's defaults and mix as a scenario writes them, and one rule for users over time."""

from pathlib import Path

import pytest

from chaos.errors import ScenarioError
from chaos.kinds import RequestKind
from chaos.load.config import ShapeConfig
from chaos.scenario import estimate
from chaos.scenario.loading import scenario_from_text
from chaos.scenario.traffic import Bursts, Shape

VALID = Path(__file__).parent / "valid"
HEAD = """\
version: 1
name: mine
target: {start: [python, -m, app]}
providers: {primary: {api: openai, model: m}}
slos: {availability: {objective: 99%}}
"""


def load_of(load: str):
    return scenario_from_text(HEAD + load, VALID / "inline.yaml").scenario.load


def mix_of(load: str) -> tuple[float, float, float]:
    mix = load_of(load).mix
    return mix.share(RequestKind.CHAT_STREAM), mix.share(RequestKind.CHAT), mix.share(RequestKind.EVAL)


def test_the_kinds_a_mix_writes_are_the_whole_mix():
    assert mix_of("load: {users: 5, duration: 1m, mix: {chat_stream: 50%, chat: 50%}}") == (0.5, 0.5, 0.0)
    assert mix_of("load: {users: 5, duration: 1m, mix: {chat: 100%}}") == (0.0, 1.0, 0.0)


def test_the_default_mix_sends_evals_only_when_there_is_an_eval_set():
    assert mix_of("load: {users: 5, duration: 1m}") == (0.7, 0.3, 0.0)
    assert mix_of("load: {users: 5, duration: 1m, eval_set: evals.jsonl}") == (0.6, 0.3, 0.1)


def test_a_mix_short_of_100_percent_says_which_kinds_it_left_out():
    with pytest.raises(ScenarioError) as info:
        load_of("load: {users: 5, duration: 1m, mix: {chat_stream: 70%, chat: 20%}}")
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (6, "load.mix")
    assert problem.message == "the mix must add up to 100%, it adds up to 90%; a kind not written gets none (eval)"


def test_users_start_at_ten_a_second_unless_told_and_the_ramp_up_is_not_judged():
    load = load_of("load: {users: 30, duration: 1m}")
    assert (load.spawn_rate, load.ramp_up, load.judged_from) == (10, 3, 13)


def test_the_plan_and_the_load_agree_when_a_burst_is_on():
    load = load_of("load: {users: 2, spawn_rate: 1, duration: 1m, shape: {bursts: {every: 10s, for: 3s, users: 9}}}")
    assert load.shape == Shape(bursts=Bursts(every=10, length=3, users=9))
    shape = ShapeConfig(users=2, spawn_rate=1, duration=60, shape=load.shape)
    offsets = [t / 4 for t in range(240)]
    planned = [t for t in offsets if estimate.users_at(load, t) == 9]
    driven = [t for t in offsets if shape.target(t)[0] == 9]
    assert planned == driven
    assert planned[:3] == [10.0, 10.25, 10.5]
    assert 13.0 not in planned
