"""What the load sends and when: the traffic mix, think time, and users over time.

One definition for the scenario (``load:`` in a scenario file) and for the load process
(``chaos.load.config``), which carries these models as they were validated. Light on
purpose: the load process imports this module, never the rest of the scenario language.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from chaos.kinds import RequestKind
from chaos.scenario.base import MAX_SPAWN_RATE, MAX_USERS, MIN_SPAWN_RATE, Strict
from chaos.scenario.units import Duration, Percent, format_percent


class Mix(Strict):
    """The share of each kind of request; the kinds written are the mix and add up to 100%.

    A kind not written gets none, so ``{chat_stream: 50%, chat: 50%}`` sends no evals.
    """

    chat_stream: Percent = Field(0.0, description="Streamed chat requests (TTFT is measured on these).")
    chat: Percent = Field(0.0, description="Chat requests answered in one piece.")
    eval: Percent = Field(0.0, description="Eval prompts from load.eval_set, each answer judged right or wrong.")

    @model_validator(mode="after")
    def _adds_up(self) -> Mix:
        total = self.chat_stream + self.chat + self.eval
        if abs(total - 1) > 1e-6:
            unwritten = [kind.value for kind in RequestKind if kind.value not in self.model_fields_set]
            note = f"; a kind not written gets none ({', '.join(unwritten)})" if unwritten and total < 1 else ""
            raise ValueError(f"the mix must add up to 100%, it adds up to {format_percent(total)}{note}")
        return self

    def share(self, kind: RequestKind) -> float:
        return self.weights()[kind]

    def weights(self) -> dict[RequestKind, float]:
        return {RequestKind.CHAT_STREAM: self.chat_stream, RequestKind.CHAT: self.chat, RequestKind.EVAL: self.eval}


# Without an eval set there is nothing to send as evals; with one, a tenth of the traffic
# keeps answer quality in view without starving the latency SLOs of streamed requests.
CHAT_MIX = Mix(chat_stream=0.7, chat=0.3)
CHAT_AND_EVAL_MIX = Mix(chat_stream=0.6, chat=0.3, eval=0.1)


class Wait(Strict):
    """Think time each user waits between requests, uniform in [min, max]; or, with
    ``every``, a fixed pace: each user starts a request every ``every`` seconds (Locust's
    ``constant_throughput``), whatever the target's latency while a request takes less."""

    min: Duration = 0.5
    max: Duration = 1.5
    every: Duration | None = Field(
        None,
        gt=0,
        description="Instead of a think time: a request every this often per user (at least load.client_timeout "
        "makes the arrivals open-model: chaos capacity probe uses it).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Wait:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Stage(Strict):
    until: Duration = Field(gt=0, description="Offset at which this stage ends.")
    users: int = Field(ge=0, le=MAX_USERS)
    spawn_rate: float = Field(ge=MIN_SPAWN_RATE, le=MAX_SPAWN_RATE)


class Bursts(Strict):
    every: Duration = Field(gt=0)
    length: Duration = Field(alias="for", gt=0)
    users: int = Field(ge=1, le=MAX_USERS, description="Users during a burst (instead of load.users).")
    spawn_rate: float | None = Field(None, ge=MIN_SPAWN_RATE, le=MAX_SPAWN_RATE)

    @model_validator(mode="after")
    def _fits(self) -> Bursts:
        if self.length >= self.every:
            raise ValueError("a burst must be shorter than its period (for < every)")
        return self

    def active(self, offset: float) -> bool:
        """Whether a burst is on ``offset`` seconds into the load: for ``for`` from the start of
        every period but the first (the first burst comes one period in)."""
        return offset >= self.every and offset % self.every < self.length


class Shape(Strict):
    """Users over time other than constant: stages, or bursts over the constant load."""

    stages: list[Stage] | None = Field(None, min_length=1)
    bursts: Bursts | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Shape:
        if (self.stages is None) == (self.bursts is None):
            raise ValueError("give exactly one of stages or bursts")
        if self.stages is not None:
            ends = [stage.until for stage in self.stages]
            if ends != sorted(ends) or len(set(ends)) != len(ends):
                raise ValueError("stages must be in increasing order of until")
        return self


def target_users(shape: Shape | None, users: int, spawn_rate: float, elapsed: float) -> tuple[int, float]:
    """Users and spawn rate to aim for ``elapsed`` seconds into the load (what Locust's shape ticks).

    Constant: ``users`` at ``spawn_rate``. Stages: the first stage not yet over, and no
    user after the last. Bursts: the burst's users while one is on, the constant otherwise.
    """
    if shape is not None and shape.stages is not None:
        for stage in shape.stages:
            if elapsed < stage.until:
                return stage.users, stage.spawn_rate
        return 0, shape.stages[-1].spawn_rate
    bursts = shape.bursts if shape is not None else None
    if bursts is not None and bursts.active(elapsed):
        return bursts.users, bursts.spawn_rate or spawn_rate
    return users, spawn_rate
