"""``python -m chaos.pytest_plugin.child PARENT ARGS...``: the ``chaos ARGS`` command, dying
with the test process PARENT even if that is killed.

The parent-death signal is set here, in the child, rather than by a ``preexec_fn``: the
test process has threads (the fixtures' loop), and code run between fork and exec in a
threaded process may deadlock on a lock another thread held.
"""

from __future__ import annotations

import sys

from chaos.stack.parent import die_with_parent


def main() -> None:
    die_with_parent(int(sys.argv[1]))
    from chaos.cli.main import main as chaos

    sys.exit(chaos(sys.argv[2:]))


if __name__ == "__main__":
    main()
