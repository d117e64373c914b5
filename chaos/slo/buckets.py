"""Per-second series for the live view and the reports' charts.

Requests are counted in the second where the table judges them (``chaos.slo.placement``):
requests, failures and latencies where SLO ratios place them, who served and degraded
answers where shares place them; billed cost in the second the provider received the
call; quantiles are exact nearest ranks over the successful requests of each second.
"""

from __future__ import annotations

import math

import numpy as np

from chaos.kinds import RequestKind
from chaos.scenario.objectives import LatencyMetric
from chaos.slo.data import KIND_CODE, Floats, Ints
from chaos.slo.frame import Frame
from chaos.slo.results import Buckets
from chaos.slo.sli import latency_values


def grouped_nearest_rank(groups: Ints, values: Floats, count: int, percentiles: tuple[float, ...]) -> list[Floats]:
    """For each group ``0 .. count - 1``, the nearest-rank percentiles of its finite values
    (NaN when it has none)."""
    finite = np.isfinite(values)
    groups, values = groups[finite], values[finite]
    # One sort by (group, value): the group scaled past the values' range, plus the value
    # (exact for values kept to the microsecond, as offsets are).
    low = float(values.min()) if len(values) else 0.0
    scale = float(values.max()) - low + 1 if len(values) else 1.0
    ordered = values[np.argsort(groups * scale + (values - low))]
    sizes = np.bincount(groups, minlength=count)[:count]
    starts = np.cumsum(sizes) - sizes
    out = []
    for percentile in percentiles:
        rank = np.maximum(1, np.ceil(sizes * (percentile / 100) - 1e-9).astype(np.int64))
        index = np.minimum(starts + rank - 1, max(len(ordered) - 1, 0))
        out.append(np.where(sizes > 0, ordered[index] if len(ordered) else np.nan, np.nan))
    return out


def build_buckets(frame: Frame) -> Buckets:
    count = max(1, math.ceil(frame.horizon))
    requests = frame.requests
    second = np.clip(np.floor(frame.placed).astype(np.int64), 0, count - 1)
    share_second = np.clip(np.floor(frame.share_placed).astype(np.int64), 0, count - 1)

    def per_second(mask: np.ndarray, at: Ints = second) -> list[int]:
        return [int(n) for n in np.bincount(at[mask], minlength=count)[:count]]

    ok = ~requests.failed
    streams = ok & (requests.kind == KIND_CODE[RequestKind.CHAT_STREAM.value])
    ttft = grouped_nearest_rank(
        second[streams], latency_values(LatencyMetric.TTFT, requests)[streams], count, (50.0, 95.0)
    )
    e2e = grouped_nearest_rank(second[ok], latency_values(LatencyMetric.E2E, requests)[ok], count, (50.0, 95.0, 99.0))
    ledger = frame.ledger
    row_second = np.clip(np.floor(ledger.t).astype(np.int64), 0, count - 1)
    cost = np.bincount(row_second, weights=frame.ledger_cost, minlength=count)[:count]
    return Buckets(
        t=list(range(count)),
        requests=per_second(np.ones(len(requests), dtype=np.bool_)),
        failures=per_second(requests.failed),
        degraded=per_second(requests.degraded, share_second),
        ttft_p50=_optional(ttft[0]),
        ttft_p95=_optional(ttft[1]),
        e2e_p50=_optional(e2e[0]),
        e2e_p95=_optional(e2e[1]),
        e2e_p99=_optional(e2e[2]),
        served_by_target=_served(frame, share_second, count, ledger=False),
        served_by_ledger=_served(frame, share_second, count, ledger=True),
        cost_usd=[float(x) for x in cost],
        faults=[_active(frame, t) for t in range(count)],
    )


def _served(frame: Frame, second: Ints, count: int, *, ledger: bool) -> dict[str, list[int]]:
    codes = frame.served_codes(ledger=ledger)
    series = {}
    for code, name in enumerate(frame.served_names):
        mask = codes == code
        if mask.any():
            series[name] = [int(n) for n in np.bincount(second[mask], minlength=count)[:count]]
    return series


def _active(frame: Frame, t: int) -> list[str]:
    return [window.fault for window in frame.windows if window.start <= t < window.end]


def _optional(values: Floats) -> list[float | None]:
    return [None if math.isnan(value) else float(value) for value in values]
