"""A run's lease against a real providers admin API, on a clock the test turns: each way of
losing it is told (taken by another run, broken, not renewed for its TTL), and an admin
API silent for less than the TTL is only a failed heartbeat."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos.errors import EnvironmentProblem
from chaos.providers.admin_client import AdminClient
from chaos.run.lease import LEASE_TTL_S, LeaseLost, RunLease
from chaos.stack.processes import terminate
from tests.providers.conftest import CONFIG, start_providers


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def providers(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A providers process of the test's own (the test may stop it): (admin URL, process)."""
    process, ready = start_providers(tmp_path, CONFIG)
    try:
        yield str(ready["admin"]), process
    finally:
        terminate(process, grace=10)


async def test_a_lease_broken_and_taken_by_another_run_is_lost_naming_the_holder(
    providers: tuple[str, subprocess.Popen[bytes]],
) -> None:
    admin_url, _ = providers
    async with AdminClient(admin_url) as admin, AdminClient(admin_url) as other:
        lease = RunLease(admin, "r1", clock=Clock())
        await lease.take()
        await lease.renew()  # its own token renews it
        assert lease.lost is None
        assert await other.break_lease() == "r1"
        await other.take_lease("thief", ttl_s=30, proxies=[])
        reason = "the lease was lost: run thief holds the environment now"
        with pytest.raises(LeaseLost, match=reason):
            await lease.renew()
        assert lease.lost == reason
        with pytest.raises(LeaseLost, match=reason):  # lost for good
            await lease.renew()
        await lease.release()  # another run's now: left alone
        held = await other.lease()
        assert held is not None
        assert held.run == "thief"


async def test_a_broken_lease_that_nobody_took_is_lost_too(providers: tuple[str, subprocess.Popen[bytes]]) -> None:
    admin_url, _ = providers
    async with AdminClient(admin_url) as admin:
        lease = RunLease(admin, "r1", clock=Clock())
        await lease.take()
        assert await admin.break_lease() == "r1"  # chaos reset --force
        with pytest.raises(LeaseLost, match=r"it lapsed or was broken \(chaos reset --force\)"):
            await lease.renew()
        assert await admin.lease() is None  # not quietly taken again


async def test_a_silent_admin_api_fails_heartbeats_until_the_ttl_then_the_lease_is_lost(
    providers: tuple[str, subprocess.Popen[bytes]],
) -> None:
    admin_url, process = providers
    clock = Clock()
    async with AdminClient(admin_url, timeout=2.0) as admin:
        lease = RunLease(admin, "r1", clock=clock)
        await lease.take()
        assert terminate(process, grace=10) == 0
        clock.now += LEASE_TTL_S - 0.5
        with pytest.raises(EnvironmentProblem) as failed:  # a failed heartbeat, not yet a lost lease
            await lease.renew()
        assert not isinstance(failed.value, LeaseLost)
        assert lease.lost is None
        clock.now += 0.5
        with pytest.raises(LeaseLost, match=f"the lease was lost: not renewed for {LEASE_TTL_S:g} s"):
            await lease.renew()
        assert lease.lost is not None
