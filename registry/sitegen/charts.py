"""Static SVG bar charts made at build time (no JavaScript, no CDN), each with a title and a description."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape as xml_escape

PALETTE = ["#3f51b5", "#009688", "#ff9800", "#9c27b0", "#607d8b", "#e91e63", "#8bc34a", "#795548"]
TIER_COLOURS = {
    "diamond": "#4dd0e1",
    "platinum": "#90a4ae",
    "gold": "#ffb300",
    "silver": "#bdbdbd",
    "bronze": "#a1662f",
    "steel": "#546e7a",
}


def bar_chart(title: str, items: Sequence[tuple[str, int]], description: str, width: int = 640) -> str:
    """A horizontal bar chart as a standalone SVG document."""
    bar_height, gap, label_width, top = 20, 6, 170, 34
    height = top + max(1, len(items)) * (bar_height + gap) + 10
    biggest = max((v for _, v in items), default=0) or 1
    scale = (width - label_width - 60) / biggest
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="t d">',
        f'<title id="t">{xml_escape(title)}</title>',
        f'<desc id="d">{xml_escape(description)}</desc>',
        f'<text x="4" y="20" font-family="sans-serif" font-size="15" font-weight="bold">{xml_escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_height + gap)
        colour = TIER_COLOURS.get(label, PALETTE[i % len(PALETTE)])
        shown = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" font-family="sans-serif" font-size="12" '
            f'text-anchor="end">{xml_escape(shown)}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{max(1.0, value * scale):.1f}" height="{bar_height}" '
            f'fill="{colour}"><title>{xml_escape(label)}: {value}</title></rect>'
        )
        parts.append(
            f'<text x="{label_width + value * scale + 6:.1f}" y="{y + 14}" font-family="sans-serif" '
            f'font-size="12">{value}</text>'
        )
    if not items:
        parts.append(f'<text x="{label_width}" y="{top + 14}" font-family="sans-serif" font-size="12">no data</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
