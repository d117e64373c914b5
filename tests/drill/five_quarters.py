"""A history of five quarters (2025Q4 to 2026Q4) as drills leave it on disk: drill
directories with their records and run journals, dated, for the quarterly report tests.

The component suite's drills run provider-outage, rate-limit-storm and latency-spike
every quarter but the last, where latency-spike is not run; quality-regression is never
run. The full suite ran once, in 2025Q4. Provider-outage's time to recover is 4 s for
four quarters, then 9, 11 and 12 s in 2026Q4's three drills; rate-limit-storm's
availability falls from 99.9% to 98.0% in 2026Q4 (its target is 99%).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from chaos.drill.actions import write_items
from chaos.drill.index import judged_entries
from chaos.drill.record import DRILLS_DIR, DrillRecord, DrillStatus, EntryRun, write_record
from tests.drill.journals import journal, write_run

QUARTERS = ("2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4")
_MID = {"2025Q4": (2025, 11), "2026Q1": (2026, 2), "2026Q2": (2026, 5), "2026Q3": (2026, 8), "2026Q4": (2026, 11)}

COMPONENT_TARGETS = {
    "provider-outage": "{recover: 30s, availability: 99%}",
    "rate-limit-storm": "{recover: 30s, availability: 99%}",
    "latency-spike": "{detect: 15s, recover: 30s}",
}
FULL_TARGETS = {"full-blackout": "{failed_requests: 100}", "cost-explosion": "{extra_cost: 2.00}"}


def at(quarter: str, day: int = 10) -> float:
    year, month = _MID[quarter]
    return datetime(year, month, day, 12, tzinfo=UTC).timestamp()


def suite_text(name: str, kind: str, targets: dict[str, str]) -> str:
    entries = "".join(f"  - scenario: ../../scenarios/{e}.yaml\n    targets: {t}\n" for e, t in targets.items())
    return f"version: 1\nname: {name}\nkind: {kind}\nowner: platform-sre\nscenarios:\n{entries}"


def drill(runs_dir: Path, drill_id: str, started: float, kind: str, figures: dict[str, dict[str, object]]) -> Path:
    name = "quarterly-component" if kind == "component" else "annual-full"
    targets = COMPONENT_TARGETS if kind == "component" else FULL_TARGETS
    chosen = {entry: targets[entry] for entry in figures}
    directory = runs_dir / DRILLS_DIR / f"{name}-{drill_id}"
    directory.mkdir(parents=True)
    entries = []
    for n, (entry, figure) in enumerate(figures.items()):
        run_id = f"{drill_id}-{n}"
        write_run(directory / f"{entry}-{run_id}", journal(run_id, entry, started + 60 * n, **figure))  # type: ignore[arg-type]
        entries.append(EntryRun(entry=entry, index=n, run_dir=f"{entry}-{run_id}"))
    record = DrillRecord(
        drill_id=drill_id,
        suite_name=name,
        kind=kind,
        owner="platform-sre",
        suite_path=f"gameday/drills/{kind}.yaml",
        suite_text=suite_text(name, kind, chosen),
        scale=0.4,
        started_at=started,
        ended_at=started + 600,
        status=DrillStatus.FINISHED,
        entries=entries,
    )
    write_record(directory, record)
    write_items(directory, record, judged_entries(directory, record))  # as a drill does once it ends
    return directory


def build(runs_dir: Path) -> None:
    drill(
        runs_dir,
        "2025q4-full",
        at("2025Q4", 20),
        "full",
        {"full-blackout": {"failed": 40}, "cost-explosion": {"fault_cost": 3.0}},
    )
    for quarter in QUARTERS[:-1]:
        drill(
            runs_dir,
            f"{quarter.lower()}-c",
            at(quarter),
            "component",
            {
                "provider-outage": {"recover": 4.0},
                "rate-limit-storm": {"recover": 5.0, "failed": 1, "requests": 1000},
                "latency-spike": {"detect": 3.0, "recover": 6.0},
            },
        )
    for day, recover in ((5, 9.0), (15, 11.0), (25, 12.0)):
        drill(
            runs_dir,
            f"2026q4-c{day}",
            at("2026Q4", day),
            "component",
            {
                "provider-outage": {"recover": recover},
                "rate-limit-storm": {"recover": 5.0, "failed": 20, "requests": 1000},
            },
        )
