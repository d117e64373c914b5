"""The first scenario for your own gateway: ``chaos init``'s answers -> commented YAML.

The scenario is a provider outage (the primary answers 503 for 30 s; traffic must fail
over down the chain and come back), sized so that every SLO it states can be decided on
a laptop, commented so that each line says what to change. Beside it, the checklist of
what the app must read from its environment: the contract's variables for these
providers, by name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from chaos.errors import ChaosError, quote
from chaos.scenario import contract
from chaos.scenario.base import Api

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
DEFAULT_PROVIDERS = "primary=anthropic:claude-sonnet,secondary=openai:gpt-4o-mini"


@dataclass(frozen=True)
class StarterProvider:
    name: str
    api: Api
    model: str


@dataclass(frozen=True)
class Starter:
    name: str
    start: list[str] | None  # or url
    url: str | None
    api: Api
    served_by: dict[str, object]
    providers: list[StarterProvider]
    health: str = "/healthz"
    model: str = "gateway"


def parse_providers(text: str) -> list[StarterProvider]:
    """``primary=anthropic:claude-sonnet,secondary=openai:gpt-4o-mini``, in fallback order."""
    providers = []
    for item in (part.strip() for part in text.split(",")):
        name, eq, rest = item.partition("=")
        api, colon, model = rest.partition(":")
        if not (eq and colon and model):
            raise ChaosError(f"provider {quote(item)}: expected NAME=API:MODEL, e.g. primary=anthropic:claude-sonnet")
        if not _NAME.match(name):
            raise ChaosError(f"provider {quote(item)}: a name is lower-case letters, digits, '-', '_' or '.'")
        if api not in {member.value for member in Api}:
            raise ChaosError(f"provider {quote(item)}: the api is openai or anthropic")
        providers.append(StarterProvider(name, Api(api), model))
    if len({p.name for p in providers}) != len(providers):
        raise ChaosError("each provider needs its own name")
    return providers


def render(starter: Starter) -> str:
    primary = starter.providers[0]
    fallback = starter.providers[1] if len(starter.providers) > 1 else None
    lines = [
        f"# {starter.name}: does your gateway survive its primary provider's outage?",
        "# Written by `chaos init`; every line may be edited. `chaos plan FILE` shows what a run",
        "# would do and whether each SLO can be decided; `chaos run FILE` runs it.",
        "#",
        *(f"# {line}" if line else "#" for line in checklist(starter)),
        "version: 1",
        f"name: {starter.name}",
        f"description: {primary.name} answers 503 for 30 s; traffic must fail over"
        + (f" to {fallback.name} and come back." if fallback else " (no fallback: expect it to fail)."),
        "environment: local",
        "",
        "target:",
        *_target(starter),
        "",
        "providers:                              # in fallback order; mock providers stand in for the real ones",
    ]
    for provider in starter.providers:
        lines += [
            f"  {provider.name}:",
            f"    api: {provider.api.value}",
            f"    model: {json.dumps(provider.model)}",
            "    price: {input: 3, output: 15}       # USD per 1M tokens: what the mocks bill",
            "    latency: {ttft: 400ms, jitter: 100ms, tokens_per_s: 80}",
        ]
    lines += [
        "",
        "load:                                   # about 25 requests a second",
        "  users: 30",
        "  spawn_rate: 15",
        "  duration: 100s",
        "  warmup: 10s",
        "  client_timeout: 20s",
        "  wait: {min: 200ms, max: 600ms}          # think time between one user's requests",
        "  max_tokens: 32",
        "  mix: {chat_stream: 70%, chat: 30%, eval: 0%}",
        "",
        "faults:",
        "  - name: primary-503",
        "    at: 35s",
        "    for: 30s",
        f"    provider: {primary.name}",
        "    http_error: {status: 503}",
        "",
        "settle: 10s                             # after the restore: not judged, where recovery is timed",
        "",
        "slos:                                   # judged in each segment: baseline, primary-503, recovery",
        "  availability: {objective: 99%}",
        "  ttft_p95: {max: 2s}                   # streamed answers: first token within 2 s",
        "",
        "alerts:                                 # burn-rate rules sized to a run of minutes (synthetic)",
        "  - {severity: page, factor: 14.4, long: 30s, short: 5s}",
        "  - {severity: page, factor: 6, long: 1m, short: 10s}",
        "",
    ]
    if fallback is not None:
        lines += [
            "expect:",
            f"  - {{served_by: {fallback.name}, during: primary-503, at_least: 90%}}",
            f"  - {{recovers_to: {primary.name}, within: 20s}}",
            "",
        ]
    lines += ["abort:", "  - {slo: availability, below: 50%, over: 10s}", ""]
    return "\n".join(lines)


def _target(starter: Starter) -> list[str]:
    lines = []
    if starter.start is not None:
        command = ", ".join(json.dumps(arg) for arg in starter.start)
        lines.append(f"  start: [{command}]")
        lines.append("  # {port}, {provider.NAME.url}, ... in start (or env) are filled in by the run")
    else:
        lines.append(f"  url: {json.dumps(starter.url)}      # already running: it must reach the run's providers")
    served = ", ".join(f"{key}: {json.dumps(value)}" for key, value in starter.served_by.items())
    lines += [
        f"  health: {json.dumps(starter.health)}                    # answers 2xx once the app is ready",
        "  ready_timeout: 30s",
        f"  api: {starter.api.value}                          # the wire format your app takes from clients",
        f"  model: {json.dumps(starter.model)}                   # the model name the load asks your app for",
        f"  served_by: {{{served}}}   # how your app names who served (the billing ledger is kept too)",
        '  # headers: {Authorization: "Bearer ${MY_GATEWAY_KEY}"}   # secrets as ${ENV} references',
    ]
    return lines


def checklist(starter: Starter) -> list[str]:
    """What the app must read from its environment, and answer, for a run to work."""
    listen = "its port, or put {port} in target.start" if starter.start is not None else "(set by chaos run)"
    names = ",".join(p.name for p in starter.providers)
    lines = [
        "What your app must read from its environment (chaos run sets it when it starts the app;",
        "in staging, configure the same by hand):",
        f"  {contract.TARGET_PORT:<40} {listen}, on 127.0.0.1",
        f"  {contract.PROVIDERS:<40} {names} (fallback order)",
    ]
    for provider in starter.providers:
        sdk = "ends in /v1" if provider.api is Api.OPENAI else "no /v1"
        lines += [
            f"  {contract.provider_variable(provider.name, 'url'):<40} {provider.api.value} base URL ({sdk})",
            f"  {contract.provider_variable(provider.name, 'model'):<40} the model to ask for",
            f"  {contract.provider_variable(provider.name, 'api_key'):<40} a dummy key",
        ]
    served = _served_words(starter.served_by)
    lines += [
        f"and answer GET {starter.health} with 2xx once ready, take {starter.api.value}-format requests for",
        f"model {starter.model!r}, and {served}.",
    ]
    return lines


def _served_words(served_by: dict[str, object]) -> str:
    if "header" in served_by:
        return f"name the provider (or its model) in the {served_by['header']} response header"
    if "json" in served_by:
        return f"name the provider (or its model) in the answer's {served_by['json']} field"
    return "forward x-request-id to the providers (who served is read from their ledger)"
