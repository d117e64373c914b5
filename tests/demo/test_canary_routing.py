"""The reference gateway's weighted routing for a canary: a share of requests asks the
candidate model first, the rest the baseline; share 0 rolls back; and the two breaks that
prove a canary scenario catches a rollout that does not take."""

from __future__ import annotations

import random

import pytest

from chaos.demo.gateway.canary import BadRoute, CanaryRouting
from chaos.demo.gateway.config import Break, GatewayConfig, ProviderConfig

PRIMARY = ProviderConfig("primary", "anthropic", "http://127.0.0.1:1", "claude-sonnet", "k")
SECONDARY = ProviderConfig("secondary", "openai", "http://127.0.0.1:2/v1", "gpt-4o", "k")
ROUTE = {"provider": "primary", "model": "claude-sonnet@2026-11", "baseline": "claude-sonnet@2026-09"}


def routing(broken: Break | None = None) -> CanaryRouting:
    config = GatewayConfig(providers=(PRIMARY, SECONDARY), port=1, broken=broken)
    return CanaryRouting(config, random.Random(3))


def chains(canary: CanaryRouting, n: int) -> list[list[tuple[str, str]]]:
    return [[(p.name, p.model) for p in canary.chain([PRIMARY, SECONDARY])] for _ in range(n)]


def test_a_share_of_requests_asks_the_candidate_first_and_the_rest_the_pinned_baseline() -> None:
    canary = routing()
    canary.update({**ROUTE, "share": "25"})
    seen = chains(canary, 2000)
    candidate = [("primary", "claude-sonnet@2026-11"), ("secondary", "gpt-4o")]
    baseline = [("primary", "claude-sonnet@2026-09"), ("secondary", "gpt-4o")]
    assert {tuple(chain) for chain in seen} == {tuple(candidate), tuple(baseline)}
    share = sum(chain == candidate for chain in seen) / len(seen)
    assert 0.22 < share < 0.28  # 25% of 2,000 draws: sd ~1 point
    assert canary.view() == {"share": 25.0, **ROUTE}


def test_share_zero_rolls_back_and_no_route_leaves_the_chain_as_it_is() -> None:
    canary = routing()
    assert chains(canary, 1) == [[("primary", "claude-sonnet"), ("secondary", "gpt-4o")]]
    canary.update({**ROUTE, "share": "50"})
    canary.update({**ROUTE, "share": "0"})
    assert {tuple(chain) for chain in chains(canary, 200)} == {
        (("primary", "claude-sonnet@2026-09"), ("secondary", "gpt-4o"))
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({**ROUTE, "share": "101"}, "share: a percentage, 0 to 100"),
        ({**ROUTE, "share": "ten"}, "share: a percentage, 0 to 100"),
        ({**ROUTE, "share": "5", "provider": "tertiary"}, "provider: one of primary, secondary"),
        ({"provider": "primary", "share": "5"}, "model: the candidate model"),
    ],
)
def test_a_route_the_gateway_cannot_take_is_refused_with_the_reason(query: dict[str, str], message: str) -> None:
    with pytest.raises(BadRoute, match=message):
        routing().update(query)


def test_the_breaks_acknowledge_a_share_and_do_not_apply_it() -> None:
    never = routing(Break.CANARY_ROUTING)
    never.update({**ROUTE, "share": "100"})
    assert never.view() == {"share": 0}
    stuck = routing(Break.CANARY_ROLLBACK)
    stuck.update({**ROUTE, "share": "25"})
    stuck.update({**ROUTE, "share": "0"})
    assert stuck.view()["share"] == 25.0
