"""What a scenario's load should produce, estimated before anything runs.

A closed-loop user sends a request, waits for its answer, thinks (``load.wait``), and
sends the next; so ``n`` users make ``n / (mean response time + mean wait)`` requests a
second. The response time is that of the provider serving, from its latency profile: its
TTFT plus the answer's tokens at its token pace (``max_tokens`` for chat, a short answer
for an eval question), weighted by the traffic mix.

Who serves changes during a fault. The plan assumes the gateway does what the scenario
expects of it: a provider that a fault makes fail, hang, cut its streams, answer too
slowly or wrongly, or refuse connections is avoided, and the next provider in the
fallback order serves instead; a partial fault (a rate, a ramp, a flap) moves its share
of the traffic. When every provider is out, the gateway answers at once (a cached or
canned answer, or an error), so users cycle on their think time alone. Faults that only
inflate an answer or slow the bytes (bandwidth, slicer, slow close) change nobody.

Two of the gateway's own times shape a fault's traffic, and the plan assumes typical
values, since nothing in a scenario states them. A provider that turns slow or silent
(a hang, a first token or network latency beyond ``FAILOVER_AFTER``) is given up only
after the gateway's first-token timeout: at each such onset, the users whose requests
went to it wait that long, and start nothing meanwhile; those already waiting for an
answer wait out the network latency, or, for a stream already answering when its
provider falls silent, the gateway's stall timeout (``STALL_AFTER``). A slower provider
still under ``FAILOVER_AFTER`` keeps its traffic and adds its delay. A quota (``rate_limit: {rpm}``) keeps
traffic away for up to a minute after it is lifted: the Retry-After of a per-minute
quota.

Requests are counted by when they start. Measured against the runs of the library
(``tests/library/test_matrix.py``), the estimate holds within 10% per judged span.
"""

from __future__ import annotations

from chaos.kinds import RequestKind
from chaos.scenario.faults import (
    BandwidthToxic,
    Container,
    Fault,
    FaultSpec,
    Hang,
    LatencyToxic,
    RateLimit,
    SlicerToxic,
    SlowCloseToxic,
    SlowFirstToken,
    SlowTokens,
    TimeoutToxic,
    TokenInflation,
    Toxic,
)
from chaos.scenario.model import Load, Provider, Scenario
from chaos.scenario.timeline import FaultStep, fault_steps

_STEP = 0.25  # integration step (s) of the users-over-time curve
EVAL_ANSWER_TOKENS = 2  # an eval set's answers are a word or two
FAILOVER_AFTER = 2.0  # s a gateway waits on a slow or silent provider (the demo gateway's first-token timeout)
STALL_AFTER = 5.0  # s a gateway waits on a stream that fell silent (the demo gateway's stall timeout)
QUOTA_RETRY_AFTER = 60.0  # s the Retry-After of a per-minute quota can reach
_UNCHANGED = (TokenInflation, SlowTokens, BandwidthToxic, SlicerToxic, SlowCloseToxic, Container)


def response_time(provider: Provider, max_tokens: int) -> float:
    latency = provider.latency
    streaming = max_tokens / latency.tokens_per_s if latency.tokens_per_s > 0 else 0.0
    return latency.ttft + streaming


def mean_response(provider: Provider, load: Load) -> float:
    """A request's mean response time from ``provider``, over the traffic mix."""
    answer = response_time(provider, load.max_tokens)
    evals = load.mix.share(RequestKind.EVAL)
    return (1 - evals) * answer + evals * response_time(provider, EVAL_ANSWER_TOKENS)


def expected_p99(scenario: Scenario) -> float:
    """A generous p99: the slowest provider, at the top of its jitter."""
    slowest = max(
        response_time(provider, scenario.load.max_tokens) + provider.latency.jitter
        for provider in scenario.providers.values()
    )
    return slowest


def stop_grace(scenario: Scenario) -> float:
    """The stop grace: as written, or 1.5x the expected p99 (at least 1 s, at most the client timeout)."""
    load = scenario.load
    if load.stop_grace is not None:
        return load.stop_grace
    return min(load.client_timeout, max(1.0, 1.5 * expected_p99(scenario)))


