"""Link checks: dated results of checking an entry's URLs, read from ``verification/<id>.json`` in the catalog.

Format (written by the link checker)::

    {"checked": "2026-11-22",
     "links": [{"url": "...", "status": "alive|dead|moved|login|rate-limited|error",
                "http_status": 200, "location": "...", "field": "sources[0].url"}]}

``field`` is optional: the entry field the URL came from. A URL counts as a source (or code) link when it equals a
URL the entry declares there, or when its ``field`` says so. ``alive``, ``moved`` and ``login`` are reachable;
``dead`` is not; ``rate-limited`` and ``error`` are inconclusive.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from registry.schema import Dataset, Entry, Model

from ..evidence import EvidenceContext, EvidenceError, Verification

STATUSES = frozenset({"alive", "dead", "moved", "login", "rate-limited", "error"})
REACHABLE = frozenset({"alive", "moved", "login"})


@dataclass(frozen=True)
class LinkResult:
    url: str
    status: str
    field: str = ""


@dataclass(frozen=True)
class LinkReport:
    path: Path
    checked: str
    links: tuple[LinkResult, ...]


def read_link_report(path: Path) -> LinkReport:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise EvidenceError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); re-run the link check") from None
    if not isinstance(data, dict) or not isinstance(data.get("links"), list):
        raise EvidenceError(f"{path}: expected an object with a 'links' list")
    checked = data.get("checked")
    try:
        dt.date.fromisoformat(str(checked)[:10])
    except ValueError:
        raise EvidenceError(f"{path}: 'checked' must be an ISO date, got {checked!r}") from None
    links = []
    for i, item in enumerate(data["links"]):
        if not isinstance(item, dict) or not isinstance(item.get("url"), str) or item.get("status") not in STATUSES:
            raise EvidenceError(f"{path}: links[{i}] needs 'url' and a 'status' among {', '.join(sorted(STATUSES))}")
        links.append(LinkResult(item["url"], item["status"], str(item.get("field") or "")))
    return LinkReport(path=path, checked=str(checked)[:10], links=tuple(links))


def _source_urls(entry: Entry, kind: str) -> set[str]:
    sources = entry.sources if isinstance(entry, Dataset) else [w.source for w in entry.weights]
    urls: set[str] = set()
    for source in sources:
        urls.update(u for u in [source.url, *source.mirrors, *(f.url for f in source.files)] if u)
    return urls


class LinkCheckProvider:
    """Reads ``<catalog root>/verification/<id>.json``."""

    name = "link-check"
    keys: ClassVar[dict[str, str]] = {
        "links:all-alive": "every checked link of the entry is reachable (dated)",
        "links:source-reachable": "the data or weights source answers (dated)",
        "links:code-reachable": "the model's code repository answers (dated)",
        "links:doi-resolves": "the data DOI (or a model's archive DOI) resolves at doi.org (dated)",
        "links:citation-resolves": "a publication's DOI resolves at doi.org (dated)",
    }

    def __init__(self, root: Path | None) -> None:
        self.folder = Path(root) / "verification" if root else None
        self._present = (
            {p.stem for p in self.folder.glob("*.json")} if self.folder is not None and self.folder.is_dir() else set()
        )

    def verify(self, entry: Entry, kind: str, context: EvidenceContext) -> Iterable[Verification]:
        if entry.id not in self._present or self.folder is None:
            return []
        report = read_link_report(self.folder / f"{entry.id}.json")
        if not report.links:
            return []
        out = []
        on = f"checked {report.checked}"
        dead = [link.url for link in report.links if link.status == "dead"]
        if dead:
            out.append(
                Verification(
                    "links:all-alive",
                    "contradicted",
                    f"{len(dead)} dead link(s), {on}: " + ", ".join(dead[:3]),
                    self.name,
                )
            )
        elif all(link.status in REACHABLE for link in report.links):
            out.append(
                Verification("links:all-alive", "verified", f"all {len(report.links)} links reachable, {on}", self.name)
            )
        source_urls = _source_urls(entry, kind)
        prefix = "sources" if kind == "dataset" else "weights"
        sources = [lk for lk in report.links if lk.url in source_urls or lk.field.startswith(prefix)]
        out.extend(self._group("links:source-reachable", "source", sources, on))
        doi = entry.dataset_doi if isinstance(entry, Dataset) else entry.archive_doi
        if doi:
            resolver = f"https://doi.org/{doi}".lower()
            hits = [lk for lk in report.links if lk.url.lower() == resolver]
            out.extend(self._group("links:doi-resolves", f"DOI {doi}", hits, on))
        cited = {f"https://doi.org/{p.doi}".lower() for p in entry.publications if p.doi}
        if cited:
            hits = [lk for lk in report.links if lk.url.lower() in cited]
            out.extend(self._group("links:citation-resolves", "cited DOI", hits, on))
        if isinstance(entry, Model) and entry.code:
            code = [lk for lk in report.links if lk.url == entry.code.url or lk.field.startswith("code")]
            out.extend(self._group("links:code-reachable", "code repository", code, on))
        return out

    def _group(self, key: str, what: str, links: list[LinkResult], on: str) -> list[Verification]:
        if not links:
            return []
        reachable = [lk.url for lk in links if lk.status in REACHABLE]
        if reachable:
            return [Verification(key, "verified", f"the {what} answers ({reachable[0]}), {on}", self.name)]
        if all(lk.status == "dead" for lk in links):
            return [Verification(key, "contradicted", f"the {what} is dead ({links[0].url}), {on}", self.name)]
        return []
