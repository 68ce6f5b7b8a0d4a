"""Sub-models shared by dataset and model entries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from ..home import relative_parts
from .types import ArxivId, Count, Doi, Email, EntryId, Md5, Sha256, ShortText, Text, Url
from .vocab import HostKind, PublicationRole


class Strict(BaseModel):
    """Base for every entry model: unknown keys are errors and enum values are stored as strings."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True, str_strip_whitespace=True)


class Evidence(Strict):
    """A URL backing one or more stated facts, named by their field paths (e.g. ``counts.images``)."""

    url: Url
    fields: list[ShortText] = Field(min_length=1, description="Field paths this source supports; '*' for all.")
    quote: Text | None = Field(None, description="The words of the source that state the fact.")
    accessed: dt.date | None = None


class SourceFile(Strict):
    """One file of a source, with the checksums the entry knows."""

    name: ShortText
    size: Count | None = None
    md5: Md5 | None = None
    sha256: Sha256 | None = None
    url: Url | None = Field(None, description="Direct download URL, for http sources.")

    @field_validator("name")
    @classmethod
    def _stays_inside(cls, value: str) -> str:
        if relative_parts(value) is None:
            raise ValueError(
                f"{value!r} is not a relative file name inside the download folder (no '..', absolute path or drive)"
            )
        return value


class Source(Strict):
    """Where the data or weights live, in the host's own terms, so the fetch layer can resolve them."""

    kind: HostKind
    id: ShortText | None = Field(
        None,
        description=(
            "The host's own identifier: Zenodo record id, figshare article id, Mendeley dataset id, "
            "Drive file or folder id, GitHub owner/repo, Kaggle owner/slug or competitions/<name>, "
            "Hugging Face repo, TCIA collection, grand-challenge slug."
        ),
    )
    version: ShortText | None = None
    folder: bool = Field(False, description="Google Drive: the id is a folder, not a file.")
    tag: ShortText | None = Field(None, description="GitHub: release tag or git ref to archive.")
    files: list[SourceFile] = Field(default_factory=list)
    url: Url | None = Field(None, description="Landing page, or the direct URL for plain http sources.")
    mirrors: list[Url] = Field(default_factory=list, description="Base URLs serving the same file names.")
    instructions: Text | None = Field(None, description="For manual sources: where to go and what to download.")

    @model_validator(mode="after")
    def _host_identifiers(self) -> Source:
        kind = self.kind
        needs_id = {"zenodo", "figshare", "mendeley", "gdrive", "github", "kaggle", "huggingface", "tcia"}
        if kind in needs_id and not self.id:
            raise ValueError(f"a {kind} source needs 'id' (the host's own identifier)")
        if kind in {"zenodo", "figshare"} and self.id and not self.id.isdigit():
            raise ValueError(f"a {kind} id is a number, got {self.id!r}")
        if kind in {"github", "kaggle", "huggingface"} and self.id and "/" not in self.id:
            raise ValueError(f"a {kind} id has the form owner/name, got {self.id!r}")
        if kind == "http" and not self.url and not any(f.url for f in self.files):
            raise ValueError("an http source needs 'url' or files with 'url'")
        if kind in {"manual", "grand-challenge"} and not (self.url or self.instructions):
            raise ValueError(f"a {kind} source needs 'url' or 'instructions' saying where to get the data")
        return self


class Person(Strict):
    name: ShortText
    email: Email | None = None
    url: Url | None = None
    orcid: ShortText | None = None
    github: ShortText | None = None


ORCID_PATTERN = r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$"


class Author(Strict):
    """One author of a publication: a person (family and given names) or a group (``name``)."""

    family: ShortText | None = Field(None, description="Family name, as the paper prints it.")
    given: ShortText | None = Field(None, description="Given names or initials, as the paper prints them.")
    name: ShortText | None = Field(None, description="A consortium or group author, when the author is no person.")
    orcid: Annotated[str, StringConstraints(pattern=ORCID_PATTERN)] | None = Field(
        None, description="ORCID iD without the URL prefix, e.g. 0000-0002-1825-0097."
    )

    @model_validator(mode="after")
    def _named(self) -> Author:
        if not (self.family or self.name):
            raise ValueError("an author needs 'family' (a person) or 'name' (a group)")
        if self.name and (self.family or self.given):
            raise ValueError("an author is a person (family, given) or a group (name), not both")
        for part in (self.family, self.given, self.name):
            if part and (" and " in f" {part} " or "et al" in part.lower() or (part != self.name and "," in part)):
                raise ValueError(f"one author per item: {part!r} names several; set authors_truncated for 'et al.'")
        return self


