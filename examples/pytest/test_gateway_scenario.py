"""A whole scenario as a test: `chaos run` against a gateway, judged by its verdict.

The marker runs the scenario before the test and fails it, with the verdict table and the
run directory, unless the verdict is pass; the test then reads what it wants from the
result. The run directory and its reports are under pytest's tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SCENARIO = Path(__file__).parent / "gateway-outage.yaml"


@pytest.mark.chaos_scenario(SCENARIO)
def test_the_gateway_fails_over_while_its_primary_is_down(chaos_scenario):
    availability = {r.segment: r.verdict.value for r in chaos_scenario.slos if r.slo == "availability"}
    assert availability == {"baseline": "pass", "primary-down": "pass", "recovery": "pass"}
    assert [e.verdict.value for e in chaos_scenario.expectations] == ["pass"]
    assert (chaos_scenario.run_dir / "journal.json").exists()
