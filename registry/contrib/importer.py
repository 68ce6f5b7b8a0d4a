"""`usreg import DOI|URL`: draft an entry from the metadata its host already has.

Supported: DataCite (dataset DOIs) and Crossref (paper DOIs), the Zenodo records API, the figshare v2 API, the
Mendeley Data public API and GitHub repository metadata. Each fact the draft states gets an evidence item with the
API URL it came from; everything else is left empty for the author. Host base URLs come from the same ``USREG_*``
variables as the fetch layer (plus ``USREG_DATACITE_API`` and ``USREG_CROSSREF_API``), so tests point them at a local
server.

Which URLs and DOIs belong to which host, and how its metadata becomes a draft, is read from the host modules'
declarations (``HOST.urls``, ``HOST.dois`` and ``HOST.draft``, see ``registry/fetch/hosts/base.py``; the Zenodo,
figshare, Mendeley Data and GitHub drafters live in their host modules); a registered host without a drafter still
gets a draft that states its source. This module keeps what is shared: the draft, the author and licence helpers,
and the DataCite and Crossref fallbacks for DOIs no host claims. Requests go through the fetch layer's HTTP client
(``registry/fetch/http.py``): the same retries, Retry-After handling, User-Agent, timeouts and request deadline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from ..errors import UsregError, hint_instead
from ..fetch.client import HttpClient
from ..fetch.hosts import declared
from ..fetch.hosts import host as declaration
from ..schema.types import spdx_ids
from ..settings import settings


def base(name: str, default: str) -> str:
    """A metadata service's base URL (not a data host's: those are ``hosts_config.base_url``)."""
    return settings().url(name, default)


_UNREADABLE_HINT = "try again later; if it persists, draft the entry with `usreg new` and report the host's answer"

#: the most authors a draft lists; longer lists end with ``authors_truncated``
MAX_AUTHORS = 100


def _orcid(value: object) -> str | None:
    match = re.search(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", str(value or ""))
    return match.group(0) if match else None


def author(family: Any = None, given: Any = None, name: Any = None, orcid: Any = None) -> dict[str, str] | None:
    """One ``publications[].authors`` item: a person split into family and given names, or a group by name."""
    family, given, name = (str(x).strip() if x else None for x in (family, given, name))
    if not family and name and "," in name:
        family, given = (x.strip() or None for x in name.split(",", 1))
    person = {"family": family, "given": given} if family else {"name": name}
    person["orcid"] = _orcid(orcid)
    return {k: v for k, v in person.items() if v} if (family or name) else None


def authors(items: list[dict[str, str] | None]) -> dict[str, Any]:
    """``authors`` (and ``authors_truncated`` past MAX_AUTHORS) for a publication draft."""
    people = [a for a in items if a]
    out: dict[str, Any] = {"authors": people[:MAX_AUTHORS]}
    if len(people) > MAX_AUTHORS:
        out["authors_truncated"] = True
    return out


def _ids(creator: dict[str, Any]) -> str | None:
    ids = creator.get("nameIdentifiers") or []
    return next(
        (i.get("nameIdentifier") for i in ids if "orcid" in str(i.get("nameIdentifierScheme", "")).lower()), None
    )


def endpoints() -> dict[str, str]:
    """The metadata services for DOIs that no registered host claims."""
    return {
        "datacite": base("USREG_DATACITE_API", "https://api.datacite.org"),
        "crossref": base("USREG_CROSSREF_API", "https://api.crossref.org"),
    }


@dataclass
class Draft:
    """The fields of a drafted entry, and the evidence behind them."""

    kind: str = "dataset"
    values: dict[str, Any] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def state(self, url: str, **facts: Any) -> None:
        """Record facts that came from ``url``; empty values are left out (unknown stays empty)."""
        kept = {k: v for k, v in facts.items() if v not in (None, "", [], {})}
        if not kept:
            return
        self.values.update(kept)
        for item in self.evidence:
            if item["url"] == url:
                item["fields"] = sorted(set(item["fields"]) | set(kept))
                return
        self.evidence.append({"url": url, "fields": sorted(kept)})

    def as_values(self) -> dict[str, Any]:
        out = dict(self.values)
        out["evidence"] = self.evidence
        if self.notes:
            out["notes"] = " ".join(self.notes)
        return out


def spdx_from_text(text: str | None) -> str | None:
    """An SPDX id for licence names as hosts write them ('CC BY 4.0', 'cc-by-4.0', 'MIT'), or None."""
    if not text:
        return None
    candidate = re.sub(r"[\s_]+", "-", text.strip()).replace("--", "-")
    lookup = {lid.lower(): lid for lid in spdx_ids()}
    return lookup.get(candidate.lower())


def strip_html(text: str | None) -> str | None:
    if not text:
        return None
    plain = unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(plain.split()) or None


def state_licence(draft: Draft, url: str, name: str | None) -> None:
    spdx = spdx_from_text(name)
    if spdx:
        draft.state(url, license=spdx)
    elif name:
        draft.notes.append(f"The host states the licence as {name!r}, which is not an SPDX id; set license by hand.")


def recognise(ref: str) -> tuple[str, str, str | None] | None:
    """(host kind, record id, version or None) for a DOI or landing-page URL that a registered host declares."""
    doi = _doi_of(ref)
    for kind, host in declared():
        for pattern in host.dois if doi else host.urls:
            match = re.match(pattern, doi or ref, re.I if doi else 0)
            if match:
                version = match.group(2) if match.re.groups >= 2 else None
                return kind, match.group(1), version
    return None


class Importer:
    def __init__(self, client: HttpClient | None = None) -> None:
        self.client = client or HttpClient(max_connections=2)
        self.urls = endpoints()

    def close(self) -> None:
        self.client.close()

    def get_json(self, url: str, headers: dict[str, str] | None = None) -> Any:
        try:
            response = self.client.send("GET", url, headers=headers, what=url)
        except UsregError as exc:  # import has no --mirror or --from-file
            exc.hint = hint_instead(exc.hint, "draft the entry by hand with `usreg new`")
            raise
        try:
            if response.status_code == 404:
                raise UsregError(f"not found: {url} answered 404", hint="check the DOI or record id")
            if response.status_code >= 400:
                raise UsregError(f"{url} answered HTTP {response.status_code}", hint="try again later")
            if "json" not in response.headers.get("content-type", ""):
                raise UsregError(
                    f"{url} answered {response.headers.get('content-type', 'no content type')}, not JSON",
                    hint="the host may need a browser or a login; draft the entry with `usreg new`",
                )
            try:
                return response.json()
            except ValueError:
                raise UsregError(f"{url} answered something that is not JSON", hint="try again later") from None
            except RecursionError:  # nested deeper than the JSON parser follows: no metadata record is
                raise UsregError(
                    f"{url} answered JSON nested too deeply to be a metadata record", hint=_UNREADABLE_HINT
                ) from None
        finally:
            response.close()

    # -- dispatch ------------------------------------------------------------------------------------------------
    def draft(self, ref: str, kind: str = "dataset") -> Draft:
        """The draft for ``ref``; a host answer of another shape than its API documents (a list for a record, a
        number for a date) is refused with the fields' error, never a traceback."""
        try:
            return self._draft(ref.strip(), kind)
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            raise UsregError(
                f"cannot import {ref.strip()!r}: the host's metadata is not in the shape its API documents "
                f"({type(exc).__name__}: {exc})",
                hint=_UNREADABLE_HINT,
            ) from None

    def _draft(self, ref: str, kind: str) -> Draft:
        found = recognise(ref)
        if found:
            host, record_id, version = found
            drafter = declaration(host).draft
            if drafter is not None:
                return drafter(self, record_id, version, kind)
            return self.from_reference(host, record_id, version, ref, kind)
        doi = _doi_of(ref)
        if doi:
            return self.from_doi(doi, kind)
        raise UsregError(
            f"cannot import {ref!r}",
            hint="give a DOI, or a URL of one of these hosts: "
            + ", ".join(k for k, host in declared() if host.urls or host.dois),
        )

    def from_doi(self, doi: str, kind: str) -> Draft:
        try:
            return self.from_datacite(doi, kind)
        except UsregError as exc:
            if "404" not in exc.message:
                raise
        return self.from_crossref(doi, kind)

    def from_reference(self, host: str, record_id: str, version: str | None, ref: str, kind: str) -> Draft:
        """A draft from a recognised reference alone, for a host without a metadata drafter: its source."""
        if kind != "dataset":
            raise UsregError(
                f"cannot draft a {kind} from {ref!r}: usreg reads no {host} metadata",
                hint="draft the entry with `usreg new`",
            )
        draft = Draft(kind)
        source = {"kind": host, "id": record_id, "version": version, "url": ref}
        draft.state(ref, sources=[{k: v for k, v in source.items() if v}])
        draft.notes.append(f"usreg reads no {host} metadata: only the source is drafted; fill in the rest by hand.")
        return draft

    # -- metadata services (each host's own drafter is in its module: HOST.draft) ------------------------------------
    def from_datacite(self, doi: str, kind: str) -> Draft:
        url = f"{self.urls['datacite']}/dois/{doi}"
        attrs = self.get_json(url)["data"]["attributes"]
        draft = Draft(kind)
        titles = [t.get("title") for t in attrs.get("titles", []) if t.get("title")]
        descriptions = [d.get("description") for d in attrs.get("descriptions", []) if d.get("description")]
        creators = [
            author(c.get("familyName"), c.get("givenName"), c.get("name"), _ids(c)) for c in attrs.get("creators", [])
        ]
        draft.state(
            url,
            name=titles[0] if titles else None,
            description=strip_html(descriptions[0]) if descriptions else None,
            year=attrs.get("publicationYear"),
        )
        if kind == "dataset":
            draft.state(url, dataset_doi=doi)
        rights = attrs.get("rightsList", [])
        state_licence(draft, url, next((r.get("rightsIdentifier") or r.get("rights") for r in rights), None))
        landing = attrs.get("url")
        if landing:
            draft.state(url, links={"homepage": landing})
        draft.state(
            url,
            publications=[
                {
                    "title": titles[0] if titles else None,
                    "doi": doi,
                    **authors(creators),
                    "year": attrs.get("publicationYear"),
                    "role": "descriptor",
                }
            ],
        )
        return draft

    def from_crossref(self, doi: str, kind: str) -> Draft:
        url = f"{self.urls['crossref']}/works/{doi}"
        msg = self.get_json(url)["message"]
        draft = Draft(kind)
        title = (msg.get("title") or [None])[0]
        venue = (msg.get("container-title") or [None])[0]
        parts = (msg.get("issued") or {}).get("date-parts") or [[None]]
        year = parts[0][0] if parts and parts[0] else None
        people = authors(
            [author(a.get("family"), a.get("given"), a.get("name"), a.get("ORCID")) for a in msg.get("author", [])]
        )
        page = msg.get("page")
        draft.state(url, name=title, description=strip_html(msg.get("abstract")), year=year)
        draft.state(
            url,
            publications=[
                {
                    "title": title,
                    "doi": doi,
                    **people,
                    "year": year,
                    "journal": venue if msg.get("type") == "journal-article" else None,
                    "venue": venue if msg.get("type") != "journal-article" else None,
                    "volume": msg.get("volume"),
                    "issue": msg.get("issue"),
                    "pages": page if page and "-" in page else None,
                    "article_number": msg.get("article-number") or (page if page and "-" not in page else None),
                    "role": "descriptor",
                }
            ],
        )
        draft.notes.append("Crossref describes the paper; the data's own host and licence still need to be added.")
        return draft


def _doi_of(ref: str) -> str | None:
    text = re.sub(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)", "", ref, flags=re.I)
    return text if re.match(r"^10\.\d{4,9}/\S+$", text) else None


#: the longest entry id (the schema's EntryId); a slug is cut at the last hyphen before it
MAX_ID_LENGTH = 64


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    slug = "-".join(slug.split("-")[:6])
    if len(slug) > MAX_ID_LENGTH:
        cut = slug[: MAX_ID_LENGTH + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else slug[:MAX_ID_LENGTH]
    return slug or "new-entry"
