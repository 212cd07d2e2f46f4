"""The report's charts as inline SVG, drawn here in Python: a report file must open anywhere, years
later, without a script or a network (its page forbids both, see handoff/api/headers.py), and
Chromium prints SVG to PDF as vectors.

Colours are SVG attributes, never `style=""`, so the page needs no inline style attributes.
Every label passes through `esc`: category and team names come from configuration and the
bot's data, and must never become markup.
"""

from __future__ import annotations

from html import escape
from typing import Optional, Sequence

CURRENT, PREVIOUS, MISSED, GRID = "#3366cc", "#b8c4d9", "#d9534f", "#e3e7ee"
HEAT = ((0xf4, 0xf6, 0xfa), (0x1f, 0x4e, 0xa8))  # empty cell → busiest cell


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">'
            f"<title>{esc(title)}</title>{''.join(body)}</svg>")


def _text(x: float, y: float, text: object, *, anchor: str = "middle", size: int = 10,
          fill: str = "#333", weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
            f'font-weight="{weight}">{esc(text)}</text>')


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" fill="{fill}"/>'


def columns(items: Sequence[tuple[str, float]], title: str, *, width: int = 680, height: int = 200,
            every: int = 1) -> str:
    """Vertical bars, one per (label, value); every `every`-th label is written under its bar."""
    top, bottom, left = 18, 22, 8
    inner = height - top - bottom
    body = [f'<line x1="{left}" y1="{top + inner}" x2="{width - left}" y2="{top + inner}" stroke="#999"/>']
    if not items:
        return _svg(width, height, [*body, _text(width / 2, height / 2, "—")], title)
    peak = max(value for _, value in items) or 1
    slot = (width - 2 * left) / len(items)
    for n, (label, value) in enumerate(items):
        h = inner * value / peak
        x = left + n * slot
        body.append(_rect(x + slot * 0.15, top + inner - h, slot * 0.7, h, CURRENT))
        if value:
            body.append(_text(x + slot / 2, top + inner - h - 3, _number(value), size=9))
        if n % every == 0:
            body.append(_text(x + slot / 2, height - 8, label, size=9, fill="#555"))
    return _svg(width, height, body, title)


def rows(items: Sequence[tuple[str, int, Optional[int]]], title: str, *, width: int = 680) -> str:
    """Horizontal bars, one per (label, this period, previous period): the previous period as a
    pale bar under this period's, so a category that grew stands out."""
    row, top, label_w, value_w = 30, 6, 190, 70
    height = top * 2 + row * max(len(items), 1)
    body: list[str] = []
    peak = max([1, *(max(cur, prev or 0) for _, cur, prev in items)])
    bar_w = width - label_w - value_w
    for n, (label, current, previous) in enumerate(items):
        y = top + n * row
        body.append(_text(label_w - 6, y + 16, label, anchor="end", size=11))
        if previous is not None:
            body.append(_rect(label_w, y + 17, bar_w * previous / peak, 7, PREVIOUS))
        body.append(_rect(label_w, y + 4, bar_w * current / peak, 12, CURRENT))
        body.append(_text(width - value_w + 6, y + 14, _number(current), anchor="start", size=11, weight="bold"))
        if previous is not None:
            body.append(_text(width - value_w + 6, y + 25, f"({_number(previous)})", anchor="start", size=9,
                              fill="#777"))
    if not items:
        body.append(_text(width / 2, height / 2 + 4, "—"))
    return _svg(width, height, body, title)


def heatmap(cells: Sequence[Sequence[int]], day_labels: Sequence[str], title: str, *, width: int = 680) -> str:
    """Hour of week: 7 rows (Monday first) × 24 hours, darker for more cases, counts written in."""
    counts = [[0] * 24 for _ in range(7)]
    for cell in cells:
        if len(cell) >= 3 and 0 <= int(cell[0]) < 7 and 0 <= int(cell[1]) < 24:
            counts[int(cell[0])][int(cell[1])] += int(cell[2])
    left, top, size = 70, 16, (width - 74) / 24
    height = int(top + 7 * size + 4)
    peak = max(max(day) for day in counts) or 1
    body = [_text(left + h * size + size / 2, 11, h, size=8, fill="#555") for h in range(24)]
    for d in range(7):
        y = top + d * size
        body.append(_text(left - 6, y + size / 2 + 4, day_labels[d], anchor="end", size=10))
        for h in range(24):
            value = counts[d][h]
            body.append(_rect(left + h * size + 1, y + 1, size - 2, size - 2, _shade(value / peak)))
            if value:
                body.append(_text(left + h * size + size / 2, y + size / 2 + 3, value, size=8,
                                  fill="#fff" if value / peak > 0.5 else "#223"))
    return _svg(width, height, body, title)


def split_bar(parts: Sequence[tuple[str, int, str]], title: str, *, width: int = 680) -> str:
    """One bar split into (label, count, colour) parts, e.g. SLA met and missed."""
    height, left = 34, 0.0
    total = sum(count for _, count, _ in parts)
    body = [_rect(0, 4, width, 18, GRID)]
    for label, count, colour in parts:
        if not total or not count:
            continue
        w = width * count / total
        body.append(_rect(left, 4, w, 18, colour))
        if w > 60:
            body.append(_text(left + w / 2, 17, f"{label} {count}", size=10, fill="#fff"))
        left += w
    return _svg(width, height, body, title)


def _shade(fraction: float) -> str:
    low, high = HEAT
    channel = [round(a + (b - a) * max(0.0, min(1.0, fraction))) for a, b in zip(low, high, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in channel)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
