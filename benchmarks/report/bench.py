"""Rendering the reports of a one-hour game day: report.html, report.md with its charts,
and junit.xml, from the journal alone.

1. Writes the SLO benchmark's synthetic run (``benchmarks/slo/gameday.py``: one hour at
   300 req/s, 1.08 million requests, a primary outage with a slow secondary inside it),
   judges it (``load_run`` + ``evaluate``) and writes its journal, as ``chaos run`` does.
   Not timed: that is the SLO benchmark's.
2. In a fresh process (matplotlib and Jinja2 not yet imported, as in ``chaos report``),
   times reading the journal and ``write_reports`` in every format, and weighs the files.
   Targets: at most 3 s, and report.html under 2 MB whatever the run's length (the charts
   are drawn from per-second buckets binned to at most 600 points, never from records).
3. Baseline, in the same run: the same rendering of the first two minutes of the same
   game day, so the ratio says what an hour costs beyond a short run.

    python benchmarks/report/bench.py [--smoke] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "slo"))
import gameday
from chaos.rundir import RunDir

TARGET_SECONDS = 3.0
TARGET_HTML_MB = 2.0
SHORT_S = 120.0


def judge(directory: Path, duration: float, rate: float) -> None:
    """The run's journal, as ``chaos run`` writes it at the end (events and bills included)."""
    from chaos.journal import Journal, RunStatus, bills, write_journal
    from chaos.records import FaultEvent, LedgerRow, parse_record
    from chaos.slo.evaluate import evaluate
    from chaos.slo.loading import load_run

    scenario = gameday.scenario(duration, int(rate))
    evaluation = evaluate(scenario, load_run(directory, scenario))
    files = RunDir(directory)
    events = [e for e in map(parse_record, files.events.read_bytes().splitlines()) if isinstance(e, FaultEvent)]
    with files.ledger.open("rb") as stream:
        rows = [row for row in map(parse_record, stream) if isinstance(row, LedgerRow)]
    journal = Journal(
        verdict=evaluation.verdict.verdict,
        reason=evaluation.verdict.reason,
        exit_code=evaluation.verdict.exit_code,
        status=RunStatus.FINISHED,
        run_id="bench",
        scenario_name=scenario.name,
        scenario_path="benchmarks/slo/gameday.py",
        scenario_text="# built by benchmarks/slo/gameday.py\n",
        environment="local",
        started_at=gameday.T0,
        t0=gameday.T0,
        ended_at=gameday.T0 + evaluation.counts.horizon,
        versions={"chaos": "bench"},
        events=events,
        ledger=bills(scenario, rows),
        evaluation=evaluation,
    )
    write_journal(directory, journal)


def render_in_this_process(directory: Path) -> dict[str, float]:
    """Read the journal and write every report, timed: what ``chaos report`` does."""
    started = time.perf_counter()
    from chaos.report.files import load_journal, write_reports

    journal = load_journal(directory)
    read = time.perf_counter()
    written = write_reports(journal, directory)
    done = time.perf_counter()
    files = RunDir(directory)
    return {
        "read_s": read - started,
        "render_s": done - read,
        "total_s": done - started,
        "journal_kb": files.journal.stat().st_size / 1024,
        "html_kb": files.report_html.stat().st_size / 1024,
        "md_kb": sum(path.stat().st_size for path in written if path.suffix in (".md", ".svg")) / 1024,
        "junit_kb": files.junit.stat().st_size / 1024,
        "seconds": len(journal.evaluation.buckets.t) if journal.evaluation else 0,
    }


def measure(directory: Path, duration: float, rate: float) -> dict[str, float]:
    if not RunDir(directory).journal.is_file():
        started = time.perf_counter()
        count = gameday.write_run(directory, duration=duration, rate=rate)
        judge(directory, duration, rate)
        print(f"wrote and judged {count:,} requests ({duration:g}s) in {time.perf_counter() - started:.1f}s")
    child = subprocess.run(
        [sys.executable, __file__, "--render", str(directory)], check=True, capture_output=True, text=True
    )
    figures: dict[str, float] = json.loads(child.stdout)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="ten minutes of load instead of an hour")
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--keep", type=Path, default=None, help="write (or reuse) the run directories here")
    parser.add_argument("--render", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render is not None:
        print(json.dumps(render_in_this_process(args.render)))
        return 0
    duration = 600.0 if args.smoke else 3600.0
    rate = 30.0 if args.smoke else args.rate
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        short = measure(root / "short", SHORT_S, rate)
        long = measure(root / "long", duration, rate)
    for label, figures in (("baseline, 2 minutes", short), (f"{duration / 60:g} minutes", long)):
        print(
            f"{label}: {figures['seconds']:,.0f} s of buckets, journal {figures['journal_kb']:,.0f} KB; "
            f"read {figures['read_s']:.2f}s + render {figures['render_s']:.2f}s = {figures['total_s']:.2f}s; "
            f"report.html {figures['html_kb']:,.0f} KB, report.md + charts {figures['md_kb']:,.0f} KB, "
            f"junit.xml {figures['junit_kb']:,.0f} KB"
        )
    total, html_mb = long["total_s"], long["html_kb"] / 1024
    print(f"render the whole run: {total:.2f}s (target <= {TARGET_SECONDS:g}s) {_ok(total <= TARGET_SECONDS)}")
    print(f"report.html {html_mb:.2f} MB (target < {TARGET_HTML_MB:g} MB) {_ok(html_mb < TARGET_HTML_MB)}")
    print(
        f"against the 2-minute baseline: {total / short['total_s']:.2f}x the time, "
        f"{long['html_kb'] / short['html_kb']:.2f}x the HTML"
    )
    return 0 if html_mb < TARGET_HTML_MB else 1  # size is deterministic; time is the machine's


def _ok(met: bool) -> str:
    return "ok" if met else "OVER TARGET"


if __name__ == "__main__":
    sys.exit(main())
