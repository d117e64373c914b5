"""The providers' admin API against a browser page and a stranger on the host: a page
cannot wipe a run's faults or its ledger (as it cannot with Toxiproxy's API), and with
``CHAOS_ADMIN_TOKEN`` set nothing but a health check or a scrape gets in without it. A
staging stack started with the token (as the README has an operator start it) takes runs
that hold it in their environment, and no other."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chaos.kinds import FaultAction
from chaos.providers.admin_client import AdminClient, AdminRefused
from chaos.providers.admin_models import ADMIN_TOKEN_ENV
from chaos.stack.processes import terminate
from tests.providers.conftest import CONFIG, JSON, Mock, start_providers
from tests.providers.test_faults import chat
from tests.run.conftest import StagingStack, launch_staging
from tests.run.harness import FALLBACK, chaos_cli, chaos_run, restored_every_injection, start_run

TOKEN = "admin-token-for-the-test"


def wipe_attempts(admin: str) -> list[tuple[str, httpx.Response]]:
    """What a page can send without asking first (text/plain, a form), and with an Origin."""
    evil = {"Origin": "http://evil.example"}
    return [
        ("text/plain from a page", httpx.post(f"{admin}/reset?ledger=true", content=b"x", headers=evil)),
        ("a form", httpx.post(f"{admin}/reset?ledger=true", data={"ledger": "true"})),
        ("JSON with an Origin", httpx.post(f"{admin}/reset?ledger=true", headers={**JSON, **evil})),
        ("a delete with an Origin", httpx.delete(f"{admin}/behaviours", params={"run": "r1"}, headers=evil)),
        ("a put as text", httpx.put(f"{admin}/behaviours/x", content=b'{"provider": "oai", "hang": {}}')),
    ]


def test_a_cross_origin_reset_is_refused_and_the_runs_faults_and_ledger_stay(mock: Mock) -> None:
    mock.behave("chaos-r1-outage", "oai", "http_error", {"status": 503})
    chat(mock, "oai")
    for what, answer in wipe_attempts(mock.admin):
        assert answer.status_code in (403, 415), (what, answer.text)
        assert "error" in answer.json()
    assert [b["name"] for b in httpx.get(f"{mock.admin}/behaviours").json()["behaviours"]] == ["chaos-r1-outage"]
    assert len(mock.ledger()) == 1
    # Reads carry no risk and stay open to a page's fetch (which cannot read the answer cross-origin anyway).
    assert httpx.get(f"{mock.admin}/ledger", headers={"Origin": "http://evil.example"}).status_code == 200


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[str]:
    """A providers process started with ``CHAOS_ADMIN_TOKEN`` in its environment."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ADMIN_TOKEN_ENV, TOKEN)
        process, ready = start_providers(tmp_path, CONFIG)
    try:
        yield str(ready["admin"])
    finally:
        assert terminate(process, grace=10) == 0


async def test_with_an_admin_token_set_nothing_but_health_and_metrics_is_answered_without_it(guarded: str) -> None:
    for method, path in (("GET", "/lease"), ("GET", "/ledger"), ("POST", "/reset"), ("PUT", "/lease")):
        answer = httpx.request(method, f"{guarded}{path}", headers=JSON, json={"run": "r", "ttl_s": 5})
        assert answer.status_code == 401, (method, path, answer.text)
        wrong = httpx.request(method, f"{guarded}{path}", headers={**JSON, "Authorization": "Bearer nope"})
        assert wrong.status_code == 401, (method, path)
    assert httpx.get(f"{guarded}/healthz").status_code == 200
    assert httpx.get(f"{guarded}/metrics").status_code == 200
    async with AdminClient(guarded) as stranger:
        with pytest.raises(AdminRefused, match="needs its token"):
            await stranger.take_lease("thief", ttl_s=30, proxies=[])
    async with AdminClient(guarded, token=TOKEN) as admin:
        assert (await admin.take_lease("r1", ttl_s=30, proxies=[])).run == "r1"
        assert (await admin.reset()).behaviours_cleared == 0


@pytest.mark.e2e
def test_a_local_runs_providers_answer_only_the_run(tmp_path: Path) -> None:
    """``chaos run`` gives the providers it starts a token of its own: nothing else on the
    host can switch its faults, not even a client that speaks JSON."""
    with start_run(FALLBACK, runs_dir=tmp_path / "runs") as run:
        journal = run.wait_for_t0()
        admin = journal.endpoints["providers_admin"]
        run.wait_for_event("primary-down", FaultAction.INJECT)
        wiped = httpx.post(f"{admin}/reset", params={"ledger": "true"}, headers=JSON)
        assert wiped.status_code == 401, wiped.text
        assert httpx.get(f"{admin}/behaviours").status_code == 401
        finished = run.finish()
    assert finished.code == 0, finished.explain()
    assert finished.journal.ledger["primary"].faults_applied


def test_chaos_reset_sends_the_admin_token_from_its_environment(guarded: str) -> None:
    refused = chaos_cli("reset", "--all", "--providers-admin", guarded)
    assert refused.returncode == 2, refused.stderr
    assert "needs its token" in refused.stderr
    assert "Traceback" not in refused.stderr
    done = chaos_cli("reset", "--all", "--providers-admin", guarded, env={ADMIN_TOKEN_ENV: TOKEN})
    assert done.returncode == 0, done.stderr
    assert "every behaviour cleared" in done.stdout


@pytest.fixture(scope="module")
def guarded_staging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StagingStack]:
    with launch_staging(tmp_path_factory.mktemp("guarded-staging"), admin_token=TOKEN) as stack:
        yield stack


@pytest.mark.e2e
def test_a_staging_run_needs_the_admin_token_and_sends_it_from_its_environment(
    guarded_staging: StagingStack, tmp_path: Path
) -> None:
    stack = guarded_staging
    stack.clear()
    without = {**stack.env(), ADMIN_TOKEN_ENV: ""}
    refused = chaos_run(FALLBACK, *stack.overrides(), runs_dir=tmp_path / "refused", env=without)
    assert refused.code == 2, refused.explain()
    assert "answered 401: this admin API needs its token: Authorization: Bearer $CHAOS_ADMIN_TOKEN" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert stack.leftovers().empty  # refused at preflight: no lease, no fault

    with start_run(FALLBACK, *stack.overrides(), runs_dir=tmp_path / "runs", env=stack.env()) as run:
        run.wait_for_event("primary-down", FaultAction.INJECT)
        # A stranger on the host, speaking JSON, without the token: neither the lease nor the faults.
        assert httpx.delete(f"{stack.admin_url}/lease", params={"force": "true"}, headers=JSON).status_code == 401
        assert httpx.post(f"{stack.admin_url}/reset", params={"ledger": "true"}, headers=JSON).status_code == 401
        finished = run.finish()
    assert finished.code == 0, finished.explain()
    assert finished.journal.ledger["primary"].faults_applied
    assert restored_every_injection(finished.events) == []
    assert stack.leftovers().empty  # the run restored and released through the token
    assert finished.run_dir is not None
    files = [path for path in finished.run_dir.rglob("*") if path.is_file()]
    holding = [str(path) for path in files if TOKEN.encode() in path.read_bytes()]
    assert holding == []  # the token is a secret too: never written in the run directory
