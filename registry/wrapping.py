"""Text wrapped for a terminal between words only, so that long tokens (URLs, ids, paths) stay whole and copyable."""

from __future__ import annotations

import re
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


_LABEL = re.compile(r"^(\s*)([A-Za-z][\w -]{0,15}:[ \t]+)?")


def wrap_text(text: str, width: int | None) -> str:
    """Each line of ``text`` wrapped between words at ``width`` (None: unchanged, e.g. when piped). Continuation lines
    hang under the text after a short leading label ("  where: ", "hint: ", "error: "), else two spaces in from the
    line's own indent, so that a wrapped step still reads as one item."""
    if width is None:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        match = _LABEL.match(line)
        assert match is not None  # the pattern matches every string (both its parts are optional)
        indent, label = match.group(1), match.group(2) or ""
        hang = indent + " " * len(label) if label else indent + "  "
        out += wrap_words(line[match.end() :], width, indent + label, hang)
    return "\n".join(out)
