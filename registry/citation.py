"""Citations for entries: BibTeX records (the entry as @misc, then each publication) and plain-text author lists.

Authors come from the structured ``publications[].authors`` (family and given names, or a group name); BibTeX joins
them with `` and `` and ends the list with ``and others`` when the source printed "et al.". Journal, volume, number,
pages and article number (``eid``) are separate fields, never folded into ``journal``.
"""

from __future__ import annotations

import re

from .schema import Dataset, Model
from .schema.common import Author, Publication

#: LaTeX specials escaped in field values; braces become parentheses so that a value can never unbalance a record
_SPECIAL = str.maketrans(
    {
        "{": "(",
        "}": ")",
        "\\": "/",
        "%": r"\%",
        "&": r"\&",
        "#": r"\#",
        "_": r"\_",
        "$": r"\$",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
)

#: venues that are proceedings (a paper there is @inproceedings with ``booktitle``)
_PROCEEDINGS = re.compile(
    r"MICCAI|CVPR|ICCV|ECCV|ISBI|NeurIPS|ICLR|ICML|IPCAI|ASMUS|MLHC|ICONIP|MIDL|IUS|Conference|Workshop|Symposium|"
    r"Proceedings|Proc\.|Track",
    re.IGNORECASE,
)


def _escape(value: str) -> str:
    return " ".join(value.translate(_SPECIAL).split())


def _key(entry_id: str, suffix: str = "") -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", f"usreg_{entry_id}{suffix}")


#: fields BibTeX and biblatex read verbatim (an identifier or a link): their values are never escaped, since a
#: ``\_`` there would be part of the DOI or URL
VERBATIM = frozenset({"doi", "url", "eprint"})


def _verbatim(value: str) -> str:
    """An identifier or URL as written, whitespace removed; a brace or backslash, which could unbalance the record,
    percent-encoded (the same URL: neither may appear raw in one)."""
    text = "".join(value.split())
    return text.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def _fields(fields: dict[str, str | None], raw: frozenset[str] = frozenset()) -> str:
    def value_of(name: str, value: str) -> str:
        if name in raw:
            return value
        return _verbatim(value) if name in VERBATIM else _escape(value)

    lines = [
        f"  {name} = {{{value_of(name, str(value))}}}" for name, value in fields.items() if value not in (None, "")
    ]
    return ",\n".join(lines)


def bibtex_name(author: Author) -> str:
    """One name in BibTeX's ``Last, First`` form; a multi-word family name or a group is braced to stay whole."""
    if author.name:
        return "{" + _escape(author.name) + "}"
    family = _escape(author.family or "")
    words = family.split()
    if len(words) > 1 and words[0][:1].isupper() and any(w[:1].islower() for w in words[1:]):
        family = "{" + family + "}"  # "Coelho de Albuquerque Pereira" is one family name, not First von Last
    return f"{family}, {_escape(author.given)}" if author.given else family


def bibtex_authors(pub: Publication) -> str | None:
    """The ``author`` field: names joined with `` and ``, ending in ``and others`` when the list was cut short."""
    if not pub.authors:
        return None
    names = [bibtex_name(a) for a in pub.authors]
    if pub.authors_truncated:
        names.append("others")
    return " and ".join(names)


def author_text(author: Author) -> str:
    return author.name or " ".join(x for x in (author.family, author.given) if x)


def authors_text(pub: Publication, limit: int | None = None) -> str | None:
    """A readable author list ("Al-Dhabyani W., Gomaa M., et al."), cut after ``limit`` names when given."""
    if not pub.authors:
        return None
    names = [author_text(a) for a in pub.authors]
    cut = limit is not None and len(names) > limit
    names = names[:limit] if cut else names
    return ", ".join(names) + (", et al." if cut or pub.authors_truncated else "")


def _entry_authors(entry: Dataset | Model) -> Publication | None:
    ranked = sorted(entry.publications, key=lambda p: p.role != "descriptor")
    return next((p for p in ranked if p.authors), None)


def publication_bibtex(pub: Publication, key: str) -> str:
    """One publication as @article (journal), @inproceedings (proceedings) or @misc."""
    if pub.journal:
        kind = "article"
    elif pub.venue and _PROCEEDINGS.search(pub.venue):
        kind = "inproceedings"
    else:
        kind = "misc"
    fields: dict[str, str | None] = {
        "title": pub.title,
        "author": bibtex_authors(pub),
        "journal": pub.journal,
        "booktitle": pub.venue if kind == "inproceedings" else None,
        "howpublished": pub.venue if kind == "misc" else None,
        "note": pub.venue if kind == "article" else None,
        "volume": pub.volume,
        "number": pub.issue,
        "pages": pub.pages.replace("-", "--") if pub.pages and "--" not in pub.pages else pub.pages,
        "eid": pub.article_number,
        "publisher": pub.publisher,
        "year": str(pub.year) if pub.year else None,
        "doi": pub.doi,
        "eprint": pub.arxiv,
        "archiveprefix": "arXiv" if pub.arxiv else None,
        "url": pub.url,
    }
    return f"@{kind}{{{key},\n" + _fields(fields, raw=frozenset({"author"})) + "\n}"


def entry_bibtex(entry: Dataset | Model) -> str:
    """One or more BibTeX records: the entry as @misc (titled with the entry's name, dated by its year or release
    date when it states one), then each publication that has a title; one without a title is named by its DOI or
    arXiv id in the entry's note."""
    kind = "Dataset" if isinstance(entry, Dataset) else "Model"
    url = entry.links.homepage or (entry.sources[0].url if isinstance(entry, Dataset) and entry.sources else None)
    if isinstance(entry, Model) and entry.code:
        url = url or entry.code.url
    doi = entry.dataset_doi if isinstance(entry, Dataset) else entry.archive_doi
    year = entry.year or (entry.release_date.year if entry.release_date else None)
    first = _entry_authors(entry)
    # a publication known only by its DOI or arXiv id has no title to make a record of: the entry's record names it
    untitled = [
        f"doi:{pub.doi}" if pub.doi else f"arXiv:{pub.arxiv}"
        for pub in entry.publications
        if not pub.bibtex and not pub.title and (pub.doi or pub.arxiv)
    ]
    note = f"{kind} entry '{entry.id}' in the usreg registry" + (
        f"; described in {', '.join(untitled)}" if untitled else ""
    )
    records = [
        f"@misc{{{_key(entry.id)},\n"
        + _fields(
            {
                "title": entry.name,
                "author": bibtex_authors(first) if first else None,
                "year": str(year) if year else None,
                "doi": doi,
                "url": url,
                "note": note,
                "version": entry.version,
            },
            raw=frozenset({"author"}),
        )
        + "\n}"
    ]
    for i, pub in enumerate(entry.publications):
        if pub.bibtex:
            records.append(pub.bibtex.strip())
            continue
        if not pub.title:
            continue  # named in the entry's note when it has a DOI or arXiv id
        records.append(publication_bibtex(pub, _key(entry.id, f"_pub{i + 1}")))
    return "\n\n".join(records) + "\n"
