"""An HTML page as an ElementTree, read by the standard library's parser: what the tests
query a report's sections, tables and charts with."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("document")
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = ET.SubElement(self.open[-1], tag, {name: value or "" for name, value in attrs})
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ET.SubElement(self.open[-1], tag, {name: value or "" for name, value in attrs})

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return
        raise AssertionError(f"</{tag}> closes nothing open")

    def handle_data(self, data: str) -> None:
        current = self.open[-1]
        if len(current):
            current[-1].tail = (current[-1].tail or "") + data
        else:
            current.text = (current.text or "") + data


def parse(html: str) -> ET.Element:
    """The page's tree; every element opened must be closed."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    unclosed = [element.tag for element in builder.open[1:]]
    assert unclosed == [], f"never closed: {unclosed}"
    return builder.root


def text(element: ET.Element) -> str:
    """The element's text, its children's included, spaces collapsed (and put between elements)."""
    return " ".join(" ".join(element.itertext()).split())


def by_id(root: ET.Element, key: str) -> ET.Element:
    found = [element for element in root.iter() if element.get("id") == key]
    assert len(found) == 1, f"{len(found)} elements with id {key!r}"
    return found[0]


def tables(root: ET.Element) -> dict[str, ET.Element]:
    """Each table by the title (h3) above it."""
    found = {}
    for parent in root.iter():
        children = list(parent)
        for index, child in enumerate(children):
            if child.tag == "h3" and index + 1 < len(children):
                after = children[index + 1]
                table = after if after.tag == "table" else after.find("table")
                if table is not None:
                    found[text(child)] = table
    return found


def rows(table: ET.Element) -> list[list[str]]:
    return [[text(cell) for cell in row] for row in table.iter("tr")]
