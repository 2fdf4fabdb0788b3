"""Procedure flowcharts (bagan alur) drawn as SVG from a service's ordered steps.

The layout follows the SOP-AP table of PermenPANRB 35/2012: No · Kegiatan · one swimlane per
actor (Pelaksana) · Mutu Baku (Waktu, Output). Each step is a symbol in its actor's lane —
a terminator for the first and last step, a process box otherwise — joined by arrows that turn
at right angles when the work passes to another actor. A step with `jika_tidak` (the check of
the file) is a decision: a diamond whose "Ya" goes on and whose "Tidak" branch returns the file
to the applicant's lane with the written reason. Nothing is drawn by hand, and because
the picture is a scalable viewBox, `fit()` sizes any number of steps onto the page.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

FONT = "Lemari Sans, Liberation Sans, Arial, sans-serif"
NO_W, KEGIATAN_W, LANE_W, WAKTU_W, OUTPUT_W = 34, 250, 118, 92, 128
HEAD_TOP, HEAD_LANES = 24, 34
LINE_H, ROW_PAD, MIN_ROW = 13.5, 14, 46
BOX_W, BOX_H = 84, 28
#: Characters per line for the 11-unit type (Liberation Sans averages ≈0.52 em per character).
CHARS = {"kegiatan": 42, "waktu": 14, "output": 20, "lane": 17}
LANE_FILLS = ("#ffffff", "#f1f5fb")


@dataclass(frozen=True)
class Chart:
    """An SVG flowchart and its natural size in user units (for fitting onto a page)."""

    svg: str
    width: float
    height: float

    def fit(self, box_width: float, box_height: float) -> tuple[float, float]:
        """The largest (width, height) with the chart's aspect ratio inside the box."""
        scale = min(box_width / self.width, box_height / self.height)
        return round(self.width * scale, 2), round(self.height * scale, 2)

    def sized(self, width: str, height: str) -> str:
        """The SVG with explicit width/height attributes (e.g. "260mm", "150mm")."""
        return self.svg.replace("<svg ", f"<svg width={quoteattr(width)} height={quoteattr(height)} ", 1)


def build_chart(title: str, steps: Sequence[dict], lanes: Sequence[tuple[str, str]],
                min_row: float = MIN_ROW) -> Chart:
    """Draw the steps ({pelaksana, kegiatan, waktu, output}) with one lane per actor used.

    `lanes` is every known actor as (code, label) in display order; lanes without a step are
    left out so a chart is never wider than its procedure needs. `min_row` lets a short
    procedure use taller rows to fill its page.
    """
    used = {step["pelaksana"] for step in steps}
    lanes = [(code, label) for code, label in lanes if code in used]
    lanes += [(code, code) for code in sorted(used - {c for c, _ in lanes})]
    lane_x = {code: NO_W + KEGIATAN_W + i * LANE_W for i, (code, _) in enumerate(lanes)}
    width = NO_W + KEGIATAN_W + len(lanes) * LANE_W + WAKTU_W + OUTPUT_W
    rows = [_row_texts(step) for step in steps]
    heights = [max(min_row, ROW_PAD + LINE_H * max(len(t) for t in texts.values())) for texts in rows]
    top = HEAD_TOP + HEAD_LANES
    height = top + sum(heights)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:g}" '
             f'font-family={quoteattr(FONT)} font-size="11" role="img">',
             f"<title>{escape(title)}</title>"]
    parts += _lanes_and_header(lanes, lane_x, width, height)
    centres, y = [], top
    for number, (step, texts, row_h) in enumerate(zip(steps, rows, heights, strict=True), start=1):
        parts += _row(number, texts, y, row_h, width)
        centres.append((lane_x[step["pelaksana"]] + LANE_W / 2, y + row_h / 2))
        y += row_h
    parts += _arrows(centres, heights, top)
    first_lane = lane_x[lanes[0][0]] + LANE_W / 2 if lanes else 0
    for number, ((cx, cy), step) in enumerate(zip(centres, steps, strict=True), start=1):
        if step.get("jika_tidak"):
            parts += _decision(number, cx, cy, first_lane, number < len(centres))
        else:
            parts.append(_symbol(number, cx, cy, terminal=number in (1, len(centres))))
    parts.append("</svg>")
    return Chart("".join(parts), width, height)