def primary(scenario: Scenario) -> Provider:
    return next(iter(scenario.providers.values()))


def mean_wait(load: Load) -> float:
    return (load.wait.min + load.wait.max) / 2


class Estimator:
    """Requests a run of ``scenario`` should start, over time; faults as the module says."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        load = scenario.load
        self._steps = {fault.name: fault_steps(fault, load.duration) for fault in scenario.faults}
        self._healthy_cycle = mean_response(primary(scenario), load) + mean_wait(load)
        # Where users wait out a slow or silent provider: (from, until, provider, share of its traffic)
        self._stalls = [
            (
                step.offset,
                step.offset + self._stall(fault.target_provider, step),
                fault.target_provider,
                _moved(step.spec),
            )
            for fault in scenario.faults
            if fault.target_provider is not None
            for step in _onsets(self._steps[fault.name])
            if (_wait(step.spec) or 0.0) > FAILOVER_AFTER
        ]

    def serving(self, offset: float) -> dict[str | None, float]:
        """Share of requests each provider serves at ``offset`` (None: nobody, answered at once)."""
        shares: dict[str | None, float] = {}
        remaining = 1.0
        for name in self.scenario.providers:
            out = max((self._out(fault, offset) for fault in self._faults_on(name)), default=0.0)
            shares[name] = remaining * (1 - out)
            remaining *= out
        shares[None] = remaining
        return shares

    def response(self, offset: float) -> float:
        """Mean response time at ``offset``, whoever serves (a provider slowed short of a failover adds its delay)."""
        providers, load = self.scenario.providers, self.scenario.load
        return sum(
            share * (mean_response(providers[name], load) + self._delay(name, offset))
            for name, share in self.serving(offset).items()
            if name is not None
        )

    def cycle(self, offset: float) -> float:
        """Seconds one user takes per request at ``offset``: the response plus the mean wait."""
        return self.response(offset) + mean_wait(self.scenario.load)

    def rate(self, offset: float) -> float:
        """Requests a second started at ``offset`` (none once the load has stopped)."""
        if offset >= self.scenario.load.duration:
            return 0.0
        cycle = self.cycle(offset)
        rate = users_at(self.scenario.load, offset) / cycle if cycle > 0 else 0.0
        for start, until, provider, moved in self._stalls:
            if start <= offset < until:
                rate *= 1 - moved * self.serving(start - 1e-6).get(provider, 0.0)
        return rate

    def in_flight(self, offset: float) -> float:
        """Requests under way at ``offset`` (each user spends response / cycle of its time waiting for one)."""
        cycle = self.cycle(offset)
        return users_at(self.scenario.load, offset) * self.response(offset) / cycle if cycle > 0 else 0.0

    def requests_between(self, start: float, end: float) -> float:
        """Expected requests started in ``[start, end)``."""
        total, offset = 0.0, start
        while offset < end - 1e-9:
            step = min(_STEP, end - offset)
            total += self.rate(offset + step / 2) * step
            offset += step
        return total

    @property
    def healthy_rate(self) -> float:
        """Requests a second of the full load with the primary serving."""
        return self.scenario.load.users / self._healthy_cycle if self._healthy_cycle > 0 else 0.0

    def _faults_on(self, provider: str) -> list[Fault]:
        return [fault for fault in self.scenario.faults if fault.target_provider == provider]

    def _out(self, fault: Fault, offset: float) -> float:
        """The share of a provider's traffic ``fault`` moves elsewhere at ``offset``."""
        steps = self._steps[fault.name]
        step = _in_force(steps, offset)
        if step is None:
            restore = steps[-1]
            lifted = offset - restore.offset
            if isinstance(restore.spec, RateLimit) and restore.spec.rpm is not None and 0 <= lifted < QUOTA_RETRY_AFTER:
                return self._quota_share(restore.spec.rpm)
            return 0.0
        spec = step.spec
        if isinstance(spec, _UNCHANGED):
            return 0.0
        if isinstance(spec, RateLimit) and (spec.rpm is not None or spec.tpm is not None):
            # A token quota is too dependent on prompts to estimate.
            return self._quota_share(spec.rpm) if spec.rpm is not None else 0.0
        wait = _wait(spec)
        if wait is not None and wait <= FAILOVER_AFTER:
            return 0.0  # slower, but not slow enough to be given up
        return _moved(spec)

    def _stall(self, provider: str, onset: FaultStep) -> float:
        """How long, on average, a user of ``provider`` waits at a slow or silent ``onset``."""
        load = self.scenario.load
        answering = self.scenario.providers[provider]
        before = onset.offset - 1e-6
        busy = self.response(before) / self.cycle(before)  # share of users waiting for an answer
        spec = onset.spec
        if isinstance(spec, LatencyToxic):
            in_flight = spec.latency  # every chunk of an answer under way arrives that much later
        elif isinstance(spec, Hang | TimeoutToxic):
            # Streams already answering cannot move: they end when the gateway gives up on them.
            answer = response_time(answering, load.max_tokens)
            streaming = (answer - answering.latency.ttft) / answer if answer > 0 else 0.0
            mid_stream = load.mix.share(RequestKind.CHAT_STREAM) * streaming
            in_flight = mid_stream * STALL_AFTER + (1 - mid_stream) * FAILOVER_AFTER
        else:
            in_flight = FAILOVER_AFTER  # answers under way are not slowed; the next request waits
        return (1 - busy) * FAILOVER_AFTER + busy * in_flight

    def _quota_share(self, rpm: int) -> float:
        """The provider serves its quota; the rest moves on."""
        return max(0.0, 1 - rpm / 60 / self.healthy_rate) if self.healthy_rate > 0 else 0.0

    def _delay(self, provider: str, offset: float) -> float:
        """The delay added to a provider's answers by faults too short for a failover."""
        delay = 0.0
        for fault in self._faults_on(provider):
            step = _in_force(self._steps[fault.name], offset)
            wait = _wait(step.spec) if step is not None else None
            if step is not None and wait is not None and wait <= FAILOVER_AFTER:
                delay += wait * _moved(step.spec)
        return delay


