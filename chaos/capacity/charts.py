"""The capacity reports' figures, drawn as the run report's are (``chaos.report.charts``:
matplotlib ``Figure`` objects, never pyplot, printed as inline SVG with text kept as text);
callers draw inside ``rc_context(STYLE)``."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from chaos.report.view import Chart

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN = 9.0, 2.8


def new_figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), layout="constrained")
    return figure, figure.add_subplot()


def as_chart(name: str, title: str, figure: Figure, caption: str) -> Chart:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return Chart(name, title, svg[svg.index("<svg") :], caption)
