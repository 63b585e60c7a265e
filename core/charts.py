"""Charts drawn on the server as inline SVG: no script, no CDN, readable without JavaScript
and by the browser tests (every point and bar carries a `<title>` with its value).

The one chart stack of the project, for the operator dashboard and the evaluation report alike:
SVG is text, so a chart is tested by reading it, a page stays one self-contained file that is
searchable and sharp at any zoom, and no plotting library (matplotlib: tens of MB, seconds to
import) is installed for three bar charts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

PALETTE = ("#1b7f5b", "#c2410c", "#1d4ed8", "#9333ea", "#b91c1c", "#0e7490", "#a16207")
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[datetime, float]]


def isolate(text: str) -> str:
    """`text` from the data as a bidi isolate (FSI ... PDI): a right-to-left override inside a
    product name cannot reverse the date and price that follow it in a title or tooltip."""
    return f"\u2068{text}\u2069"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5):
        for power in range(-2, 9):
            bound = step * 10**power
            if bound >= value:
                return float(bound)
    return value


def line_chart(
    series: Sequence[Series],
    title: str,
    unit: str = "",
    step: bool = False,
    ymin_zero: bool = True,
) -> str:
    """Lines over time; `step`: a value holds until the next point (prices)."""
    points = [p for s in series for p in s.points]
    if not points:
        return f'<p class="empty">{escape(title)}: sin datos todavía.</p>'
    xs = [p[0].timestamp() for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    if x0 == x1:
        x0, x1 = x0 - 43200, x1 + 43200
    y0 = 0.0 if ymin_zero else min(ys) * 0.95
    y1 = _nice_max(max(ys) * 1.05) if ymin_zero else max(ys) * 1.05 or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(t: float) -> float:
        return LEFT + (t - x0) / (x1 - x0) * plot_w

    def py(v: float) -> float:
        return TOP + plot_h - (v - y0) / ((y1 - y0) or 1.0) * plot_h

    parts = [_frame(title), _y_axis(y0, y1, py, unit), _x_axis(x0, x1, px)]
    for number, one in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        ordered = sorted(one.points)
        coords: list[tuple[float, float]] = []
        for i, (at, value) in enumerate(ordered):
            if step and i:
                coords.append((px(at.timestamp()), py(ordered[i - 1][1])))
            coords.append((px(at.timestamp()), py(value)))
        if step and ordered:
            coords.append((LEFT + plot_w, py(ordered[-1][1])))
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        for at, value in ordered:
            parts.append(
                f'<circle class="point" cx="{px(at.timestamp()):.1f}" cy="{py(value):.1f}" '
                f'r="3" fill="{colour}"><title>{escape(isolate(one.label))} {at:%d/%m/%Y}: '
                f"{_number(value)}{escape(unit)}</title></circle>"
            )
    parts.append(_legend([s.label for s in series]))
    return _svg(title, parts)


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, unit: str = "") -> str:
    """Horizontal bars, one per label (long Spanish category names stay readable)."""
    if not labels:
        return f'<p class="empty">{escape(title)}: sin datos todavía.</p>'
    row, label_w = 22, 190
    height = TOP + row * len(labels) + 8
    top = max(values) or 1.0
    parts = [f'<text x="4" y="12" class="title">{escape(title)}</text>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + 4 + i * row
        width = (WIDTH - label_w - 70) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" class="label">'
            f"{escape(label[:30])}</text>"
            f'<rect class="bar" x="{label_w}" y="{y}" width="{width:.1f}" height="{row - 6}" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {_number(value)}{escape(unit)}</title>'
            f'</rect><text x="{label_w + width + 4:.1f}" y="{y + 14}" class="value">'
            f"{_number(value)}</text>"
        )
    return _svg(title, parts, height)


def grouped_bar_chart(
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    unit: str = "",
    top: float | None = None,
) -> str:
    """Horizontal bars, one group per label and one bar per series in each (e.g. techniques,
    each with its metrics); `top` fixes the scale (1.0 for shares). A missing value (the metric
    does not apply) draws no bar and says so in its title."""
    if not groups or not series:
        return f'<p class="empty">{escape(title)}: sin datos todavía.</p>'
    bar, gap, label_w = 12, 10, 190
    group_h = bar * len(series) + gap
    height = TOP + group_h * len(groups) + 30
    values = [v for _, vs in series for v in vs if v is not None]
    scale = top or _nice_max(max(values, default=0.0))
    plot_w = WIDTH - label_w - 70
    parts = [f'<text x="4" y="12" class="title">{escape(title)}</text>']
    for g, group in enumerate(groups):
        y0 = TOP + 4 + g * group_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y0 + bar * len(series) / 2 + 4:.1f}" '
            f'text-anchor="end" class="label">{escape(group[:30])}</text>'
        )
        for s, (name, row) in enumerate(series):
            value, y = row[g], y0 + s * bar
            said = "no aplica" if value is None else f"{_number(value)}{unit}"
            width = 0.0 if value is None else plot_w * min(value, scale) / scale
            parts.append(
                f'<rect class="bar" x="{label_w}" y="{y}" width="{width:.1f}" '
                f'height="{bar - 2}" fill="{PALETTE[s % len(PALETTE)]}"><title>'
                f"{escape(group)}, {escape(name)}: {escape(said)}</title></rect>"
                f'<text x="{label_w + width + 4:.1f}" y="{y + bar - 3}" class="value">'
                f"{escape(said)}</text>"
            )
    for s, (name, _) in enumerate(series):
        x = label_w + s * 110
        parts.append(
            f'<rect x="{x}" y="{height - 14}" width="10" height="10" '
            f'fill="{PALETTE[s % len(PALETTE)]}"/><text x="{x + 14}" y="{height - 5}" '
            f'class="legend">{escape(name)}</text>'
        )
    return _svg(title, parts, height)


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def _svg(title: str, parts: list[str], height: int = HEIGHT) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} '
        f'{height}" width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts)
        + "</svg>"
    )


def _frame(title: str) -> str:
    return (
        f'<text x="{LEFT}" y="12" class="title">{escape(title)}</text>'
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
        f'height="{HEIGHT - TOP - BOTTOM}" fill="none" stroke="#ccc"/>'
    )


def _y_axis(y0: float, y1: float, py: Callable[[float], float], unit: str) -> str:
    ticks = []
    for i in range(5):
        value = y0 + (y1 - y0) * i / 4
        y = py(value)
        ticks.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{_number(round(value, 2))}{escape(unit)}</text>"
        )
    return "".join(ticks)


def _x_axis(x0: float, x1: float, px: Callable[[float], float]) -> str:
    ticks = []
    for i in range(5):
        t = x0 + (x1 - x0) * i / 4
        ticks.append(
            f'<text x="{px(t):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'class="tick">{datetime.fromtimestamp(t):%d/%m}</text>'
        )
    return "".join(ticks)


def _legend(labels: Sequence[str]) -> str:
    items = []
    for i, label in enumerate(labels):
        x = LEFT + i * 110
        items.append(
            f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/><text x="{x + 14}" y="{HEIGHT - 5}" '
            f'class="legend">{escape(isolate(label))}</text>'
        )
    return "".join(items)