def bibtex_record_problem(text: str) -> str | None:
    """Why ``text`` is not one whole BibTeX record (``@type{key, ...}``) that ``usreg export`` and the site can print
    as written, or None. Braces must balance, nothing may follow the closing brace, and no inner line may start with
    ``@`` (parsers take it for the next record), so a record can never swallow or forge the records after it."""
    if not re.match(r"@[A-Za-z]+\s*\{\s*[^\s,{}]+\s*,", text):
        return "it does not start with @type{key,"
    if re.search(r"\n\s*@", text):
        return "a line inside it starts with @, which BibTeX readers take for the next record"
    depth = 0
    for i, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return "a } closes a brace that was never opened"
        if depth == 0 and char == "}" and text[i + 1 :].strip():
            return "text follows its closing brace (one record per publication)"
    return f"{depth} brace(s) are left open" if depth else None


class Publication(Strict):
    title: ShortText | None = None
    authors: list[Author] = Field(
        default_factory=list, description="The authors in the paper's order, one person or group per item."
    )
    authors_truncated: bool = Field(
        False, description="True when the list stops before the last author (the source printed 'et al.')."
    )
    year: int | None = Field(None, ge=1950, le=2100)
    journal: ShortText | None = Field(None, description="Journal name only, without volume or pages.")
    volume: ShortText | None = None
    issue: ShortText | None = None
    pages: ShortText | None = Field(None, description="Page range, e.g. 252-256.")
    article_number: ShortText | None = Field(None, description="Article number for journals without pages.")
    venue: ShortText | None = Field(
        None, description="Conference, proceedings, preprint server or other venue, when not a journal."
    )
    publisher: ShortText | None = None
    doi: Doi | None = None
    arxiv: ArxivId | None = None
    url: Url | None = None
    role: PublicationRole = PublicationRole.descriptor
    bibtex: Text | None = None

    @model_validator(mode="after")
    def _identifiable(self) -> Publication:
        if not (self.doi or self.arxiv or self.url or self.title):
            raise ValueError("a publication needs at least one of doi, arxiv, url or title")
        problem = bibtex_record_problem(self.bibtex) if self.bibtex else None
        if problem:
            raise ValueError(
                f"bibtex is not one whole BibTeX record: {problem}; paste the record exactly as the publisher gives "
                "it, or leave bibtex out (usreg writes the record from the other fields)"
            )
        return self


class ClassDef(Strict):
    id: Count
    name: ShortText
    color: list[int] | None = Field(None, min_length=3, max_length=3, description="RGB colour in the source masks.")


class ChangelogItem(Strict):
    date: dt.date
    change: ShortText


class Links(Strict):
    homepage: Url | None = None
    code: Url | None = None
    paper: Url | None = None
    challenge: Url | None = None
    docs: Url | None = None
    issues: Url | None = None


class Plugin(Strict):
    """A loader or adapter chosen by registered name, never by import path."""

    name: EntryId
    options: dict[str, Any] = Field(default_factory=dict)


class EntryBase(Strict):
    """Fields every entry has."""

    id: EntryId
    name: ShortText
    aliases: list[ShortText] = Field(default_factory=list)
    description: Text | None = None
    version: ShortText | None = None
    release_date: dt.date | None = None
    year: int | None = Field(None, ge=1950, le=2100, description="Year of first public release.")
    publications: list[Publication] = Field(default_factory=list)
    maintainers: list[Person] = Field(default_factory=list)
    contact: ShortText | None = Field(None, description="Email or URL for questions about the entry's subject.")
    links: Links = Field(default_factory=Links)
    changelog: list[ChangelogItem] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    notes: Text | None = Field(None, description="Where sources disagree, both values and which one was used.")
