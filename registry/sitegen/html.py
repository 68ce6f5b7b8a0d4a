"""Escaping for everything taken from entries: text is HTML-escaped, URLs must be http(s), JSON is script-safe."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ..schema.entry import JSON

SAFE_SCHEMES = {"http", "https"}


_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#x27;",
        # Markdown syntax characters, so text can never become markup if a page is ever parsed as Markdown
        "[": "&#91;",
        "]": "&#93;",
        "*": "&#42;",
        "_": "&#95;",
        "`": "&#96;",
        "|": "&#124;",
        "{": "&#123;",
        "}": "&#125;",
    }
)


def esc(value: object) -> str:
    """HTML-escape any value (quotes included) and neutralise Markdown syntax characters, in one pass."""
    return ("" if value is None else str(value)).translate(_ESCAPES)


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL without control characters, else None."""
    if not url or any(ord(c) < 32 or c in "<>\"'`" for c in url):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        return None
    return url.strip()


def link(url: str | None, text: str | None = None) -> str:
    """An external link, or just the escaped text when the URL is not safe."""
    target = safe_url(url)
    label = esc(text if text is not None else url)
    if target is None:
        return label
    return f'<a href="{html.escape(target, quote=True)}" rel="nofollow noopener" target="_blank">{label}</a>'


def script_json(data: JSON) -> str:
    """JSON for a <script> block: '<', '>' and '&' are escaped so entry text cannot close the tag."""
    text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
