"""What the parts of one run share: where things are, what is running, what happened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chaos.containers import Engine
from chaos.load.config import LoadConfig, RemoteWorkers
from chaos.providers.admin_client import AdminClient
from chaos.run.canary import CanaryRun
from chaos.run.collect import Collector
from chaos.run.lease import RunLease
from chaos.run.timeline import FaultTimeline
from chaos.rundir import RunDir
from chaos.scenario.loading import ScenarioFile
from chaos.slo.live import LiveSummary
from chaos.slo.results import AbortDecision
from chaos.stack.endpoints import Endpoints
from chaos.stack.processes import Child
from chaos.toxiproxy.client import ToxiproxyClient


@dataclass(frozen=True)
class LiveStatus:
    """What the live view shows each second."""

    elapsed: float
    total: float
    segment: str
    active: tuple[str, ...]
    summary: LiveSummary | None


Watch = Callable[[LiveStatus], None]


@dataclass(frozen=True)
class Stack:
    """The environment a run acts on, and the processes it started (none in staging)."""

    endpoints: Endpoints
    admin: AdminClient
    toxiproxy: ToxiproxyClient
    children: list[Child]
    engine: Engine | None = None  # the Docker engine, when the scenario has container faults
    otlp_endpoint: str | None = None  # the run's OTLP/HTTP receiver, when the scenario checks traces


@dataclass
class RunState:
    """What cleanup and the verdict need to know, however far the run got."""

    load: Child | None = None
    load_config: LoadConfig | None = None
    timeline: FaultTimeline | None = None
    t0: float | None = None
    aborted: AbortDecision | None = None
    gate_failed: bool = False
    winding_down: bool = False  # restoring and stopping: a signal must not cut that short
    disabled_proxies: set[str] = field(default_factory=set)
    touched_containers: set[str] = field(default_factory=set)  # listed in the lease until brought back
    canary: CanaryRun | None = None  # the scenario's change plan, once the load started


@dataclass(frozen=True)
class RunContext:
    loaded: ScenarioFile
    run_dir: RunDir
    run_id: str
    stack: Stack
    collector: Collector
    state: RunState
    watch: Watch
    lease: RunLease
    workers: RemoteWorkers | None = None  # the load split over remote Locust workers (chaos run --workers)
