"""A fault a test injects: a scenario fault with no timeline, restored by its ``with`` block.

The settings are read by the scenario language's own ``Fault`` model, so a test writes
exactly what a scenario file writes under a fault (``http_error: {status: 529}``), and a
mistake is told the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from pydantic import ValidationError

from chaos.providers.admin_client import AdminClient
from chaos.pytest_plugin.loop import LoopThread
from chaos.scenario.faults import BEHAVIOURS, Fault, ProviderBehaviour
from chaos.scenario.units import STRICT_UNITS

RUN_ID = "pytest"  # every fault a test injects is named chaos-pytest-...
# A fault outlives its test only in a wedged session: the longest a test may take.
FAULT_TTL_S = 3600.0


class FaultSettingsError(ValueError):
    """Settings the scenario language refuses, one ``path: message`` line per problem."""


def fault_of(name: str, kind: Mapping[str, Any], *, provider: str | None = None) -> Fault:
    """The scenario ``Fault`` a test's keyword arguments describe."""
    known = {kind.value for kind in BEHAVIOURS} | {"network"}
    unknown = sorted(set(kind) - known)
    if unknown:
        raise FaultSettingsError(f"{', '.join(unknown)}: not a fault kind; one of {', '.join(sorted(known))}")
    body = {"name": name, "at": "0s", **kind}
    if provider is not None and "network" not in kind:
        body["provider"] = provider
    try:
        return Fault.model_validate(body, context=STRICT_UNITS)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            path = ".".join(str(step) for step in error["loc"]) or "fault"
            lines.append(f"{path}: {error['msg'].removeprefix('Value error, ')}")
        raise FaultSettingsError("\n".join(lines)) from None


class InjectedFault:
    """A provider behaviour switched on through the admin API; ``restore()`` (or the end
    of its ``with`` block) switches it off, and restoring twice is not an error."""

    def __init__(self, name: str, fault: Fault, times: int | None, loop: LoopThread, admin: AdminClient) -> None:
        if fault.provider is None or not fault.kind.is_provider_behaviour:
            raise FaultSettingsError(
                f"{fault.kind.value}: a network fault goes through chaos_toxiproxy[PROVIDER].fault(...)"
            )
        self.name = name
        self.fault = fault
        self.times = times
        self._loop = loop
        self._admin = admin

    def inject(self) -> None:
        spec = self.fault.spec
        assert isinstance(spec, ProviderBehaviour)  # checked in __init__
        assert self.fault.provider is not None
        self._loop.run(
            self._admin.put_behaviour(
                self.name,
                provider=self.fault.provider,
                kind=self.fault.kind,
                spec=spec,
                run=RUN_ID,
                ttl_s=FAULT_TTL_S,
                times=self.times,
            )
        )

    @property
    def active(self) -> bool:
        """Still in effect (a counted fault is gone once spent)."""
        return any(behaviour.name == self.name for behaviour in self._loop.run(self._admin.behaviours()))

    def restore(self) -> None:
        self._loop.run(self._admin.delete_behaviour(self.name))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.restore()

    def __repr__(self) -> str:
        times = f", times={self.times}" if self.times is not None else ""
        return f"<fault {self.fault.kind.value} on {self.fault.provider}{times}>"