def fill_box(title: str, steps: Sequence[dict], lanes: Sequence[tuple[str, str]],
             box_width: float, box_height: float, max_row: float = 90) -> Chart:
    """The chart with rows as tall as needed (up to `max_row`) to fill a box of this shape."""
    chart = build_chart(title, steps, lanes)
    wanted = chart.width * box_height / box_width
    if chart.height >= wanted or not steps:
        return chart
    return build_chart(title, steps, lanes,
                       min(max_row, (wanted - HEAD_TOP - HEAD_LANES) / len(steps)))


def _row_texts(step: dict) -> dict[str, list[str]]:
    """Wrapped lines of the text cells of one step (a decision adds its 'Tidak' outcome)."""
    cells = {key: str(step.get(key) or "-") for key in ("kegiatan", "waktu", "output")}
    if step.get("jika_tidak"):
        cells["kegiatan"] += f". Ya: lanjut. Tidak: {step['jika_tidak']}"
    return {key: textwrap.wrap(text, CHARS[key]) or ["-"] for key, text in cells.items()}


def _decision(number: int, cx: float, cy: float, back_x: float, goes_on: bool) -> list[str]:
    """A diamond; 'Tidak' leads sideways to a return terminator, 'Ya' down to the next step.

    The return lands in the applicant's lane (the first), or beside the diamond when the
    decision is itself in that lane.
    """
    half_w, half_h = BOX_W / 2, BOX_H / 2 + 4
    parts = [f'<polygon data-keputusan="{number}" points="{cx:g},{cy - half_h:g} {cx + half_w:g},{cy:g} '
             f'{cx:g},{cy + half_h:g} {cx - half_w:g},{cy:g}" fill="#fbd5d5" stroke="#1f2d44" '
             'stroke-width="1.1"/>',
             f'<text x="{cx:g}" y="{cy + 4:g}" text-anchor="middle" font-weight="bold" fill="#111">'
             f'{number}</text>']
    target = back_x if abs(back_x - cx) > BOX_W else cx - BOX_W - 8
    side = -1 if target < cx else 1
    start, end = cx + side * half_w, target - side * 30
    parts.append(f'<polyline points="{start:g},{cy:g} {end:g},{cy:g}" fill="none" stroke="#a11" '
                 'stroke-width="1.2" stroke-dasharray="4 2"/>')
    parts.append(f'<text x="{(start + end) / 2:g}" y="{cy - 4:g}" text-anchor="middle" font-size="10" '
                 'fill="#a11" font-weight="bold">Tidak</text>')
    parts.append(f'<rect x="{target - 30:g}" y="{cy - 10:g}" width="60" height="20" rx="10" '
                 'fill="#fff" stroke="#a11" stroke-width="1"/>')
    parts.append(f'<text x="{target:g}" y="{cy + 3.5:g}" text-anchor="middle" font-size="8.5" '
                 'fill="#a11">Dikembalikan</text>')
    if goes_on:
        parts.append(f'<text x="{cx + 6:g}" y="{cy + half_h + 9:g}" font-size="10" fill="#0b5" '
                     'font-weight="bold">Ya</text>')
    return parts


