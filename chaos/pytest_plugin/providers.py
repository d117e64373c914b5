"""The mock providers of a test session (``chaos_providers``), and what a test sees of them.

A session starts one providers server per configuration it meets, on the fixtures' loop
thread, each provider on a free port of 127.0.0.1, and keeps it until the session ends:
starting one costs milliseconds, and every test after the first finds it ready. Before
and after each test the server is reset (every behaviour gone, the ledger emptied), so a
fault a failing test injected never reaches the next one.

The test talks to the server as ``chaos run`` does: faults through the admin API, in the
scenario language's vocabulary, and the ledger and client findings read back from it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from chaos.ownership import owned_name
from chaos.providers.admin_client import AdminClient
from chaos.providers.admin_models import StoredBehaviour
from chaos.providers.config import ProviderSpec, ServeConfig
from chaos.providers.server import ProvidersServer, Ready
from chaos.pytest_plugin.assertions import fell_back_problem, resilience_problem
from chaos.pytest_plugin.faults import RUN_ID, InjectedFault, fault_of
from chaos.pytest_plugin.loop import LoopThread
from chaos.pytest_plugin.session_log import SessionLog
from chaos.records import Finding, LedgerRow
from chaos.scenario.base import Api
from chaos.scenario.contract import PROVIDERS, provider_variable
from chaos.scenario.model import Provider
from chaos.scenario.units import STRICT_UNITS

# With no configuration: one provider of each wire format, named after it.
DEFAULT_PROVIDERS: dict[str, dict[str, Any]] = {
    "openai": {"api": "openai", "model": "gpt-4o-mini"},
    "anthropic": {"api": "anthropic", "model": "claude-3-5-haiku-latest"},
}
# A unit test wants its answer at once: a provider given no latency profile has none.
INSTANT = {"ttft": "0s", "jitter": "0s", "tokens_per_s": 0}
DUMMY_KEY = "chaos-dummy-key"  # the mocks accept any key; a real one never leaves the test
# Where each official SDK reads its base URL and key when built with no arguments.
SDK_VARIABLES = {
    Api.OPENAI: ("OPENAI_BASE_URL", "OPENAI_API_KEY"),
    Api.ANTHROPIC: ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"),
}


class ProvidersConfigError(ValueError):
    """A ``chaos_providers`` configuration the scenario language refuses; one line per problem."""


def serve_config(providers: Mapping[str, Mapping[str, Any]]) -> ServeConfig:
    """The providers (in fallback order) as a providers server takes them; each entry is a
    scenario's ``providers:`` entry."""
    if not providers:
        raise ProvidersConfigError("chaos_providers: give at least one provider, e.g. primary={'api': 'openai', ...}")
    specs, problems = [], []
    for name, entry in providers.items():
        given = {"latency": INSTANT, **entry}
        try:
            provider = Provider.model_validate(given, context=STRICT_UNITS)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(step) for step in (name, *error["loc"]))
                problems.append(f"chaos_providers: {where}: {error['msg'].removeprefix('Value error, ')}")
            continue
        specs.append(ProviderSpec(name, provider, 0, None))
    if problems:
        raise ProvidersConfigError("\n".join(problems))
    return ServeConfig(tuple(specs))


@dataclass(frozen=True)
class Served:
    """One providers server of the session."""

    ready: Ready
    admin: AdminClient
    server: ProvidersServer


class ProviderPool:
    """Every providers server of the session, one per configuration, started on first use."""

    def __init__(self, loop: LoopThread) -> None:
        self.loop = loop
        self._served: dict[str, Served] = {}

    def get(self, providers: Mapping[str, Mapping[str, Any]]) -> Served:
        key = json.dumps(list(providers.items()), default=str)  # the order is the fallback order
        served = self._served.get(key)
        if served is None:
            served = self.loop.run(self._start(serve_config(providers)))
            self._served[key] = served
        return served

    async def _start(self, config: ServeConfig) -> Served:
        server = ProvidersServer(config)
        ready = await server.start()
        return Served(ready=ready, admin=AdminClient(ready.admin), server=server)

    def close(self) -> None:
        served, self._served = list(self._served.values()), {}
        for one in served:
            self.loop.run(self._stop(one))

    @staticmethod
    async def _stop(served: Served) -> None:
        await served.admin.aclose()
        await served.server.stop()


class ProviderHandle:
    """One mock provider, as ``chaos_providers[NAME]``."""

    def __init__(self, providers: ChaosProviders, name: str, described: Mapping[str, str]) -> None:
        self._providers = providers
        self.name = name
        self.url = described["url"]
        self.api = Api(described["api"])
        self.model = described["model"]

    def fault(self, *, times: int | None = None, **kind: Any) -> InjectedFault:
        """Inject a provider fault now, in the scenario language: ``http_error={"status": 529}``,
        ``rate_limit={"retry_after": "1s"}``, ``stream_cut={"after_tokens": 3, "mode": "truncate"}``,
        ... With ``times=N`` it applies to the next N requests it fires on, then is gone.
        Restored when its ``with`` block ends, or with the test."""
        return self._providers.inject(self.name, kind, times)

    def calls(self, **filters: Any) -> list[LedgerRow]:
        return self._providers.calls(provider=self.name, **filters)

    def __repr__(self) -> str:
        return f"<mock provider {self.name} ({self.api.value}, {self.model}) at {self.url}>"


