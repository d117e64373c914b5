"""``LoadConfig``: everything the Locust process needs, as one JSON document.

The orchestrator builds it from a scenario (``LoadConfig.from_scenario``), writes it to a
file and names that file in ``CHAOS_LOAD_CONFIG`` for the load process (``launch.py``).
Nothing here imports Locust or gevent. Header values keep their ``${ENV}`` references:
only the load process resolves them, so the file never holds a secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chaos.envrefs import Resolver, check_references
from chaos.errors import ChaosError
from chaos.evals import EvalCase, load_eval_set
from chaos.scenario.base import Api
from chaos.scenario.traffic import Mix, Shape, Wait, target_users

if TYPE_CHECKING:  # the scenario language is heavy to import; the load process only needs this module
    from chaos.scenario.loading import ScenarioFile
    from chaos.scenario.model import Scenario

CONFIG_ENV = "CHAOS_LOAD_CONFIG"
# What an HTTP field value may hold (RFC 9110 5.5): visible ASCII, spaces, tabs, and the
# obsolete Latin-1 range; a line break would end the header (and start another).
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ServedByRule(_Model):
    """Where the target names who served a request, and what its values mean."""

    source: Literal["header", "json", "none"] = "none"
    name: str | None = Field(None, description="The header or top-level JSON field.")
    providers: dict[str, str] = Field(
        default_factory=dict, description="A value the target reports -> a provider name."
    )

    @model_validator(mode="after")
    def _named(self) -> ServedByRule:
        if (self.source == "none") != (self.name is None):
            raise ValueError("a header or json source needs a name; none takes no name")
        return self

    def provider(self, value: str | None) -> str | None:
        """The provider a reported value stands for (the value itself when unknown)."""
        if value is None or value == "":
            return None
        return self.providers.get(value, value)


class ShapeConfig(_Model):
    """Users over time: constant (``users`` at ``spawn_rate``), or the scenario's stages or bursts."""

    users: int = Field(ge=1)
    spawn_rate: float = Field(gt=0)
    duration: float = Field(gt=0, description="Seconds of load; no request starts after it.")
    shape: Shape | None = None

    @property
    def kind(self) -> str:
        if self.shape is None:
            return "constant"
        return "stages" if self.shape.stages is not None else "bursts"

    def target(self, elapsed: float) -> tuple[int, float]:
        """Users and spawn rate to aim for ``elapsed`` seconds into the load."""
        return target_users(self.shape, self.users, self.spawn_rate, elapsed)


class RemoteWorkers(_Model):
    """Locust's own distributed mode: the master waits for ``count`` workers started by
    ``chaos worker --master HOST:PORT`` (on other machines, or beside it)."""

    count: int = Field(ge=1, le=256)
    timeout: float = Field(60.0, gt=0, description="Seconds the master waits for them before the load gives up.")
    bind_host: str = Field("127.0.0.1", description="Where the master listens: 0.0.0.0 for other machines.")
    bind_port: int = Field(5557, ge=1, le=65535)

    @property
    def address(self) -> str:
        return f"{self.bind_host}:{self.bind_port}"


