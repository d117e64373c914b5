"""``chaos reset``: clear what a run left behind, and only that (or everything, on request).

A run that was killed cannot restore its faults. Provider behaviours expire by their
TTL anyway; Toxiproxy has no TTL, so its toxics, and proxies the run disabled (listed in
its lease, and marked: see ``chaos.faults.network``), stay until reset. Scoped to one
run, reset touches nothing of another's: the server-wide Toxiproxy ``/reset`` would wipe
every team's toxics in a shared staging.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from chaos.envrefs import resolve
from chaos.errors import ChaosError
from chaos.faults import proxies_disabled_by
from chaos.providers.admin_client import AdminClient
from chaos.toxiproxy.client import ToxiproxyClient


def urls_from(
    scenario: Path | None, *, toxiproxy: str | None, providers_admin: str | None
) -> tuple[str | None, str | None]:
    """The admin and Toxiproxy URLs: flags first, then the scenario's ``stack:``."""
    if scenario is not None:
        from chaos.scenario.loading import load_scenario

        stack = load_scenario(scenario).scenario.stack
        toxiproxy = toxiproxy or (resolve(stack.toxiproxy, os.environ) if stack.toxiproxy else None)
        providers_admin = providers_admin or (
            resolve(stack.providers_admin, os.environ) if stack.providers_admin else None
        )
    if toxiproxy is None and providers_admin is None:
        raise ChaosError(
            "nothing to reset: give --toxiproxy and/or --providers-admin, or a --scenario whose stack: names them",
            hint="a local run's stack dies with the run; reset is for environments started separately (staging)",
        )
    return providers_admin, toxiproxy


async def reset_environment(
    admin_url: str | None,
    toxiproxy_url: str | None,
    *,
    run_id: str | None,
    force: bool = False,
    admin_token: str | None = None,
) -> list[str]:
    """Clear a run's leftovers (``run_id``), or everything (None); returns what was done.

    The lease of the run (or, for everything, whoever holds it) is broken only with
    ``force``: only its token releases a lease, and a run that dies lets it lapse within
    its TTL by itself. A live run whose lease is broken stops and ends aborted.
    """
    done: list[str] = []
    disabled: list[str] = []
    if admin_url is not None:
        async with AdminClient(admin_url, token=admin_token) as admin:
            lease = await admin.lease()
            if run_id is None:
                await admin.reset()
                done.append(f"providers at {admin_url}: every behaviour cleared")
            else:
                await admin.delete_run_behaviours(run_id)
                done.append(f"providers at {admin_url}: behaviours of run {run_id} cleared")
            if lease is not None and (run_id is None or lease.run == run_id):
                disabled = list(lease.proxies)
                if force:
                    await admin.break_lease()
                    done.append(f"lease of run {lease.run} broken")
                else:
                    left = max(0.0, lease.expires_at - time.time())
                    done.append(
                        f"lease of run {lease.run} kept: it lapses by itself within {left:.0f} s unless the run "
                        "is alive (--force breaks it now)"
                    )
    if toxiproxy_url is not None:
        async with ToxiproxyClient(toxiproxy_url) as toxiproxy:
            if run_id is None:
                await toxiproxy.reset()
                done.append(f"toxiproxy at {toxiproxy_url}: every toxic removed, every proxy enabled")
            else:
                # The lease lists what the run disabled while it holds it; the marks say so for ever.
                marked = await proxies_disabled_by(toxiproxy, run_id)
                scoped = await toxiproxy.reset_run(run_id, enable=sorted({*disabled, *marked}))
                done.append(
                    f"toxiproxy at {toxiproxy_url}: {len(scoped.removed)} toxics of run {run_id} removed"
                    + (f", proxies re-enabled: {', '.join(scoped.enabled)}" if scoped.enabled else "")
                )
    return done
