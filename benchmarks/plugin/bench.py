"""What the pytest plugin costs a test session, and that it never imports Locust or gevent.

Every session in an environment with chaos-llm installed loads the plugin (its ``pytest11``
entry point), whether or not a test uses it. Timed as fresh processes, interleaved,
medians compared, bytecode cached as a user's is:

- import: ``python -c "import pytest"`` against ``import pytest, chaos.pytest_plugin.plugin``;
- a session that does not use the plugin: ``pytest`` on one plain test, with the plugin
  and with ``-p no:chaos``;
- a session whose one test uses ``chaos_providers`` (the providers started in the test
  process, the SDK variables set), against the plain session;
- for scale, ``python -c "import locust"``: what the plugin would cost if it imported Locust.

Each process also says whether ``locust`` or ``gevent`` was imported; any is a failure.

    python benchmarks/plugin/bench.py [--smoke] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
# Whether a process imported Locust or gevent, said on its last line.
REPORT = "import sys; print('imported:', sorted({m.split('.')[0] for m in sys.modules} & {'locust', 'gevent'}))"
PLAIN_TEST = f"""
def test_plain():
    pass

def test_zz_report():
    {REPORT.replace("; ", chr(10) + "    ")}
"""
FIXTURE_TEST = f"""
def test_uses_the_providers(chaos_providers):
    assert chaos_providers.urls

def test_zz_report():
    {REPORT.replace("; ", chr(10) + "    ")}
"""
MAX_PLUGIN_IMPORT_MS = 50  # the plugin module alone, beyond pytest


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=cwd, env=ENV)
    return time.perf_counter() - started, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    runs = args.runs or (3 if args.smoke else 15)
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        (here / "test_plain.py").write_text(PLAIN_TEST)
        (here / "test_fixture.py").write_text(FIXTURE_TEST)
        pytest_cmd = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"]
        commands = {
            "import pytest": [sys.executable, "-c", f"import pytest; {REPORT}"],
            "import pytest + the plugin": [
                sys.executable,
                "-c",
                f"import pytest, chaos.pytest_plugin.plugin; {REPORT}",
            ],
            "import locust (for scale)": [sys.executable, "-c", "import locust; print('imported: (not asked)')"],
            "session, plugin off (-p no:chaos)": [*pytest_cmd, "-p", "no:chaos", "test_plain.py"],
            "session, plugin loaded, unused": [*pytest_cmd, "test_plain.py"],
            "session using chaos_providers": [*pytest_cmd, "test_fixture.py"],
        }
        for command in commands.values():
            timed(command, here)  # warm the page cache and bytecode
        times: dict[str, list[float]] = {name: [] for name in commands}
        imported: dict[str, str] = {}
        for _ in range(runs):
            for name, command in commands.items():
                seconds, output = timed(command, here)
                times[name].append(seconds)
                said = next(line for line in output.splitlines() if "imported: " in line)
                imported[name] = said.split("imported: ", 1)[1]
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    print(f"runs: {runs} (medians, fresh processes, interleaved)")
    for name, median in medians.items():
        said = "" if name.startswith("import locust") else f"  locust/gevent imported: {imported[name]}"
        print(f"  {name:<36} {median:7.0f} ms{said}")
    plugin_import = medians["import pytest + the plugin"] - medians["import pytest"]
    unused = medians["session, plugin loaded, unused"] - medians["session, plugin off (-p no:chaos)"]
    used = medians["session using chaos_providers"] - medians["session, plugin loaded, unused"]
    print(f"the plugin's import: {plugin_import:+.0f} ms (target <= {MAX_PLUGIN_IMPORT_MS} ms)")
    print(f"a session that does not use it: {unused:+.0f} ms")
    print(f"a session whose test uses chaos_providers: {used:+.0f} ms (providers imported and started)")
    leaked = [name for name, said in imported.items() if not name.startswith("import locust") and said != "[]"]
    if leaked:
        print(f"FAILED: locust or gevent imported by: {', '.join(leaked)}")
        return 1
    print("locust/gevent: never imported" + (" (over target)" if plugin_import > MAX_PLUGIN_IMPORT_MS else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
