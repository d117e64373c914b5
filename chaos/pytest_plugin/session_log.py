"""What a test session exercised, for ``pytest --chaos-report``: every fault a test
injected, every client finding the providers' ledger showed at a test's end, and every
scenario verdict.

Entries are plain JSON values: under pytest-xdist each worker keeps its own log and hands
it to the controller in ``workeroutput``, where the logs are merged into one report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chaos.records import Finding
from chaos.scenario.faults import Fault


@dataclass
class SessionLog:
    faults: list[dict[str, Any]] = field(default_factory=list)
    findings_seen: list[dict[str, Any]] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)

    def fault(self, test: str, provider: str | None, fault: Fault, times: int | None) -> None:
        settings = fault.spec.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        self.faults.append(
            {"test": test, "provider": provider, "kind": fault.kind.value, "settings": settings, "times": times}
        )

    def findings(self, test: str, findings: Sequence[Finding]) -> None:
        for finding in findings:
            self.findings_seen.append(
                {
                    "test": test,
                    "kind": finding.kind.value,
                    "provider": finding.provider,
                    "detail": finding.detail,
                    "request_ids": finding.request_ids,
                }
            )

    def verdict(self, test: str, scenario: str, verdict: str, exit_code: int, run_dir: str) -> None:
        self.verdicts.append(
            {"test": test, "scenario": scenario, "verdict": verdict, "exit_code": exit_code, "run_dir": run_dir}
        )

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {"faults": self.faults, "findings": self.findings_seen, "verdicts": self.verdicts}

    def merge(self, other: dict[str, list[dict[str, Any]]]) -> None:
        self.faults += other.get("faults", [])
        self.findings_seen += other.get("findings", [])
        self.verdicts += other.get("verdicts", [])
