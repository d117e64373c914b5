"""Index 10,000 run journals into the drill history and render a quarterly report over them.

Writes 2,500 drills of the component suite's four scenarios over five quarters (each run
a copy of ``journal-template.json``, a real ``--scale 0.4`` provider-outage journal of
32 KB, its id, date and response times changed), then times, in this process,
``chaos drill reindex`` (every journal and drill record read, judged, indexed in one
transaction) and the 2026Q4 report rendered as HTML and Markdown. Target: 10 s in all.

    python benchmarks/history/bench.py [--smoke] [--journals N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from chaos.drill.record import DRILLS_DIR, DrillRecord, DrillStatus, EntryRun, write_record  # noqa: E402
from chaos.drill.reindex import reindex  # noqa: E402
from chaos.drill.report_files import write_quarter_report  # noqa: E402
from chaos.rundir import RunDir  # noqa: E402

TARGET_S = 10.0
TEMPLATE = json.loads((Path(__file__).with_name("journal-template.json")).read_text(encoding="utf-8"))
SUITE = ROOT / "gameday" / "drills" / "component.yaml"
ENTRIES = ("provider-outage", "rate-limit-storm", "latency-spike", "quality-regression")
QUARTER_MONTHS = ((2025, 11), (2026, 2), (2026, 5), (2026, 8), (2026, 11))


def write_history(runs_dir: Path, journals: int) -> None:
    suite_text = SUITE.read_text(encoding="utf-8")
    drills = journals // len(ENTRIES)
    for number in range(drills):
        year, month = QUARTER_MONTHS[number * len(QUARTER_MONTHS) // drills]
        started = datetime(year, month, 1 + number % 28, 12, tzinfo=UTC).timestamp()
        drill_id = f"d{number:05d}"
        directory = runs_dir / DRILLS_DIR / f"quarterly-component-{drill_id}"
        directory.mkdir(parents=True)
        entries = []
        for position, entry in enumerate(ENTRIES):
            run_id = f"{drill_id}-{position}"
            run_dir = directory / f"{entry}-{run_id}"
            run_dir.mkdir()
            journal = dict(TEMPLATE, run_id=run_id, scenario_name=entry, started_at=started + 60 * position)
            evaluation = journal["evaluation"]
            responses = [dict(r, recover=float(number % 13), detect=float(number % 5)) for r in evaluation["responses"]]
            journal["evaluation"] = dict(evaluation, responses=responses)
            RunDir(run_dir).journal.write_text(json.dumps(journal), encoding="utf-8")
            entries.append(EntryRun(entry=entry, index=position, run_dir=run_dir.name))
        record = DrillRecord(
            drill_id=drill_id,
            suite_name="quarterly-component",
            kind="component",
            owner="platform-sre",
            suite_path=str(SUITE),
            suite_text=suite_text,
            scale=0.4,
            started_at=started,
            ended_at=started + 300,
            status=DrillStatus.FINISHED,
            entries=entries,
        )
        write_record(directory, record)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="200 journals: seconds, figure not judged")
    parser.add_argument("--journals", type=int, default=None)
    args = parser.parse_args()
    journals = args.journals or (200 if args.smoke else 10_000)
    with tempfile.TemporaryDirectory(prefix="chaos-history-bench-") as temporary:
        runs_dir = Path(temporary) / "runs"
        started = time.perf_counter()
        write_history(runs_dir, journals)
        print(f"wrote {journals} journals in {journals // len(ENTRIES)} drills: {time.perf_counter() - started:.1f}s")
        history = runs_dir / "history.sqlite"
        started = time.perf_counter()
        done = reindex(runs_dir, history)
        indexed = time.perf_counter() - started
        started = time.perf_counter()
        files = write_quarter_report(history, "2026Q4", [SUITE], runs_dir / "reports" / "2026Q4")
        rendered = time.perf_counter() - started
        total = indexed + rendered
        size = sum(path.stat().st_size for path in files)
        print(f"reindex: {done.runs} runs, {done.drills} drills in {indexed:.2f}s")
        print(f"quarterly report 2026Q4 (html + md, {size // 1024} KiB): {rendered:.2f}s")
        verdict = "ok" if total <= TARGET_S else "OVER TARGET"
        print(f"total: {total:.2f}s (target <= {TARGET_S:g}s for 10,000 journals) {verdict}")
        if done.runs != journals or done.skipped:
            print(f"expected {journals} runs, skipped: {done.skipped[:3]}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
