"""The janitor: reverts the faults of runs whose lease lapsed (``chaos janitor``).

``sweep`` holds what is reverted and what never is; ``serve`` runs the sweeps and the
janitor's own ``/healthz`` and ``/metrics``."""

from chaos.janitor.sweep import Janitor, Reverted

__all__ = ["Janitor", "Reverted"]
