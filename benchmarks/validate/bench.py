"""Start-up cost of ``chaos validate`` on one scenario, against importing pydantic and yaml.

Both are timed as fresh processes, interleaved, in the same run; the figure is the ratio
of medians. Target: at most 4x (building the models alone costs about 2.5x). Both run as a
user's do, with their bytecode cached (``PYTHONDONTWRITEBYTECODE`` is dropped for them: with
it, every run would compile chaos's modules again while pydantic's come precompiled).

    python benchmarks/validate/bench.py [--smoke] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "provider-outage.yaml"
TARGET_RATIO = 4.0
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=ENV)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    runs = args.runs or (3 if args.smoke else 25)
    baseline_cmd = [sys.executable, "-c", "import pydantic, yaml"]
    validate_cmd = [sys.executable, "-m", "chaos", "validate", str(SCENARIO)]
    timed(validate_cmd)  # warm the page cache and bytecode
    baseline, validate = [], []
    for _ in range(runs):
        baseline.append(timed(baseline_cmd))
        validate.append(timed(validate_cmd))
    base, val = statistics.median(baseline), statistics.median(validate)
    ratio = val / base
    print(f"runs: {runs}")
    print(f"python -c 'import pydantic, yaml': median {base * 1000:.0f} ms")
    print(f"chaos validate provider-outage.yaml: median {val * 1000:.0f} ms")
    print(f"ratio: {ratio:.2f}x (target <= {TARGET_RATIO:g}x) {'ok' if ratio <= TARGET_RATIO else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
