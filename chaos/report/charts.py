"""A run's charts, drawn from the journal's per-second buckets as inline SVG.

matplotlib draws them (the best-kept plotting library there is, with a vector backend
that needs no browser, no JavaScript and no raster library): each chart is a
``Figure`` printed by the SVG backend, never through pyplot's global state, with text
kept as text (smaller files, and the page's fonts). matplotlib is imported only when a
chart is drawn, so no other command pays for it.

Charts read buckets, never raw records, and a long run is binned to at most
``MAX_POINTS`` points: a one-hour run draws as fast, and weighs as little, as a
two-minute one. Sums (requests, failures, who served, cost) are added up per bin;
percentiles take the bin's worst second, so a spike is never averaged away. Every
fault's window, from its actual injection to its restore, is shaded and labelled.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from chaos.report.view import Chart
from chaos.slo.results import Buckets, BurnSeries, Evaluation

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

MAX_POINTS = 600
WIDTH_IN, HEIGHT_IN = 9.0, 2.8
_NAMED = {"failed": "#d62728", "degraded": "#7f7f7f"}  # who served: not a provider
_SHADES = ("#d62728", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f")
STYLE: dict[RcKeyType, Any] = {  # the look of every chart, run and quarterly reports alike
    "svg.fonttype": "none",  # text stays text
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": 8,
}
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Window:
    """A fault in effect, in seconds from t = 0."""

    fault: str
    start: float
    end: float


def fault_windows(evaluation: Evaluation) -> list[Window]:
    """Each fault from its actual injection to its restore (or the end of the judged timeline)."""
    end = evaluation.counts.horizon
    return [
        Window(r.fault, r.injected_at, r.restored_at if r.restored_at is not None else end)
        for r in evaluation.responses
    ]


@dataclass(frozen=True)
class Binned:
    """The buckets in bins of ``width`` seconds: ``x`` is each bin's first second."""

    width: int
    x: Floats

    @classmethod
    def over(cls, seconds: Sequence[int]) -> Binned:
        width = max(1, math.ceil(len(seconds) / MAX_POINTS))
        return cls(width, np.asarray(seconds[::width], dtype=np.float64))

    @classmethod
    def of(cls, buckets: Buckets) -> Binned:
        return cls.over(buckets.t)

    def total(self, values: Sequence[float]) -> Floats:
        array = np.asarray(values, dtype=np.float64)
        return np.add.reduceat(array, np.arange(0, len(array), self.width)) if len(array) else array

    def worst(self, values: Sequence[float | None]) -> Floats:
        """The highest value of each bin (NaN for a bin without one)."""
        array = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
        if not len(array):
            return array
        padded = np.full(math.ceil(len(array) / self.width) * self.width, math.nan)
        padded[: len(array)] = array
        grid = padded.reshape(-1, self.width)
        has = ~np.isnan(grid).all(axis=1)
        out = np.full(len(grid), math.nan)
        out[has] = np.nanmax(grid[has], axis=1)
        return out

    @property
    def per(self) -> str:
        return "per second" if self.width == 1 else f"in {self.width}-second bins"


def run_charts(evaluation: Evaluation) -> list[Chart]:
    """The run's charts; none for a run without a second of load."""
    buckets = evaluation.buckets
    if not buckets.t:
        return []
    import matplotlib as mpl  # here: only a report pays for matplotlib

    binned = Binned.of(buckets)
    windows = fault_windows(evaluation)
    with mpl.rc_context(STYLE):
        return [
            throughput(buckets, binned, windows),
            latency(buckets, binned, windows),
            served(buckets, binned, windows),
            cost(buckets, binned, windows),
            *(burn(slo, series, windows) for slo, series in _by_slo(evaluation.burn).items()),
        ]


def compare_charts(a: Evaluation, b: Evaluation) -> list[Chart]:
    """Run A's and run B's error rate and TTFT p95 on one time axis, A's fault windows shaded."""
    if not a.buckets.t or not b.buckets.t:
        return []
    import matplotlib as mpl

    longer = a.buckets if len(a.buckets.t) >= len(b.buckets.t) else b.buckets
    binned = Binned.of(longer)  # one bin width for both: their points line up
    windows = fault_windows(a)
    with mpl.rc_context(STYLE):
        errors, errors_axes = _figure()
        ttft, ttft_axes = _figure()
        for label, evaluation in (("A", a), ("B", b)):
            buckets = evaluation.buckets
            x = np.asarray(buckets.t[:: binned.width], dtype=np.float64)
            requests, failures = binned.total(buckets.requests), binned.total(buckets.failures)
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.where(requests > 0, failures / requests * 100, np.nan)
            errors_axes.plot(x, rate, label=f"run {label}", gid=f"compare-errors-series-{label.lower()}")
            ttft_axes.plot(
                x, binned.worst(buckets.ttft_p95), label=f"run {label}", gid=f"compare-ttft-series-{label.lower()}"
            )
        errors_axes.set_ylabel("error rate %")
        errors_axes.set_ylim(bottom=0)
        ttft_axes.set_ylabel("TTFT p95, seconds")
        ttft_axes.set_ylim(bottom=0)
        _finish("compare-errors", errors, errors_axes, windows)
        _finish("compare-ttft", ttft, ttft_axes, windows)
        return [
            _chart("compare-errors", "Error rate, A and B", errors, f"Run A's fault windows shaded, {binned.per}."),
            _chart("compare-ttft", "TTFT p95, A and B", ttft, f"Successful streams, {binned.per}."),
        ]


