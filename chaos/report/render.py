"""A ``Page`` as HTML or Markdown, through the Jinja2 templates in ``templates/``.

``layout.html.j2`` is the page every HTML report shares (its styles inline: light and
dark by ``prefers-color-scheme``, printable), ``blocks.html.j2`` and ``blocks.md.j2``
the macros that draw a section, a table, a chart, the verdict and the headline
figures; ``page.html.j2`` and ``page.md.j2`` put a whole ``Page`` together. A game day
or a drill that wants a page of its own extends the layout and imports the blocks: its
template goes in a package's ``templates/`` folder and is found by ``template_dirs``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import jinja2

from chaos import __version__
from chaos.report.view import Page

TEMPLATES = Path(__file__).with_name("templates")
_MARKS = {"pass": "✅", "fail": "❌", "inconclusive": "❔", "aborted": "⛔", "error": "⛔"}


@cache
def environment(markdown: bool = False, template_dirs: tuple[Path, ...] = ()) -> jinja2.Environment:
    """The Jinja2 environment of the report templates (HTML escaped; Markdown with its
    own filters), searching ``template_dirs`` first."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*template_dirs, TEMPLATES]),
        autoescape=not markdown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["version"] = __version__
    env.filters.update(
        cell=md_cell, code=md_code, inline=md_inline, mark=lambda tone: _MARKS.get(tone, ""), fenced=md_fenced
    )
    return env


def render_html(page: Page, template: str = "page.html.j2", template_dirs: Sequence[Path] = ()) -> str:
    """One self-contained HTML file: no external asset, no script."""
    return environment(False, tuple(template_dirs)).get_template(template).render(page=page)


def render_markdown(
    page: Page, chart_dir: str = "charts", template: str = "page.md.j2", template_dirs: Sequence[Path] = ()
) -> str:
    """GitHub-flavoured Markdown; each chart is linked as ``chart_dir/NAME.svg`` (written
    beside it by ``chaos.report.files``)."""
    text = environment(True, tuple(template_dirs)).get_template(template).render(page=page, chart_dir=chart_dir)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def md_inline(text: object) -> str:
    """Text in a Markdown paragraph: no HTML, no line break."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(escaped.split())


def md_cell(text: object) -> str:
    """Text in a Markdown table cell: no pipe that would split the cell."""
    return md_inline(text).replace("|", "\\|")


def md_code(text: object) -> str:
    """Text in a code span inside a table cell: taken literally, so nothing is escaped but
    the pipe (GitHub splits cells before it reads code spans) and the backtick."""
    return " ".join(str(text).split()).replace("`", "'").replace("|", "\\|")


def md_fenced(code: str) -> str:
    """A fenced block longer than any backtick run in ``code``."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{code.rstrip()}\n{fence}"
