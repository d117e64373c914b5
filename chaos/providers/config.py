"""What ``chaos providers serve`` runs: providers in fallback order, their ports and evals.

From a providers file::

    eval_set: scenarios/evals/general.jsonl     # optional, for every provider
    providers:
      primary:   {api: anthropic, model: claude-opus, port: 0, latency: {ttft: 600ms}}
      secondary: {api: openai, model: gpt-4o-mini, eval_set: other.jsonl}

each entry shaped like a scenario's ``providers:`` entry plus an optional ``port`` (0 picks
a free one), or from a scenario file's ``providers:`` (eval set: the provider's, else the
load's). Paths are relative to the file that names them. Problems are located as the
scenario loader locates them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from chaos.errors import ChaosError, Problem, ScenarioError
from chaos.evals import EvalSet, load_eval_set
from chaos.scenario.base import Name, Strict
from chaos.scenario.loading import load_scenario, validate_model
from chaos.scenario.model import LatencyProfile, Provider
from chaos.scenario.yamlsource import read_mapping


class ServedProvider(Provider):
    port: int = Field(0, ge=0, le=65535, description="Port to listen on; 0 picks a free one.")


class ProvidersFile(Strict):
    providers: dict[Name, ServedProvider] = Field(min_length=1, description="In fallback order.")
    eval_set: Path | None = Field(None, description="Eval prompts every provider answers (default: none).")


ZERO_LATENCY = LatencyProfile(ttft=0.0, jitter=0.0, tokens_per_s=0.0)


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    provider: Provider
    port: int
    eval_set: EvalSet | None

    @property
    def latency(self) -> LatencyProfile:
        return self.provider.latency


@dataclass(frozen=True)
class ServeConfig:
    providers: tuple[ProviderSpec, ...]

    def with_zero_latency(self) -> ServeConfig:
        return ServeConfig(tuple(ProviderSpec(p.name, _zero(p.provider), p.port, p.eval_set) for p in self.providers))


def _zero(provider: Provider) -> Provider:
    """Every version of the provider at zero latency."""
    versions = {name: version.model_copy(update={"latency": None}) for name, version in provider.versions.items()}
    return provider.model_copy(update={"latency": ZERO_LATENCY, "versions": versions})


def load_config(path: Path) -> ServeConfig:
    """A providers file; raises ``ScenarioError`` (located) or ``ChaosError`` (an eval set)."""
    _, data, source_map = read_mapping(path, "a providers file", "starts with providers:", "providers, eval_set")
    parsed = validate_model(ProvidersFile, data, source_map, str(path))
    shared = _eval_set(_beside(path, parsed.eval_set), str(path))
    specs = []
    for name, entry in parsed.providers.items():
        own = _eval_set(_beside(path, entry.eval_set), str(path)) if entry.eval_set else shared
        provider = Provider.model_validate(entry.model_dump(exclude={"port"}, by_alias=True))
        specs.append(ProviderSpec(name, provider, entry.port, own))
    _check_ports(specs, str(path))
    return ServeConfig(tuple(specs))


def from_scenario(path: Path, overrides: Sequence[str] = ()) -> ServeConfig:
    """The providers of a scenario, each on a free port."""
    loaded = load_scenario(path, overrides)
    scenario = loaded.scenario
    specs = []
    for name, provider in scenario.providers.items():
        relative = provider.eval_set or scenario.load.eval_set
        eval_set = _eval_set(loaded.resolve(relative), str(path)) if relative else None
        specs.append(ProviderSpec(name, provider, 0, eval_set))
    return ServeConfig(tuple(specs))


def _beside(config: Path, relative: Path | None) -> Path | None:
    """A path written in ``config``, relative to its folder."""
    if relative is None:
        return None
    return relative if relative.is_absolute() else config.parent / relative


def _eval_set(path: Path | None, source: str) -> EvalSet | None:
    if path is None:
        return None
    try:
        return load_eval_set(path)
    except ChaosError as exc:
        raise ChaosError(f"{source}: in its eval set:\n{exc.message}") from None


def _check_ports(specs: list[ProviderSpec], source: str) -> None:
    seen: dict[int, str] = {}
    problems = []
    for spec in specs:
        if spec.port and spec.port in seen:
            message = f"port {spec.port} is also {seen[spec.port]}'s"
            problems.append(Problem(source, None, None, f"providers.{spec.name}.port", message))
        seen.setdefault(spec.port, spec.name)
    if problems:
        raise ScenarioError(problems)
