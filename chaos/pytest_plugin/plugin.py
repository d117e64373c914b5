"""The hooks and fixtures pytest loads through the ``pytest11`` entry point.

Every session that has ``chaos-llm`` installed imports this module, so it imports pytest
and the standard library only; a fixture imports what it runs when a test first asks for
it (``benchmarks/plugin`` measures what that saves). The scenario level never imports
Locust here: it runs ``chaos run`` as a child process (``chaos.pytest_plugin.scenario``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from chaos.pytest_plugin.loop import LoopThread
    from chaos.pytest_plugin.network import ChaosToxiproxy, ProxyPool
    from chaos.pytest_plugin.providers import ChaosProviders, ProviderPool
    from chaos.pytest_plugin.scenario import ScenarioResult, ScenarioRunner
    from chaos.pytest_plugin.session_log import SessionLog

WORKER_OUTPUT_KEY = "chaos_session_log"  # what an xdist worker hands its controller


class _Session:
    """The session's servers and log, each made on first use and closed at its end."""

    def __init__(self) -> None:
        self._loop: LoopThread | None = None
        self._providers: ProviderPool | None = None
        self._proxies: ProxyPool | None = None
        self._log: SessionLog | None = None
        self.report: Path | None = None  # where --chaos-report wrote, once written

    @property
    def loop(self) -> LoopThread:
        if self._loop is None:
            from chaos.pytest_plugin.loop import LoopThread

            self._loop = LoopThread()
        return self._loop

    @property
    def providers(self) -> ProviderPool:
        if self._providers is None:
            from chaos.pytest_plugin.providers import ProviderPool

            self._providers = ProviderPool(self.loop)
        return self._providers

    @property
    def proxies(self) -> ProxyPool:
        if self._proxies is None:
            from chaos.pytest_plugin.network import ProxyPool

            self._proxies = ProxyPool(self.loop)
        return self._proxies

    @property
    def log(self) -> SessionLog:
        if self._log is None:
            from chaos.pytest_plugin.session_log import SessionLog

            self._log = SessionLog()
        return self._log

    @property
    def used(self) -> bool:
        return self._log is not None

    def close(self) -> None:
        """Proxies, then providers, then the loop; each step runs even if one before failed."""
        try:
            if self._proxies is not None:
                self._proxies.close()
        finally:
            try:
                if self._providers is not None:
                    self._providers.close()
            finally:
                if self._loop is not None:
                    self._loop.close()


