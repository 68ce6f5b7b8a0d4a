"""Text for a terminal: wrapped between words only, so that long tokens (URLs, ids, paths) stay whole and copyable,
and user-given names shown with their control characters visible (:func:`visible`)."""

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


#: what a terminal acts on or hides instead of showing: C0 controls (tab and newline included), DEL, C1 controls,
#: the bidirectional marks, embeddings, overrides and isolates, and the line and paragraph separators
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(text: object, keep_lines: bool = False) -> str:
    """``text`` (a user-given path, file name or id) with each control or bidi character written as its escape
    (``\\x1b``, ``\\n``, ``\\u202e``), so that printing it cannot recolour, move, clear or reorder the terminal's text
    and a name with an escape in it reads as the name it is; other text is unchanged. ``keep_lines``: a message of
    several lines keeps its own line breaks (a path inside it is best made visible before it goes in)."""
    if keep_lines:
        return "\n".join(visible(line) for line in str(text).split("\n"))
    return _CONTROL.sub(_escape_char, str(text))


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return char.encode("unicode_escape").decode("ascii")


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
