"""Trend charts of the quarterly report: one per figure, a line per scenario over the
quarters, drawn by matplotlib as inline SVG in the style of the run report's charts.

A median of ``never`` (inf) cannot be drawn on a linear axis: it is left out of its line
and marked with a cross at the top of the chart (the table beside says ``never``).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chaos.drill.quarterly import MEASURE_WORDS, Trend
from chaos.report.charts import STYLE
from chaos.report.view import Chart

if TYPE_CHECKING:
    pass

_UNITS = {
    "detect": "seconds",
    "mitigate": "seconds",
    "recover": "seconds",
    "failed": "requests",
    "availability": "percent",
    "extra_cost": "USD",
}


def trend_chart(measure: str, quarters: Sequence[str], trends: Sequence[Trend]) -> Chart:
    import matplotlib as mpl
    from matplotlib.figure import Figure

    with mpl.rc_context(STYLE), mpl.rc_context({"svg.hashsalt": f"trend-{measure}"}):
        figure = Figure(figsize=(9.0, 2.8), layout="constrained")
        axes = figure.add_subplot()
        x = list(range(len(quarters)))
        finite = [v for trend in trends for v in trend.medians if v is not None and not math.isinf(v)]
        top = max(finite, default=1.0) or 1.0
        for trend in trends:
            scale = 100.0 if measure == "availability" else 1.0
            ys = [None if v is None or math.isinf(v) else v * scale for v in trend.medians]
            (line,) = axes.plot(x, [math.nan if y is None else y for y in ys], marker="o", label=trend.entry)
            never = [i for i, v in enumerate(trend.medians) if v is not None and math.isinf(v)]
            if never:
                axes.plot(never, [top * scale * 1.1] * len(never), "x", color=line.get_color(), markersize=9)
        axes.set_xticks(x, list(quarters))
        axes.set_ylabel(_UNITS[measure])
        figure.legend(loc="outside right upper")
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    caption = "Median per quarter of the drills' runs; a cross at the top: never (did not happen within the run)."
    return Chart(
        f"trend-{measure}", f"{MEASURE_WORDS[measure].capitalize()}, by quarter", svg[svg.index("<svg") :], caption
    )