SESSION = pytest.StashKey[_Session]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaos", "chaos: resilience tests against mock LLM providers")
    group.addoption(
        "--chaos-report",
        metavar="PATH",
        type=Path,
        help="Write what the session exercised (faults injected, client findings, scenario verdicts): "
        "Markdown, or HTML if PATH ends in .html.",
    )
    parser.addini(
        "chaos_inconclusive",
        "What an inconclusive scenario verdict is for a test: fail (the default) or pass.",
        default="fail",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "chaos_providers(**providers): the mock providers this test runs against, in fallback order, "
        "each as a scenario's providers: entry, e.g. primary={'api': 'anthropic', 'model': 'claude-sonnet'}",
    )
    config.addinivalue_line(
        "markers",
        "chaos_scenario(path, scale=None, target=None, args=()): run the scenario with chaos run before the test "
        "and fail it unless the verdict is pass; the test's chaos_scenario fixture is the result",
    )
    config.stash[SESSION] = _Session()


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION, None)
    if session is not None:
        session.close()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    state = config.stash[SESSION]
    worker_output = getattr(config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: the controller writes the report
        if state.used:
            worker_output[WORKER_OUTPUT_KEY] = json.dumps(state.log.as_dict())
        return
    path: Path | None = config.getoption("chaos_report")
    if path is None:
        return
    from chaos.pytest_plugin.report import write_session_report

    state.report = write_session_report(state.log, path)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    written = config.stash[SESSION].report
    if written is not None:
        terminalreporter.write_line(f"chaos report: {written}")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On an xdist controller: a worker's log joins the session's."""
    output = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if output is not None:
        node.config.stash[SESSION].log.merge(json.loads(output))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marked = item.get_closest_marker("chaos_scenario") is not None
        if marked and isinstance(item, pytest.Function) and "chaos_scenario" not in item.fixturenames:
            item.fixturenames.append("chaos_scenario")


# -- the unit level -------------------------------------------------------------------


@pytest.fixture(scope="session")
def chaos_providers_config() -> dict[str, dict[str, Any]]:
    """The providers ``chaos_providers`` starts, in fallback order; override it (any scope)
    to change them for a directory or the whole suite. Each entry is a scenario's
    ``providers:`` entry; with no ``latency`` a provider answers at once."""
    from chaos.pytest_plugin.providers import DEFAULT_PROVIDERS

    return copy.deepcopy(DEFAULT_PROVIDERS)


@pytest.fixture
def chaos_providers(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, chaos_providers_config: Mapping[str, Any]
) -> Iterator[ChaosProviders]:
    """The session's mock providers, reset for this test, with OPENAI_BASE_URL,
    ANTHROPIC_BASE_URL, dummy keys and the CHAOS_PROVIDER_* contract set in its environment."""
    from chaos.pytest_plugin.providers import ChaosProviders, ProvidersConfigError

    session = request.config.stash[SESSION]
    try:
        served = session.providers.get(_marked_providers(request) or chaos_providers_config)
    except ProvidersConfigError as exc:
        pytest.fail(str(exc), pytrace=False)
    providers = ChaosProviders(served, session.loop, session.log, request.node.nodeid)
    providers.reset()
    for name, value in providers.environment().items():
        monkeypatch.setenv(name, value)
    yield providers
    providers.finish()


def _marked_providers(request: pytest.FixtureRequest) -> dict[str, Any] | None:
    marker = request.node.get_closest_marker("chaos_providers")
    if marker is None:
        return None
    if marker.args and not (len(marker.args) == 1 and isinstance(marker.args[0], Mapping)):
        pytest.fail("@pytest.mark.chaos_providers takes the providers as keywords, or one mapping", pytrace=False)
    return {**(marker.args[0] if marker.args else {}), **marker.kwargs}


@pytest.fixture
def chaos_toxiproxy(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, chaos_providers: ChaosProviders
) -> Iterator[ChaosToxiproxy]:
    """The embedded Toxiproxy with a proxy in front of each provider; the test's
    environment then points at the proxies, so network faults reach the app."""
    from chaos.pytest_plugin.network import ChaosToxiproxy

    session = request.config.stash[SESSION]
    proxied = session.proxies.get(chaos_providers)
    toxiproxy = ChaosToxiproxy(proxied, chaos_providers, session.loop, session.log, request.node.nodeid)
    toxiproxy.reset()
    for name, value in toxiproxy.environment().items():
        monkeypatch.setenv(name, value)
    yield toxiproxy
    toxiproxy.reset()


# -- the scenario level ---------------------------------------------------------------


@pytest.fixture
def chaos_run(request: pytest.FixtureRequest, tmp_path: Path) -> ScenarioRunner:
    """Runs a scenario with ``chaos run`` (``chaos_run(path, scale=0.4, target=...)``) and
    returns its result; fails the test, with the verdict table, unless it passed."""
    from chaos.pytest_plugin.scenario import ScenarioRunner

    session = request.config.stash[SESSION]
    inconclusive = str(request.config.getini("chaos_inconclusive"))
    return ScenarioRunner(tmp_path, session.log, request.node.nodeid, inconclusive_passes=inconclusive == "pass")


@pytest.fixture
def chaos_scenario(request: pytest.FixtureRequest, chaos_run: ScenarioRunner) -> ScenarioResult:
    """The result of the test's ``@pytest.mark.chaos_scenario`` run (run before the test;
    its verdict decides the test)."""
    marker = request.node.get_closest_marker("chaos_scenario")
    if marker is None or not marker.args:
        pytest.fail("chaos_scenario: mark the test @pytest.mark.chaos_scenario(PATH, ...)", pytrace=False)
    return chaos_run.run(*marker.args, **marker.kwargs)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """A marked scenario that did not pass fails the test here, before its body runs, as a
    failure of the test rather than an error of its set-up."""
    if item.get_closest_marker("chaos_scenario") is None or not isinstance(item, pytest.Function):
        return
    from chaos.pytest_plugin.scenario import ScenarioResult as Result

    result = item.funcargs["chaos_scenario"]
    assert isinstance(result, Result)
    result.check()
