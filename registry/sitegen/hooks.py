"""mkdocs hooks used by `usreg site build` (named in the generated mkdocs.yml).

The generator writes every catalog page as finished, escaped HTML into ``<work>/html/``; its Markdown file holds only
front matter with ``usreg_html: true``. These hooks hand mkdocs an empty document to parse and put the finished HTML
in as the page content, so python-markdown never re-parses megabytes of generated tables.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any


def _html_path(page: Any, config: Any) -> Path | None:
    if not (page.meta or {}).get("usreg_html"):
        return None
    rel = PurePosixPath(page.file.src_uri).with_suffix(".html")
    if rel.is_absolute() or ".." in rel.parts:
        return None
    return Path(config["docs_dir"]).parent / "html" / rel


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return "" if _html_path(page, config) is not None else markdown


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    path = _html_path(page, config)
    if path is None:
        return html
    return path.read_text(encoding="utf-8")
