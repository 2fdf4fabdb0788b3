"""Bar charts as SVG text, drawn on the server: no JavaScript library, no CDN, and the same
markup serves the web dashboard and the PDF report (WeasyPrint draws inline SVG)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

COLOURS = ("#2b6cb0", "#38a169", "#dd6b20", "#c53030")
BAR, BAR_GAP, LABEL_WIDTH, CHART_WIDTH, LEGEND = 14, 3, 240, 340, 22


def bar_chart(title: str, labels: Sequence[str],
              series: Sequence[tuple[str, Sequence[float | None]]], unit: str = "") -> str:
    """Horizontal grouped bars: one group per label, one bar per series, values written out."""
    count = max(len(series), 1)
    bar = BAR
    group = count * bar + (count + 1) * BAR_GAP
    peak = max([v for _, values in series for v in values if v is not None] + [1])
    height = LEGEND + group * max(len(labels), 1) + 8
    width = LABEL_WIDTH + CHART_WIDTH + 70
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="lemari-chart" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title, {chr(34): "&quot;"})}">',
             f"<title>{escape(title)}</title>", _legend(series)]
    for row, label in enumerate(labels):
        top = LEGEND + row * group
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{top + group / 2 + 4:.1f}" text-anchor="end" '
                     f'font-size="10" font-family="sans-serif">{escape(_short(label))}</text>')
        for index, (_, values) in enumerate(series):
            parts.append(_bar(values[row], index, top + BAR_GAP + index * (bar + BAR_GAP), bar,
                              peak, unit))
    parts.append("</svg>")
    return "".join(parts)


def _legend(series) -> str:
    items, x = [], LABEL_WIDTH
    for index, (name, _) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        items.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="13" font-size="11" font-family="sans-serif">'
                     f"{escape(name)}</text>")
        x += 24 + 7 * len(name)
    return "".join(items)


def _bar(value, index: int, y: float, height: float, peak: float, unit: str) -> str:
    colour = COLOURS[index % len(COLOURS)]
    length = 0 if value is None else CHART_WIDTH * value / peak
    text = "–" if value is None else (f"{value:g}" if isinstance(value, int) else f"{value:.1f}")
    return (f'<rect x="{LABEL_WIDTH}" y="{y:.1f}" width="{length:.1f}" height="{height:.1f}" '
            f'fill="{colour}"/><text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + height - 2:.1f}" '
            f'font-size="10" font-family="sans-serif">{escape(text + unit)}</text>')


def _short(label: str, limit: int = 38) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"
