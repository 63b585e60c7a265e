"""HTML read with the standard library's parser (`html.parser`), not with regular expressions:
attributes in any order, any quoting, entities decoded, tags inside cells."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ingestion.parsing import clean_text


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.found.append({name: value or "" for name, value in attrs})


def anchors(page: str) -> list[dict[str, str]]:
    """Every `<a>`'s attributes, in page order ({"href": ..., "rel": ...})."""
    parser = _Anchors()
    parser.feed(page)
    parser.close()
    return parser.found


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []
        elif self._cell is not None:
            self._cell.append(" ")  # "<p>a</p><p>b</p>" reads "a b"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = clean_text("".join(self._cell)) or ""
            self.rows[-1].append(re.sub(r"\s+([.,;:])", r"\1", text))  # "Grasas :" -> "Grasas:"
            self._cell = None
        elif self._cell is not None:
            self._cell.append(" ")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    """The text of each row's cells (`<td>`/`<th>`), whitespace collapsed."""
    parser = _Rows()
    parser.feed(html)
    parser.close()
    return parser.rows