class LoadConfig(_Model):
    run_id: str = Field(min_length=1)
    target_url: str = Field(description="Base URL: where the target listens, or an SDK-style base ending in /v1.")
    api: Api = Api.OPENAI
    model: str = "gateway"
    headers: dict[str, str] = Field(default_factory=dict, description="${ENV} references unresolved.")
    served_by: ServedByRule = Field(default_factory=ServedByRule)
    degraded_header: str = "x-degraded"
    mix: Mix
    max_tokens: int = Field(64, ge=1)
    wait: Wait = Field(default_factory=Wait)
    client_timeout: float = Field(60.0, gt=0)
    evals: list[EvalCase] = Field(default_factory=list, description="Eval items given inline.")
    eval_set: Path | None = Field(None, description="An absolute path to a JSONL eval set (read by the load).")
    shape: ShapeConfig
    stop_grace: float = Field(gt=0, description="How long in-flight requests may finish after the load stops.")
    records: Path = Field(description="The JSONL file the records are appended to (absolute).")
    processes: int = Field(1, ge=1, le=64, description="1: one local process; N: a master and N local workers.")
    workers: RemoteWorkers | None = Field(None, description="A master that waits for workers `chaos worker` starts.")
    locustfile: Path | None = Field(None, description="Default: the built-in chat mix (chaos/load/runtime/chat.py).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("headers")
    @classmethod
    def _references(cls, headers: dict[str, str]) -> dict[str, str]:
        for value in headers.values():
            check_references(value)
        return headers

    @field_validator("target_url")
    @classmethod
    def _http(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f'"{url}" is not an http(s) base URL')
        return url

    @field_validator("records", "eval_set", "locustfile")
    @classmethod
    def _absolute(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_absolute():
            raise ValueError(f"{path} must be an absolute path (the load runs in another directory)")
        return path

    @model_validator(mode="after")
    def _consistent(self) -> LoadConfig:
        if self.mix.eval > 0 and not self.evals and self.eval_set is None:
            raise ValueError("eval traffic needs evals or eval_set")
        if self.workers is not None and self.processes > 1:
            raise ValueError("load.processes and --workers both split the load: choose one")
        return self

    @property
    def host(self) -> str:
        """What Locust calls the host: scheme and authority."""
        parts = urlsplit(self.target_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def path(self) -> str:
        """The chat endpoint's path: /v1/chat/completions or /v1/messages under the base URL."""
        base = urlsplit(self.target_url).path.rstrip("/")
        if not base.endswith("/v1"):
            base += "/v1"
        return base + ("/chat/completions" if self.api is Api.OPENAI else "/messages")

    @classmethod
    def from_scenario(
        cls,
        scenario_file: ScenarioFile,
        *,
        target_url: str,
        records: Path,
        run_id: str,
        workers: RemoteWorkers | None = None,
    ) -> LoadConfig:
        """The load of a validated scenario, aimed at ``target_url``, recording to ``records``,
        split over remote ``workers`` if given."""
        from chaos.scenario.estimate import stop_grace

        scenario = scenario_file.scenario
        load, target = scenario.load, scenario.target
        host = urlsplit(target_url).hostname
        if host not in scenario.safety.allowed_hosts:
            allowed = ", ".join(scenario.safety.allowed_hosts)
            raise ChaosError(
                f"{scenario_file.path}: the load may not target {host}: it is not in safety.allowed_hosts ({allowed})",
                hint="add the host to safety.allowed_hosts if it really is a system you may load",
            )
        try:
            return cls(
                run_id=run_id,
                target_url=target_url,
                api=target.api,
                model=target.model,
                headers=dict(target.headers),
                served_by=_served_by(scenario),
                degraded_header=target.degraded_header,
                mix=load.mix,
                max_tokens=load.max_tokens,
                wait=load.wait,
                client_timeout=load.client_timeout,
                eval_set=scenario_file.resolve(load.eval_set).resolve() if load.eval_set is not None else None,
                shape=ShapeConfig(
                    users=load.users, spawn_rate=load.spawn_rate, duration=load.duration, shape=load.shape
                ),
                stop_grace=stop_grace(scenario),
                records=records.resolve(),
                processes=load.processes,
                workers=workers,
                locustfile=scenario_file.resolve(load.locustfile).resolve() if load.locustfile is not None else None,
            )
        except ValidationError as exc:
            raise ChaosError(f"{scenario_file.path}: cannot build the load: {_first_error(exc)}") from None

    def for_worker(self) -> LoadConfig:
        """What a remote worker is sent: no path of this machine (eval items inline, the
        locustfile sent beside it), header values still ``${ENV}`` references that the
        worker resolves in its own environment."""
        return self.model_copy(update={"evals": self.eval_items(), "eval_set": None, "locustfile": None})

    def dump(self, path: Path) -> None:
        """Write the config where the load process will read it."""
        path.write_text(self.model_dump_json(indent=2))

    @classmethod
    def read(cls, path: Path) -> LoadConfig:
        try:
            return cls.model_validate_json(path.read_text())
        except OSError as exc:
            raise ChaosError(f"cannot read the load config {path}: {exc.strerror}") from None
        except ValidationError as exc:
            raise ChaosError(f"{path}: invalid load config: {_first_error(exc)}") from None

    def resolved_headers(self, resolver: Resolver) -> dict[str, str]:
        """The headers as the load sends them (``resolve_headers``).

        Only the load process sends the values; the orchestrator calls this first to refuse
        a run whose environment would fail every request (and then drops the result).
        """
        return resolve_headers(self.headers, resolver)

    def eval_items(self) -> list[EvalCase]:
        """The inline items, or those of the eval set file."""
        if self.evals or self.eval_set is None:
            return list(self.evals)
        return load_eval_set(self.eval_set).cases


def resolve_headers(headers: Mapping[str, str], resolver: Resolver) -> dict[str, str]:
    """``headers`` with their ``${ENV}`` references resolved (``resolver`` remembers the
    values, to scrub them from what is recorded). A ``ChaosError`` names a variable that
    is missing, or whose value cannot be sent in a header, and never shows the value."""
    resolved = {}
    for header, template in headers.items():
        unfit = [name for name, value in resolver.values(template).items() if not _HEADER_VALUE.fullmatch(value)]
        if unfit:
            raise ChaosError(
                f"target.headers.{header}: the environment variable {unfit[0]} holds a value that cannot be "
                "sent in an HTTP header (a line break, a control character or a character beyond Latin-1); "
                "the value is not shown",
                hint=f"check what {unfit[0]} is set to",
            )
        value = resolver.resolve(template)
        if not _HEADER_VALUE.fullmatch(value):
            raise ChaosError(f"target.headers.{header}: the value as written cannot be sent in an HTTP header")
        resolved[header] = value
    return resolved


def _served_by(scenario: Scenario) -> ServedByRule:
    """Where the target says who served a request, and what each value it says means."""
    rule, values = scenario.target.served_by, scenario.served_by_values()
    if rule.header is not None:
        return ServedByRule(source="header", name=rule.header, providers=values)
    if rule.json_field is not None:
        return ServedByRule(source="json", name=rule.json_field, providers=values)
    return ServedByRule(providers=values)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]
