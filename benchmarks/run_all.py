"""Run every benchmark (``benchmarks/*/bench.py``), or each in its short smoke mode.

    python benchmarks/run_all.py [--smoke] [NAME ...]

Each benchmark prints its own figures; this exits non-zero if any of them failed to run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="seconds per benchmark, to keep them from rotting")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("*/bench.py"))
    if args.names:
        scripts = [script for script in scripts if script.parent.name in args.names]
    failed = []
    for script in scripts:
        name = script.parent.name
        print(f"== {name}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script), *(["--smoke"] if args.smoke else [])], check=False)
        print(f"== {name}: exit {result.returncode} in {time.monotonic() - started:.1f}s", flush=True)
        if result.returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
