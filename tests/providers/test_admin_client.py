"""The typed admin client reads every answer of a real providers process into the models
the server writes them from (``chaos.providers.admin_models``)."""

from __future__ import annotations

import pytest

from chaos.errors import EnvironmentProblem
from chaos.providers.admin_client import AdminClient, AdminRefused, LeaseGone, LeaseHeld
from chaos.scenario.base import Api
from chaos.scenario.faults import FaultKind, HttpError, SlowFirstToken
from tests.providers.conftest import Mock
from tests.providers.test_faults import chat


async def test_behaviours_round_trip_as_the_scenario_specs_they_were_given(mock: Mock) -> None:
    spec = HttpError(status=503, rate=0.5, retry_after=0.25)
    async with AdminClient(mock.admin) as admin:
        stored = await admin.put_behaviour(
            "chaos-r1-outage", provider="oai", kind=FaultKind.HTTP_ERROR, spec=spec, run="r1", ttl_s=45
        )
        assert (stored.name, stored.provider, stored.kind, stored.run, stored.ttl_s) == (
            "chaos-r1-outage",
            "oai",
            FaultKind.HTTP_ERROR,
            "r1",
            45,
        )
        assert stored.spec == spec
        await admin.put_behaviour(
            "chaos-r2-slow",
            provider="anth",
            kind=FaultKind.SLOW_FIRST_TOKEN,
            spec=SlowFirstToken(delay=0.01),
            run="r2",
            ttl_s=45,
        )
        assert [b.name for b in await admin.behaviours()] == ["chaos-r1-outage", "chaos-r2-slow"]
        assert await admin.delete_run_behaviours("r2") == ["chaos-r2-slow"]
        assert await admin.delete_behaviour("chaos-r1-outage") is True
        assert await admin.delete_behaviour("chaos-r1-outage") is False  # restore is idempotent
        assert await admin.behaviours() == []


async def test_the_process_its_ledger_and_its_findings(mock: Mock) -> None:
    chat(mock, "oai")
    async with AdminClient(mock.admin) as admin:
        assert (await admin.health()).providers == 7
        listed = await admin.providers()
        assert [(p.name, p.api) for p in listed[:2]] == [("anth", Api.ANTHROPIC), ("oai", Api.OPENAI)]
        page = await admin.ledger()
        assert [row.provider for row in page.rows] == ["oai"]
        assert page.last_seq == page.rows[0].seq
        assert (await admin.ledger(after=page.last_seq)).rows == []
        assert await admin.findings() == []
        done = await admin.reset(ledger=True)
        assert (done.behaviours_cleared, done.ledger_cleared) == (0, True)
        assert (await admin.ledger()).rows == []


async def test_the_lease_its_token_and_who_holds_it(mock: Mock) -> None:
    async with AdminClient(mock.admin) as admin:
        assert await admin.lease() is None
        taken = await admin.take_lease("r1", ttl_s=30, proxies=["primary"])
        assert (taken.run, taken.proxies) == ("r1", ["primary"])
        assert taken.token not in repr(taken)  # a token never reaches a log line by a repr
        renewed = await admin.take_lease("r1", ttl_s=30, proxies=[], token=taken.token)
        assert (renewed.token, renewed.proxies) == (taken.token, [])
        seen = await admin.lease()
        assert seen is not None
        assert (seen.run, seen.acquired_at) == ("r1", taken.acquired_at)
        with pytest.raises(LeaseHeld) as held:
            await admin.take_lease("r2", ttl_s=30, proxies=[])
        assert held.value.holder == "r1"
        assert "leased by run r1" in held.value.message
        with pytest.raises(AdminRefused) as refused:
            await admin.release_lease("guessed")
        assert refused.value.status == 403
        assert await admin.release_lease(taken.token) is True
        assert await admin.release_lease(taken.token) is False


async def test_a_broken_lease_is_gone_for_its_holder(mock: Mock) -> None:
    async with AdminClient(mock.admin) as admin:
        taken = await admin.take_lease("r1", ttl_s=30, proxies=[])
        assert await admin.break_lease() == "r1"
        assert await admin.break_lease() is None
        with pytest.raises(LeaseGone):
            await admin.take_lease("r1", ttl_s=30, proxies=[], token=taken.token)


async def test_a_refusal_names_the_call_and_every_problem_and_no_answer_is_an_environment_problem(
    mock: Mock,
) -> None:
    async with AdminClient(mock.admin) as admin:
        with pytest.raises(AdminRefused) as refused:
            await admin.put_behaviour(
                "x", provider="nobody", kind=FaultKind.HTTP_ERROR, spec=HttpError(status=500), run="r", ttl_s=1
            )
        assert refused.value.status == 400
        assert "PUT /behaviours/x" in refused.value.message
        assert "provider: 'nobody' is not a provider here" in refused.value.message
    async with AdminClient("http://127.0.0.1:9", timeout=1.0) as nowhere:
        with pytest.raises(EnvironmentProblem, match="did not answer GET /healthz"):
            await nowhere.health()
