"""Text wrapped for a terminal between words only, so that long tokens (URLs, ids, paths) stay whole and copyable."""

from __future__ import annotations

import textwrap


def wrap_words(text: str, width: int, indent: str = "", subsequent_indent: str | None = None) -> list[str]:
    """``text`` wrapped at ``width`` between words only: a word longer than the line (a URL, an id) is kept whole on
    a line of its own, so it stays copyable, and is left to the terminal to wrap."""
    later = indent if subsequent_indent is None else subsequent_indent
    lines = textwrap.wrap(
        " ".join(text.split()),
        width=max(width, len(later) + 20),
        initial_indent=indent,
        subsequent_indent=later,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return lines or [indent.rstrip()]
