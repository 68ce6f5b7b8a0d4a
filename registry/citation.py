"""BibTeX citations for entries: the descriptor paper where one is known, and the entry itself as @misc."""

from __future__ import annotations

import re

from .schema import Dataset, Model

_SPECIAL = str.maketrans({"{": "(", "}": ")", "\\": "/", "%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_"})


def _escape(value: str) -> str:
    return " ".join(value.translate(_SPECIAL).split())


def _key(entry_id: str, suffix: str = "") -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", f"usreg_{entry_id}{suffix}")


def _fields(fields: dict[str, str | None]) -> str:
    lines = [f"  {name} = {{{_escape(str(value))}}}" for name, value in fields.items() if value not in (None, "")]
    return ",\n".join(lines)


def entry_bibtex(entry: Dataset | Model) -> str:
    """One or more BibTeX records: the entry as @misc, then each publication that has a DOI, arXiv id or title."""
    kind = "Dataset" if isinstance(entry, Dataset) else "Model"
    url = entry.links.homepage or (entry.sources[0].url if isinstance(entry, Dataset) and entry.sources else None)
    if isinstance(entry, Model) and entry.code:
        url = url or entry.code.url
    doi = entry.dataset_doi if isinstance(entry, Dataset) else entry.archive_doi
    year = entry.year or (entry.release_date.year if entry.release_date else None)
    authors = next((p.authors for p in entry.publications if p.authors), None)
    records = [
        f"@misc{{{_key(entry.id)},\n"
        + _fields(
            {
                "title": entry.name,
                "author": authors,
                "year": str(year) if year else None,
                "doi": doi,
                "url": url,
                "note": f"{kind} entry '{entry.id}' in the usreg registry",
                "version": entry.version,
            }
        )
        + "\n}"
    ]
    for i, pub in enumerate(entry.publications):
        if pub.bibtex:
            records.append(pub.bibtex.strip())
            continue
        if not (pub.doi or pub.arxiv or pub.title):
            continue
        kind_name = "article" if pub.venue else "misc"
        records.append(
            f"@{kind_name}{{{_key(entry.id, f'_pub{i + 1}')},\n"
            + _fields(
                {
                    "title": pub.title,
                    "author": pub.authors,
                    "journal" if kind_name == "article" else "howpublished": pub.venue,
                    "year": str(pub.year) if pub.year else None,
                    "doi": pub.doi,
                    "eprint": pub.arxiv,
                    "archiveprefix": "arXiv" if pub.arxiv else None,
                    "url": pub.url,
                }
            )
            + "\n}"
        )
    return "\n\n".join(records) + "\n"
