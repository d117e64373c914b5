"""The run record: what happened, every figure, and the versions that produced them.

``journal.json`` in the run directory is written when the run starts, at t = 0 and at
the end, always atomically (a reader never sees half a file), readable by anyone like
the files beside it (0644). It opens with the verdict; every epoch time in it has its
ISO 8601 spelling beside it (``started_at_iso``). The raw files beside it (records,
fault events, ledger, proxy counters) are flushed line by line as things happen, and
the scenario as written is copied there with how the run was started (``scenario.yaml``,
``run.json``), so ``chaos report`` can rebuild a journal from them for a run that was
killed, or whose journal was lost. Secrets stay ``${ENV}`` references: the journal holds
the scenario as written.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from chaos import __version__
from chaos.atomic import write_atomically
from chaos.errors import ChaosError
from chaos.records import FaultEvent, Finding, LedgerRow, ProxyCounters
from chaos.rundir import RunDir
from chaos.scenario.model import Scenario
from chaos.slo.change import ChangeResult
from chaos.slo.results import Evaluation, RunVerdict

SCHEMA_VERSION: Final = 1  # the journal's layout: a reader refuses another one rather than misread it


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"  # the run went to its end, or stopped on an abort rule
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM
    FAILED = "failed"  # the environment broke; the journal says why
    REBUILT = "rebuilt"  # rebuilt from raw files after the run was killed
    NOT_STARTED = "not_started"  # stopped before its load started (the target did not come up, ...): nothing to judge


class ProviderBill(BaseModel):
    """What one provider saw and billed during the run (canary probes apart)."""

    model_config = ConfigDict(extra="forbid")

    requests: int = 0
    statuses: dict[str, int] = Field(default_factory=dict)
    ends: dict[str, int] = Field(
        default_factory=dict, description="Calls by how they ended: completed, client_disconnected, failed."
    )
    faults_applied: dict[str, int] = Field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    canary_requests: int = 0


class FreezeOverride(BaseModel):
    """``chaos run --override-freeze REASON``: why the run started whatever the budget
    freeze said, and what the history said when it started."""

    model_config = ConfigDict(extra="forbid")

    reason: str
    exhausted: list[str] = Field(
        default_factory=list,
        description="The freeze rules the history said were reached (none: no freeze to override).",
    )


class RunStart(BaseModel):
    """``run.json``: how a run was started, written before anything else; with the scenario
    copy beside it, what a journal is rebuilt from when ``journal.json`` was lost."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    scenario_name: str
    scenario_path: str = Field(description="Where the scenario was read (its folder anchors relative paths).")
    overrides: list[str] = Field(default_factory=list, description="--set and target overrides, in order.")
    scale: float = Field(1.0, description="The factor the timeline was scaled by (chaos run --scale).")
    environment: str
    started_at: float
    freeze_override: FreezeOverride | None = Field(None, description="Started with --override-freeze.")


class Rebuilt(BaseModel):
    """How ``chaos report`` rebuilt a journal from the run directory's raw files."""

    model_config = ConfigDict(extra="forbid")

    at: float = Field(description="When (epoch seconds).")
    reason: str
    files: dict[str, int] = Field(description="Each raw file read, and how many records it held.")
    ended_at: float = Field(
        description="Offset at which the judged timeline ended (a killed run's last record, else the stop grace's end)."
    )


