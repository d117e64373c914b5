"""Dying with one's parent (Linux ``PR_SET_PDEATHSIG``), even when the parent is SIGKILLed.

Kept apart from ``processes.py`` so that a Locust worker can import it cheaply: a
parent-death signal is cleared by ``fork()``, so the workers Locust forks from its master
must set their own.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> None:
    """SIGKILL this process when its parent (pid ``parent``, by default the current one)
    dies; run it first thing in a new child."""
    parent = os.getppid() if parent is None else parent
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
