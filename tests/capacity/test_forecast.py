"""A forecast from a hand-made measured run (tests/capacity/fixtures.py) gives the figures
computed by hand in each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.capacity.forecast import Forecast, forecast
from chaos.capacity.inputs import Case, load_forecast, load_prices
from chaos.capacity.measured import measure
from chaos.errors import ChaosError
from chaos.kinds import RequestKind
from tests.capacity.fixtures import PRICES, TRAFFIC, inputs, measured_run


@pytest.fixture
def result(tmp_path: Path) -> Forecast:
    run_dir = measured_run(tmp_path / "run")
    traffic, prices = inputs(tmp_path)
    return forecast(measure([run_dir]), load_forecast(traffic), load_prices(prices), prices_name="prices.yaml")


def test_per_kind_figures_are_the_normal_loads_calls_and_tokens_per_request(result: Forecast) -> None:
    stream = next(k for k in result.kinds if k.kind is RequestKind.CHAT_STREAM)
    chat = next(k for k in result.kinds if k.kind is RequestKind.CHAT)
    assert (stream.requests, chat.requests) == (2, 2)  # r5 in the warm-up is not measured
    primary, secondary = stream.providers
    assert (primary.calls, primary.input_tokens, primary.output_tokens) == (1.0, 50.0, 25.0)
    assert (secondary.calls, secondary.input_tokens, secondary.output_tokens) == (0.5, 50.0, 20.0)
    assert (primary.served_share, secondary.served_share) == (0.5, 0.5)
    # (50 x 10 + 25 x 20) / 1M and (50 x 1 + 20 x 2) / 1M
    assert primary.cost_usd == pytest.approx(0.001)
    assert secondary.cost_usd == pytest.approx(0.00009)
    assert (chat.providers[0].calls, chat.providers[0].input_tokens, chat.providers[0].served_share) == (0.5, 40, 0.5)
    assert stream.tokens_p99 == 150  # r1's 150 and r2's 140 tokens


def test_tokens_and_cost_per_day_and_month_per_case(result: Forecast) -> None:
    base = result.case(Case.BASE)
    assert base.requests_per_day == 22_500  # (10,000 + 5,000) x 1.5
    primary, secondary = base.providers
    assert primary.tokens_per_day == pytest.approx(15_000 * 75 + 7_500 * 50)  # 1,500,000
    assert secondary.tokens_per_day == pytest.approx(15_000 * 70)
    assert base.cost_per_day_usd == pytest.approx(15_000 * 0.00109 + 7_500 * 0.0006)  # 20.85
    assert base.cost_per_month_usd == pytest.approx(20.85 * 30)
    assert result.case(Case.BEST).cost_per_day_usd == pytest.approx(20.85 / 1.5)
    assert result.case(Case.WORST).tokens_per_day == pytest.approx(2 * (1_500_000 + 1_050_000) / 1.5)


def test_headroom_at_peak_against_each_quota(result: Forecast) -> None:
    primary = result.case(Case.BASE).providers[0]
    assert primary.peak_rpm == pytest.approx((15_000 + 7_500 * 0.5) / 1440 * 2)  # 26.04 calls a minute
    assert primary.headroom_rpm == pytest.approx(1 - 26.041666 / 20, abs=1e-6)  # over the quota: -30%
    assert primary.headroom_tpm == pytest.approx(1 - 1_500_000 / 1440 * 2 / 10_000)  # 79.2%
    secondary = result.case(Case.BASE).providers[1]
    assert (secondary.headroom_rpm, secondary.headroom_tpm) == (None, None)  # no quota known


def test_the_reserved_split_is_priced_at_the_providers_blended_list_price(result: Forecast) -> None:
    primary, secondary = result.case(Case.BASE).providers
    assert secondary.reservation is None  # no reserved terms offered
    reservation = primary.reservation
    assert reservation is not None
    # all burst: the month's list cost of the primary's tokens, 15,000 x 0.001 + 7,500 x 0.0006 a day
    assert reservation.month_all_burst_usd == pytest.approx((15 + 4.5) * 30)
    assert reservation.reserved_tpm % 100 == 0
    assert reservation.reserved_tpm > 0
    assert 0 < reservation.month_usd < reservation.month_all_burst_usd


def test_token_budgets_per_feature(result: Forecast) -> None:
    assistant = next(b for b in result.budgets if b.feature == "assistant")
    assert assistant.tokens_per_request == pytest.approx(145)  # 75 at the primary, 70 at the secondary
    assert assistant.tokens_per_request_cap == 150
    assert assistant.tokens_per_day[Case.WORST] == pytest.approx(10_000 * 2 * 145)
    assert assistant.worst_peak_tpm == pytest.approx(2_900_000 / 1440 * 2)


def test_runs_pool_their_requests(tmp_path: Path) -> None:
    runs = [measured_run(tmp_path / "a"), measured_run(tmp_path / "b")]
    pooled = measure(runs)
    assert pooled.kinds[RequestKind.CHAT_STREAM].requests == 4
    assert pooled.kinds[RequestKind.CHAT_STREAM].per_request("secondary") == (0.5, 50.0, 20.0)


def test_a_provider_the_sheet_does_not_price_is_an_error(tmp_path: Path) -> None:
    run_dir = measured_run(tmp_path / "run")
    traffic, prices = inputs(tmp_path, prices=PRICES.split("  secondary:")[0])
    with pytest.raises(ChaosError, match="does not price: secondary"):
        forecast(measure([run_dir]), load_forecast(traffic), load_prices(prices), prices_name="p")


def test_a_feature_of_a_kind_no_run_measured_is_an_error(tmp_path: Path) -> None:
    run_dir = measured_run(tmp_path / "run")
    traffic, prices = inputs(tmp_path, traffic=TRAFFIC.replace("kind: chat}", "kind: eval}"))
    with pytest.raises(ChaosError, match="did not measure: eval"):
        forecast(measure([run_dir]), load_forecast(traffic), load_prices(prices), prices_name="p")