class ChaosProviders:
    """The ``chaos_providers`` fixture's value: the session's providers, for one test."""

    def __init__(self, served: Served, loop: LoopThread, log: SessionLog, test: str) -> None:
        self._served = served
        self._loop = loop
        self._log = log
        self._test = test
        self._counter = itertools.count(1)
        self._handles = {name: ProviderHandle(self, name, d) for name, d in served.ready.providers.items()}

    # -- what the app is told ---------------------------------------------------------

    def __getitem__(self, name: str) -> ProviderHandle:
        try:
            return self._handles[name]
        except KeyError:
            raise KeyError(f"no mock provider {name!r}; these run: {', '.join(self._handles)}") from None

    def __iter__(self) -> Iterator[ProviderHandle]:
        return iter(self._handles.values())

    @property
    def admin(self) -> AdminClient:
        """The providers' admin API client (it lives on the fixtures' loop thread)."""
        return self._served.admin

    @property
    def names(self) -> list[str]:
        """In fallback order."""
        return list(self._handles)

    @property
    def urls(self) -> dict[str, str]:
        """Each provider's base URL as its official SDK takes it."""
        return {name: handle.url for name, handle in self._handles.items()}

    def environment(self) -> dict[str, str]:
        """What the test's environment is given: the SDKs' own variables, pointing at the
        first provider of each wire format, and the environment contract of ``chaos run``."""
        variables = {PROVIDERS: ",".join(self._handles)}
        for handle in reversed(self._handles.values()):  # the first of each format wins
            url_variable, key_variable = SDK_VARIABLES[handle.api]
            variables[url_variable], variables[key_variable] = handle.url, DUMMY_KEY
        for handle in self._handles.values():
            variables[provider_variable(handle.name, "url")] = handle.url
            variables[provider_variable(handle.name, "api")] = handle.api.value
            variables[provider_variable(handle.name, "model")] = handle.model
            variables[provider_variable(handle.name, "api_key")] = DUMMY_KEY
        return variables

    # -- faults -----------------------------------------------------------------------

    def inject(self, provider: str, kind: Mapping[str, Any], times: int | None) -> InjectedFault:
        self[provider]  # a provider that does not run is named before anything else
        fault = fault_of(f"{provider}-{next(self._counter)}", kind, provider=provider)
        injected = InjectedFault(owned_name(RUN_ID, fault.name), fault, times, self._loop, self._served.admin)
        injected.inject()
        self._log.fault(self._test, provider, fault, times)
        return injected

    def active_faults(self) -> list[StoredBehaviour]:
        """The provider behaviours in effect now."""
        return self._loop.run(self._served.admin.behaviours())

    def reset(self) -> None:
        """Every fault gone, the ledger emptied: what each test starts and ends with."""
        self._loop.run(self._served.admin.reset(ledger=True))

    def finish(self) -> None:
        """At the test's end: its findings into the session's log, then a reset."""
        try:
            self._log.findings(self._test, self.findings())
        finally:
            self.reset()

    # -- what the providers saw -------------------------------------------------------

    def calls(
        self,
        *,
        provider: str | None = None,
        status: int | None = None,
        served: bool | None = None,
        request_id: str | None = None,
        where: Callable[[LedgerRow], bool] | None = None,
    ) -> list[LedgerRow]:
        """The calls the providers received in this test, in the order they arrived,
        narrowed by each filter given (``served``: a 2xx answer that could serve a user)."""
        if provider is not None:
            self[provider]
        rows = self._loop.run(self._served.admin.ledger()).rows
        return [
            row
            for row in sorted(rows, key=lambda row: (row.t, row.seq))
            if (provider is None or row.provider == provider)
            and (status is None or row.status == status)
            and (served is None or row.served == served)
            and (request_id is None or row.request_id == request_id)
            and (where is None or where(row))
        ]

    def findings(self) -> list[Finding]:
        """The client findings the ledger shows (``chaos.providers.findings``)."""
        return self._loop.run(self._served.admin.findings())

    def assert_resilient(self) -> None:
        """Fail, naming each finding and the request ids that show it, if the app misbehaved
        towards its providers: retry-after ignored, no backoff, a retry storm, a failed
        provider hammered, a non-retryable error retried. A test in which no provider saw
        a call fails too: it proved nothing."""
        __tracebackhide__ = True  # the failure points at the test's line, not this one
        findings, calls = self.findings(), self.calls()
        problem = resilience_problem(findings, calls)
        if problem is not None:
            raise AssertionError(problem)

    def assert_fell_back(self, *, from_: str, to: str) -> None:
        """Fail unless a call to ``from_`` served nothing and a later call to ``to`` served."""
        __tracebackhide__ = True
        self[from_], self[to]
        problem = fell_back_problem(self.calls(), from_, to)
        if problem is not None:
            raise AssertionError(problem)

    def __repr__(self) -> str:
        listed = ", ".join(f"{name} ({handle.api.value}) at {handle.url}" for name, handle in self._handles.items())
        return f"<chaos_providers: {listed}>"
