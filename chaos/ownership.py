"""What a run owns in an environment: everything it puts there is named after it.

A fault a run injects is named ``chaos-<run>-<fault>`` (a toxic, a provider behaviour, the
mark on a proxy it disabled), so that restoring or resetting one run touches that run's
things and nothing of another's, in a staging environment that several share.
"""

from __future__ import annotations


def run_prefix(run_id: str) -> str:
    """What the name of everything ``run_id`` puts into an environment starts with."""
    return f"chaos-{run_id}-"


def owned_name(run_id: str, name: str) -> str:
    return run_prefix(run_id) + name


def owned_by(run_id: str, name: str) -> bool:
    return name.startswith(run_prefix(run_id))
