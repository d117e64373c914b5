"""What a run killed with its console left behind, cleared when the game day resumes."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from chaos.errors import ChaosError
from chaos.journal import read_journal
from chaos.providers.admin_models import admin_token
from chaos.run.reset import reset_environment


async def restore_leftovers(run_dir: Path) -> str:
    """What a killed run left in its environment, cleared by its run id: in staging its
    toxics and behaviours stay; a local stack died with the console (and its faults with it)."""
    try:
        journal = read_journal(run_dir)
    except (OSError, ValueError):
        return "no journal: the run had not reached its stack, nothing to restore"
    admin, toxiproxy = journal.endpoints.get("providers_admin"), journal.endpoints.get("toxiproxy")
    if admin is None and toxiproxy is None:
        return "its stack never came up, nothing to restore"
    try:
        done = await reset_environment(admin, toxiproxy, run_id=journal.run_id, admin_token=admin_token(os.environ))
    except (ChaosError, OSError, httpx.HTTPError) as exc:
        return f"its stack is gone ({type(exc).__name__}), and its faults with it"
    return "; ".join(done)