class Journal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: RunVerdict | None = Field(None, description="None while the run is going.")
    reason: str | None = None
    exit_code: int | None = None
    status: RunStatus
    schema_version: Literal[1] = SCHEMA_VERSION
    run_id: str
    scenario_name: str
    scenario_path: str
    scenario_text: str = Field(description="The scenario as written (secrets are ${ENV} references).")
    overrides: list[str] = Field(default_factory=list)
    scale: float = Field(1.0, description="The factor the timeline was scaled by (chaos run --scale).")
    environment: str
    started_at: float
    t0: float | None = Field(None, description="Epoch seconds of the start of load: t = 0 of every offset.")
    ended_at: float | None = None
    problems: list[str] = Field(default_factory=list, description="What went wrong with the environment, if anything.")
    versions: dict[str, str]
    endpoints: dict[str, str] = Field(default_factory=dict)
    events: list[FaultEvent] = Field(default_factory=list)
    ledger: dict[str, ProviderBill] = Field(default_factory=dict)
    proxies: list[ProxyCounters] = Field(default_factory=list, description="The last counters of each proxy.")
    findings: list[Finding] = Field(default_factory=list)
    load_summary: dict[str, object] = Field(
        default_factory=dict, description="Locust's own counts, for cross-checking."
    )
    evaluation: Evaluation | None = None
    rebuilt: Rebuilt | None = Field(None, description="Set when chaos report rebuilt this journal from the raw files.")
    change: ChangeResult | None = Field(None, description="The scenario's canary plan: steps, gates, exposure.")
    freeze_override: FreezeOverride | None = Field(None, description="Started with --override-freeze.")

    @model_validator(mode="before")
    @classmethod
    def _drop_iso_spellings(cls, data: Any) -> Any:
        """The ``*_iso`` fields are written for people; the epoch floats are the record."""
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if key not in _ISO_FIELDS}
        return data

    @model_serializer(mode="wrap")
    def _with_iso_spellings(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        spelled: dict[str, Any] = {}
        for key, value in data.items():
            spelled[key] = value
            if key in _EPOCH_FIELDS:
                spelled[f"{key}_iso"] = iso(value) if isinstance(value, float | int) else None
        return spelled

    @classmethod
    def starting(cls, start: RunStart, scenario_text: str, versions: dict[str, str]) -> Journal:
        return cls(
            status=RunStatus.RUNNING,
            scenario_text=scenario_text,
            versions=versions,
            **start.model_dump(),
        )


_EPOCH_FIELDS = ("started_at", "t0", "ended_at")
_ISO_FIELDS = frozenset(f"{key}_iso" for key in _EPOCH_FIELDS)


def iso(epoch: float) -> str:
    """``1765089323.2067`` -> ``2025-12-07T06:35:23.207Z``."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def versions(toxiproxy: str | None = None) -> dict[str, str]:
    found = {"chaos": __version__, "python": platform.python_version(), "platform": platform.platform()}
    for package in ("locust", "pydantic", "aiohttp"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    if toxiproxy is not None:
        found["toxiproxy"] = toxiproxy
    return found


def bills(scenario: Scenario, rows: list[LedgerRow]) -> dict[str, ProviderBill]:
    """Per provider: requests, statuses, faults applied, tokens and billed cost."""
    result = {name: ProviderBill() for name in scenario.providers}
    for row in rows:
        bill = result.setdefault(row.provider, ProviderBill())
        if row.canary:
            bill.canary_requests += 1
            continue
        bill.requests += 1
        bill.statuses[str(row.status)] = bill.statuses.get(str(row.status), 0) + 1
        bill.ends[row.end.value] = bill.ends.get(row.end.value, 0) + 1
        if row.fault:
            bill.faults_applied[row.fault] = bill.faults_applied.get(row.fault, 0) + 1
        bill.input_tokens += row.input_tokens
        bill.output_tokens += row.output_tokens
        price = scenario.providers[row.provider].price if row.provider in scenario.providers else None
        if price is not None:
            bill.cost_usd += price.cost(row.input_tokens, row.output_tokens)
    return result


def write_journal(run_dir: Path, journal: Journal) -> Path:
    """Write ``journal.json`` atomically: a temporary file in the same folder, then rename."""
    return write_atomically(RunDir(run_dir).journal, journal.model_dump_json(indent=2))


def write_start(run_dir: Path, start: RunStart, scenario_text: str) -> None:
    """``scenario.yaml`` and ``run.json``: what a journal can be rebuilt from."""
    files = RunDir(run_dir)
    write_atomically(files.scenario_copy, scenario_text)
    write_atomically(files.run_start, start.model_dump_json(indent=2))


class JournalSchemaError(ChaosError):
    """A journal written in another schema version: not to be misread, nor rebuilt over."""


def read_journal(run_dir: Path) -> Journal:
    return parse_journal(RunDir(run_dir).journal)


def parse_journal(path: Path) -> Journal:
    """The journal in ``path``. Raises ``JournalSchemaError`` for another schema version,
    ``OSError`` if it cannot be read, ``ValueError`` (pydantic's ``ValidationError``
    among them) if it is not a journal."""
    text = path.read_text(encoding="utf-8")
    try:
        version = json.loads(text).get("schema_version", SCHEMA_VERSION)
    except (ValueError, AttributeError):
        version = SCHEMA_VERSION  # not JSON, or not an object: validation says so below
    if version != SCHEMA_VERSION:
        raise JournalSchemaError(
            f"{path} is a journal of schema version {version}; this chaos ({__version__}) reads version "
            f"{SCHEMA_VERSION}",
            hint="render it with the chaos version that wrote it (its versions.chaos field)",
        )
    return Journal.model_validate_json(text)


def read_start(run_dir: Path) -> tuple[RunStart, str]:
    """``run.json`` and the scenario copy; raises ``OSError`` or ``ValueError``."""
    files = RunDir(run_dir)
    start = RunStart.model_validate_json(files.run_start.read_text(encoding="utf-8"))
    return start, files.scenario_copy.read_text(encoding="utf-8")