def _lanes_and_header(lanes, lane_x, width: float, height: float) -> list[str]:
    """Lane backgrounds, the two header rows and the outer frame."""
    lanes_w = len(lanes) * LANE_W
    mutu_x = NO_W + KEGIATAN_W + lanes_w
    parts = [f'<rect x="{x}" y="0" width="{LANE_W}" height="{height:g}" fill="{LANE_FILLS[i % 2]}"/>'
             for i, x in enumerate(lane_x.values())]
    parts.append(f'<rect x="0" y="0" width="{width}" height="{HEAD_TOP + HEAD_LANES}" fill="#dfe7f3"/>')
    spans = ((0, NO_W, "No"), (NO_W, KEGIATAN_W, "Kegiatan"),
             (NO_W + KEGIATAN_W, lanes_w, "Pelaksana"), (mutu_x, WAKTU_W + OUTPUT_W, "Mutu Baku"))
    for x, w, label in spans:
        tall = label in ("No", "Kegiatan")
        parts.append(_cell_text([label], x + w / 2, (HEAD_TOP + HEAD_LANES if tall else HEAD_TOP) / 2,
                                bold=True))
    sub = [(lane_x[code], LANE_W, label) for code, label in lanes]
    sub += [(mutu_x, WAKTU_W, "Waktu"), (mutu_x + WAKTU_W, OUTPUT_W, "Output")]
    for x, w, label in sub:
        lines = textwrap.wrap(label, CHARS["lane"]) or [label]
        parts.append(_cell_text(lines, x + w / 2, HEAD_TOP + HEAD_LANES / 2, bold=True))
    grid = [f'<line x1="{NO_W + KEGIATAN_W}" y1="{HEAD_TOP}" x2="{width}" y2="{HEAD_TOP}"/>']
    for x in (NO_W, NO_W + KEGIATAN_W, *list(lane_x.values())[1:], mutu_x, mutu_x + WAKTU_W):
        y1 = HEAD_TOP if x in list(lane_x.values())[1:] or x == mutu_x + WAKTU_W else 0
        grid.append(f'<line x1="{x}" y1="{y1}" x2="{x}" y2="{height:g}"/>')
    parts.append(f'<g stroke="#5a6b85" stroke-width="0.8">{"".join(grid)}</g>')
    parts.append(f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1:g}" fill="none" '
                 'stroke="#1f2d44" stroke-width="1.2"/>')
    return parts


def _row(number: int, texts: dict, y: float, row_h: float, width: float) -> list[str]:
    """The No, Kegiatan, Waktu and Output cells of one step and its bottom rule."""
    mid = y + row_h / 2
    mutu_x = width - WAKTU_W - OUTPUT_W
    return [
        _cell_text([str(number)], NO_W / 2, mid),
        _cell_text(texts["kegiatan"], NO_W + 6, mid, anchor="start"),
        _cell_text(texts["waktu"], mutu_x + WAKTU_W / 2, mid),
        _cell_text(texts["output"], mutu_x + WAKTU_W + OUTPUT_W / 2, mid),
        f'<line x1="0" y1="{y + row_h:g}" x2="{width}" y2="{y + row_h:g}" stroke="#9aa7bb" '
        'stroke-width="0.6"/>',
    ]


def _cell_text(lines: Sequence[str], x: float, mid: float, *, anchor: str = "middle",
               bold: bool = False) -> str:
    """Lines of text centred vertically on `mid`."""
    first = mid - (len(lines) - 1) * LINE_H / 2 + 4
    weight = ' font-weight="bold"' if bold else ""
    spans = "".join(f'<tspan x="{x:g}" y="{first + i * LINE_H:g}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text text-anchor="{anchor}"{weight} fill="#111">{spans}</text>'


def _symbol(number: int, cx: float, cy: float, *, terminal: bool) -> str:
    """A terminator (rounded ends) or a process box, with the step number inside."""
    rx = BOX_H / 2 if terminal else 3
    fill = "#fde9b8" if terminal else "#cfe0f7"
    return (f'<rect x="{cx - BOX_W / 2:g}" y="{cy - BOX_H / 2:g}" width="{BOX_W}" height="{BOX_H}" '
            f'rx="{rx:g}" fill="{fill}" stroke="#1f2d44" stroke-width="1.1"/>'
            f'<text x="{cx:g}" y="{cy + 4:g}" text-anchor="middle" font-weight="bold" '
            f'fill="#111">{number}</text>')


def _arrows(centres: list[tuple[float, float]], heights: list[float], top: float) -> list[str]:
    """Connectors between consecutive symbols: straight down, or down-across-down to a new lane."""
    parts = []
    for (x1, y1), (x2, y2) in itertools.pairwise(centres):
        start, end = y1 + BOX_H / 2, y2 - BOX_H / 2
        if x1 == x2:
            points = [(x1, start), (x2, end)]
        else:
            turn = (start + end) / 2
            points = [(x1, start), (x1, turn), (x2, turn), (x2, end)]
        path = " ".join(f"{x:g},{y:g}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f2d44" stroke-width="1.2"/>')
        parts.append(f'<polygon points="{x2 - 4:g},{end - 7:g} {x2 + 4:g},{end - 7:g} {x2:g},{end:g}" '
                     'fill="#1f2d44"/>')
    return parts