def throughput(buckets: Buckets, binned: Binned, windows: Sequence[Window]) -> Chart:
    requests = binned.total(buckets.requests)
    failures = binned.total(buckets.failures)
    figure, axes = _figure()
    axes.plot(binned.x, requests / binned.width, label="requests/s", gid="throughput-series-requests")
    axes.set_ylabel("requests/s")
    errors = axes.twinx()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(requests > 0, failures / requests * 100, np.nan)
    errors.plot(binned.x, rate, color="#d62728", label="error rate %", gid="throughput-series-errors")
    errors.set_ylabel("error rate %")
    errors.set_ylim(bottom=0)
    errors.grid(False)
    _finish("throughput", figure, axes, windows, extra=errors)
    return _chart(
        "throughput", "Requests per second and error rate", figure, f"By the second requests were sent, {binned.per}."
    )


def latency(buckets: Buckets, binned: Binned, windows: Sequence[Window]) -> Chart:
    figure, axes = _figure()
    for label, values, style in (
        ("TTFT p50", buckets.ttft_p50, ":"),
        ("TTFT p95", buckets.ttft_p95, "-"),
        ("end-to-end p50", buckets.e2e_p50, ":"),
        ("end-to-end p95", buckets.e2e_p95, "-"),
    ):
        axes.plot(binned.x, binned.worst(values), style, label=label, gid=f"latency-series-{_slug(label)}")
    axes.set_ylabel("seconds")
    axes.set_ylim(bottom=0)
    _finish("latency", figure, axes, windows)
    worst = "" if binned.width == 1 else f", the worst second of each {binned.width}-second bin"
    return _chart(
        "latency",
        "Time to first token and end-to-end latency",
        figure,
        f"Successful requests only, by the second they were sent{worst}.",
    )


def served(buckets: Buckets, binned: Binned, windows: Sequence[Window]) -> Chart:
    names = list(buckets.served_by_ledger)
    counts = np.array([binned.total(buckets.served_by_ledger[name]) for name in names]).reshape(len(names), -1)
    totals = counts.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, counts / totals * 100, 0.0)
    figure, axes = _figure()
    if names:
        palette = iter(("#1f77b4", "#ff7f0e", "#2ca02c", "#17becf", "#bcbd22", "#9467bd"))
        colors = [_NAMED.get(name) or next(palette, "#8c564b") for name in names]
        axes.stackplot(binned.x, shares, labels=names, colors=colors, gid="served-series-shares")
    axes.set_ylabel("% of requests")
    axes.set_ylim(0, 100)
    _finish("served", figure, axes, windows)
    return _chart(
        "served",
        "Who served",
        figure,
        f"Shares of requests by the provider whose call served them (the providers' ledger), {binned.per}.",
    )


def cost(buckets: Buckets, binned: Binned, windows: Sequence[Window]) -> Chart:
    figure, axes = _figure()
    total = np.cumsum(binned.total(buckets.cost_usd))
    axes.step(binned.x, total, where="post", label="billed", gid="cost-series-billed")
    axes.set_ylabel("USD (simulated)")
    axes.set_ylim(bottom=0)
    _finish("cost", figure, axes, windows)
    return _chart("cost", "Cumulative billed cost", figure, "What the providers billed, priced by the scenario.")


def _by_slo(series: Sequence[BurnSeries]) -> dict[str, list[BurnSeries]]:
    found: dict[str, list[BurnSeries]] = {}
    for one in series:
        found.setdefault(one.slo, []).append(one)
    return found


def burn(slo: str, series: Sequence[BurnSeries], windows: Sequence[Window]) -> Chart:
    """Each alert rule's burn rate for ``slo`` over its long window, against its factor."""
    name = f"burn-{_slug(slo)}"
    binned = Binned.over(range(len(series[0].long)))
    figure, axes = _figure()
    for index, rule in enumerate(series):
        colour = f"C{index}"
        axes.plot(binned.x, binned.worst(rule.long), color=colour, label=rule.rule, gid=f"{name}-series-{index}")
        axes.axhline(rule.factor, color=colour, linestyle="--", linewidth=0.8, gid=f"{name}-threshold-{index}")
    axes.set_ylim(bottom=0)
    axes.set_ylabel("burn rate (x budget)")
    _finish(name, figure, axes, windows)
    worst = "" if binned.width == 1 else f", the worst second of each {binned.width}-second bin"
    return _chart(
        name,
        f"Burn rate of {slo} against each alert rule",
        figure,
        "Each rule's burn rate over its long window, by when requests ended (as the alerts read it); dashed: the "
        "factor it fires above, when its short window agrees. Seconds with too few requests in the window are "
        f"left blank{worst}.",
    )


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
    # Fixed margins, the legend in the right one: a layout engine would draw each chart twice.
    figure.subplots_adjust(left=0.08, right=0.74, bottom=0.17, top=0.95)
    return figure, figure.add_subplot()


def _finish(name: str, figure: Figure, axes: Axes, windows: Sequence[Window], extra: Axes | None = None) -> None:
    for index, window in enumerate(windows):
        axes.axvspan(
            window.start,
            window.end,
            color=_SHADES[index % len(_SHADES)],
            alpha=0.12,
            label=f"fault: {window.fault}",
            gid=f"{name}-fault-{_slug(window.fault)}",
        )
    axes.set_xlabel("seconds from the start of load")
    axes.set_xlim(left=0)
    handles, labels = axes.get_legend_handles_labels()
    if extra is not None:
        more_handles, more_labels = extra.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    axes.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.1 if extra is not None else 1.02, 1.0))


def _chart(name: str, title: str, figure: Figure, caption: str) -> Chart:
    import matplotlib as mpl

    buffer = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": name}):  # stable ids, distinct between the charts of a page
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return Chart(name, title, svg[svg.index("<svg") :], caption)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
