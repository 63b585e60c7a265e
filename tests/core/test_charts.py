"""The SVG charts shared by the dashboard and the evaluation report, read as text."""

from __future__ import annotations

import re

from core.charts import grouped_bar_chart


def test_grouped_bars_scale_to_the_top_and_say_every_value() -> None:
    svg = grouped_bar_chart(
        ["RAG", "<script>x</script>"],
        [("right", [80.0, 40.0]), ("price", [None, 100.0])],
        "Techniques",
        " %",
        top=100,
    )

    bar = r'class="bar" x="\d+" y="[\d.]+" width="([\d.]+)"'
    widths = [float(w) for w in re.findall(bar, svg)]
    assert widths[0] == 2 * widths[2]  # 80 % vs 40 %: twice as long
    assert widths[1] == 0.0 and widths[3] > widths[0]  # no value: no bar; 100 % the longest
    assert "RAG, price: no aplica" in svg and "RAG, right: 80 %" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_an_empty_chart_says_there_is_nothing_yet() -> None:
    assert "sin datos" in grouped_bar_chart([], [("right", [])], "Techniques")
