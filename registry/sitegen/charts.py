"""Bar charts made at build time, no JavaScript and no CDN.

On pages they are HTML (real text at the page's font size, each bar a link to the filtered table); the same data
is also written as standalone SVG files with a title and a description. Colour carries meaning only for tiers: one
sequential scale from dark (diamond, the best) to light (steel), grey for entries not scored. Every other chart uses
one colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape as xml_escape

from .html import esc

BAR_COLOUR = "#3949ab"
TIER_COLOURS = {
    "diamond": "#2d1160",
    "platinum": "#3e4a89",
    "gold": "#26828e",
    "silver": "#35b779",
    "bronze": "#90d743",
    "steel": "#dde318",
    "unscored": "#bdbdbd",
}


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_on(colour: str) -> str:
    """Black or white, whichever contrasts more with ``colour``."""
    return "#000000" if contrast(colour, "#000000") >= contrast(colour, "#ffffff") else "#ffffff"


TIER_TEXT = {tier: text_on(colour) for tier, colour in TIER_COLOURS.items()}


def bar_chart(
    title: str, items: Sequence[tuple[str, int]], description: str, width: int = 640, colours: dict | None = None
) -> str:
    """A horizontal bar chart as a standalone SVG document."""
    bar_height, gap, label_width, top = 22, 6, 190, 34
    height = top + max(1, len(items)) * (bar_height + gap) + 10
    biggest = max((v for _, v in items), default=0) or 1
    scale = (width - label_width - 60) / biggest
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="t d">',
        f'<title id="t">{xml_escape(title)}</title>',
        f'<desc id="d">{xml_escape(description)}</desc>',
        f'<text x="4" y="20" font-family="sans-serif" font-size="16" font-weight="bold">{xml_escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_height + gap)
        colour = (colours or {}).get(label, BAR_COLOUR)
        shown = label if len(label) <= 26 else label[:25] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 16}" font-family="sans-serif" font-size="14" '
            f'text-anchor="end">{xml_escape(shown)}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{max(1.0, value * scale):.1f}" height="{bar_height}" '
            f'fill="{colour}"><title>{xml_escape(label)}: {value}</title></rect>'
        )
        parts.append(
            f'<text x="{label_width + value * scale + 6:.1f}" y="{y + 16}" font-family="sans-serif" '
            f'font-size="14">{value}</text>'
        )
    if not items:
        parts.append(f'<text x="{label_width}" y="{top + 14}" font-family="sans-serif" font-size="14">no data</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def html_bar_chart(title: str, items: Sequence[tuple[str, int, str | None]], colours: dict | None = None) -> str:
    """A bar chart as an HTML list: each row a link (label, bar, count) to the table filtered to that label."""
    if not items:
        return f'<p class="usreg-muted">{esc(title)}: no data</p>'
    biggest = max(v for _, v, _ in items) or 1
    rows = []
    for label, value, href in items:
        colour = (colours or {}).get(label, BAR_COLOUR)
        width = max(1.0, 100.0 * value / biggest)
        bar = (
            f'<span class="usreg-bar-label">{esc(label)}</span>'
            f'<span class="usreg-bar-track"><span class="usreg-bar" style="width:{width:.1f}%;background:{colour}">'
            f'</span></span><span class="usreg-bar-value">{value}</span>'
        )
        if href:
            bar = f'<a href="{esc(href)}" aria-label="{esc(label)}: {value}, show them">{bar}</a>'
        rows.append(f"<li>{bar}</li>")
    return f'<h2 class="usreg-chart-title">{esc(title)}</h2><ul class="usreg-bars">{"".join(rows)}</ul>'