def _moved(spec: FaultSpec) -> float:
    """The share of requests (or connections) a fault affects."""
    if isinstance(spec, Toxic):
        return spec.toxicity
    return float(getattr(spec, "rate", 1.0))  # a disabled proxy has no rate: every connection


def _wait(spec: FaultSpec) -> float | None:
    """How long a fault keeps a provider's answer waiting (inf: for ever), or None."""
    if isinstance(spec, Hang):
        return float("inf")
    if isinstance(spec, TimeoutToxic):
        return spec.timeout or float("inf")
    if isinstance(spec, SlowFirstToken):
        return spec.delay
    if isinstance(spec, LatencyToxic):
        return spec.latency
    return None


def _onsets(steps: list[FaultStep]) -> list[FaultStep]:
    """The steps at which a fault becomes active (its injection, and each flap back on)."""
    onsets, active = [], False
    for step in steps:
        if step.active and not active:
            onsets.append(step)
        active = step.active
    return onsets


def _in_force(steps: list[FaultStep], offset: float) -> FaultStep | None:
    """The step in force at ``offset``, or None outside the fault's window."""
    current = None
    for step in steps:
        if step.offset > offset:
            break
        current = step
    if current is None or not current.active:
        return None  # before the window, after the restore, or a flap's quiet period
    return current


def users_at(load: Load, offset: float) -> float:
    """Users running at ``offset``, ramping at the spawn rate towards each target."""
    if load.shape is None:
        return min(float(load.users), load.spawn_rate * offset)
    if load.shape.bursts is not None:
        bursts = load.shape.bursts
        base = min(float(load.users), load.spawn_rate * offset)
        return float(bursts.users) if bursts.active(offset) else base
    stages = load.shape.stages or []
    users, previous_end = 0.0, 0.0
    for stage in stages:
        ramp_end = previous_end + abs(stage.users - users) / stage.spawn_rate
        if offset < stage.until:
            if offset >= ramp_end:
                return float(stage.users)
            direction = 1 if stage.users >= users else -1
            return users + direction * stage.spawn_rate * (offset - previous_end)
        users, previous_end = float(stage.users), stage.until
    return 0.0


def requests_of_kind(scenario: Scenario, requests: float, kind: RequestKind) -> float:
    return requests * scenario.load.mix.share(kind)
