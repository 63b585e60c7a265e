"""HTML read by a parser, not by patterns: what the regular expressions missed."""

from __future__ import annotations

from ingestion.scrapers.markup import anchors, table_rows


def test_links_in_any_attribute_order_and_quoting() -> None:
    page = (
        "<a class=p href='/x/R-1/p'>a</a>"
        '<A HREF="/x/R-2/p" data-x=1>b</A>'
        '<a rel="nofollow next" href="/list?page=2&amp;s=1">more</a>'
    )
    found = anchors(page)
    assert [a["href"] for a in found] == ["/x/R-1/p", "/x/R-2/p", "/list?page=2&s=1"]
    assert found[2]["rel"].split() == ["nofollow", "next"]


def test_table_cells_with_tags_entities_and_headers() -> None:
    html = (
        "<table><tr><th>Valor&nbsp;energético</th><td><p>250 kcal</p><p>1046 kJ</p></td></tr>"
        "<TR><td>Grasas <b>saturadas</b> :</td><td>1,2&nbsp;g</td></TR></table>"
    )
    assert table_rows(html) == [
        ["Valor energético", "250 kcal 1046 kJ"],
        ["Grasas saturadas:", "1,2 g"],
    ]
