"""The building blocks of every report page: a page of sections, each of tables, charts,
paragraphs and code, with headline figures on top.

A report is built as a ``Page`` first and rendered second: the same page becomes HTML
(``chaos.report.html``) or Markdown (``chaos.report.markdown``), so the two formats
cannot say different things. The run report (``chaos.report.run_page``), the comparison
of two runs (``chaos.report.compare``), game days and drills all build pages from these
blocks and reuse the same templates. A tone is a verdict word (``pass``, ``fail``,
``inconclusive``, ``aborted``, ``error``) or ``""``: the templates colour by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

TONES = frozenset({"pass", "fail", "inconclusive", "aborted", "error", ""})


@dataclass(frozen=True)
class Cell:
    text: str
    tone: str = ""
    code: bool = False  # an identifier (a request id, a file): set in monospace

    def __post_init__(self) -> None:
        if self.tone not in TONES:
            raise ValueError(f"unknown tone {self.tone!r}")


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""  # how to read it, under the table

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"{self.title}: a row of {len(row)} cells under {len(self.columns)} columns")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str | Cell]], note: str = "") -> Table:
    """A table from plain strings and cells."""
    return Table(
        title,
        tuple(columns),
        tuple(tuple(value if isinstance(value, Cell) else Cell(value) for value in row) for row in rows),
        note,
    )


@dataclass(frozen=True)
class Chart:
    name: str  # a file name without its suffix: the Markdown report's charts/NAME.svg
    title: str
    svg: str  # an <svg> element, without XML prolog: inlined as it is
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    """A headline figure: ``availability`` ``97.1% in primary-503`` against ``>= 99.5%``."""

    label: str
    value: str
    against: str
    tone: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    code: str | None = None  # shown verbatim, under code_title
    code_title: str = ""
    key: str = field(default="")  # the anchor; from the title when empty

    @property
    def anchor(self) -> str:
        return self.key or re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


@dataclass(frozen=True)
class Page:
    title: str
    headline: str  # the verdict in one sentence
    tone: str  # the headline's
    facts: tuple[tuple[str, str], ...] = ()  # run id, scenario, times, versions
    figures: tuple[Figure, ...] = ()
    sections: tuple[Section, ...] = ()

    @property
    def charts(self) -> list[Chart]:
        return [chart for section in self.sections for chart in section.charts]
