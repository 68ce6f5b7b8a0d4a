"""`usreg import DOI|URL`: draft an entry from the metadata its host already has.

Supported: DataCite (dataset DOIs) and Crossref (paper DOIs), the Zenodo records API, the figshare v2 API, the
Mendeley Data public API and GitHub repository metadata. Each fact the draft states gets an evidence item with the
API URL it came from; everything else is left empty for the author. Host base URLs come from the same ``USREG_*``
variables as the fetch layer (plus ``USREG_DATACITE_API`` and ``USREG_CROSSREF_API``), so tests point them at a local
server.

Which URLs and DOIs belong to which host is read from the host modules' declarations (``HOST.urls`` and
``HOST.dois``, see ``registry/fetch/hosts/base.py``): a registered host with no metadata drafter below still gets a
draft that states its source. Requests go through the fetch layer's HTTP client (``registry/fetch/http.py``): the
same retries, Retry-After handling, User-Agent, timeouts and request deadline.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from ..errors import UsregError
from ..fetch.client import HttpClient
from ..fetch.hosts import declared
from ..fetch.hosts_config import base_url
from ..fetch.http import BROWSER_USER_AGENT
from ..schema.types import spdx_ids


def base(name: str, default: str) -> str:
    """A metadata service's base URL (not a data host's: those are ``hosts_config.base_url``)."""
    return os.environ.get(name, "").strip().rstrip("/") or default


#: the most authors a draft lists; longer lists end with ``authors_truncated``
MAX_AUTHORS = 100


def _orcid(value: Any) -> str | None:
    match = re.search(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", str(value or ""))
    return match.group(0) if match else None


def _author(family: Any = None, given: Any = None, name: Any = None, orcid: Any = None) -> dict[str, str] | None:
    """One ``publications[].authors`` item: a person split into family and given names, or a group by name."""
    family, given, name = (str(x).strip() if x else None for x in (family, given, name))
    if not family and name and "," in name:
        family, given = (x.strip() or None for x in name.split(",", 1))
    person = {"family": family, "given": given} if family else {"name": name}
    person["orcid"] = _orcid(orcid)
    return {k: v for k, v in person.items() if v} if (family or name) else None


def _authors(items: list[dict[str, str] | None]) -> dict[str, Any]:
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
    return {
        "datacite": base("USREG_DATACITE_API", "https://api.datacite.org"),
        "crossref": base("USREG_CROSSREF_API", "https://api.crossref.org"),
        "zenodo": base_url("USREG_ZENODO_URL"),
        "figshare": base_url("USREG_FIGSHARE_API"),
        "mendeley": base_url("USREG_MENDELEY_URL"),
        "github": base_url("USREG_GITHUB_API"),
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


def _licence(draft: Draft, url: str, name: str | None) -> None:
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
        #: hosts whose metadata API fills a draft; any other registered host gets a draft of its source
        self.drafters: dict[str, Callable[[str, str | None, str], Draft]] = {
            "zenodo": lambda record_id, version, kind: self.from_zenodo(record_id, kind),
            "figshare": self.from_figshare,
            "mendeley": self.from_mendeley,
            "github": lambda repo, version, kind: self.from_github(repo, kind),
        }

    def close(self) -> None:
        self.client.close()

    def get_json(self, url: str, headers: dict[str, str] | None = None) -> Any:
        response = self.client.send("GET", url, headers=headers, what=url)
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
        finally:
            response.close()

    # -- dispatch ------------------------------------------------------------------------------------------------
    def draft(self, ref: str, kind: str = "dataset") -> Draft:
        ref = ref.strip()
        found = recognise(ref)
        if found:
            host, record_id, version = found
            drafter = self.drafters.get(host)
            if drafter is not None:
                return drafter(record_id, version, kind)
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

    # -- hosts ---------------------------------------------------------------------------------------------------
    def from_datacite(self, doi: str, kind: str) -> Draft:
        url = f"{self.urls['datacite']}/dois/{doi}"
        attrs = self.get_json(url)["data"]["attributes"]
        draft = Draft(kind)
        titles = [t.get("title") for t in attrs.get("titles", []) if t.get("title")]
        descriptions = [d.get("description") for d in attrs.get("descriptions", []) if d.get("description")]
        creators = [
            _author(c.get("familyName"), c.get("givenName"), c.get("name"), _ids(c)) for c in attrs.get("creators", [])
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
        _licence(draft, url, next((r.get("rightsIdentifier") or r.get("rights") for r in rights), None))
        landing = attrs.get("url")
        if landing:
            draft.state(url, links={"homepage": landing})
        draft.state(
            url,
            publications=[
                {
                    "title": titles[0] if titles else None,
                    "doi": doi,
                    **_authors(creators),
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
        authors = _authors(
            [_author(a.get("family"), a.get("given"), a.get("name"), a.get("ORCID")) for a in msg.get("author", [])]
        )
        page = msg.get("page")
        draft.state(url, name=title, description=strip_html(msg.get("abstract")), year=year)
        draft.state(
            url,
            publications=[
                {
                    "title": title,
                    "doi": doi,
                    **authors,
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

    def from_zenodo(self, record_id: str, kind: str) -> Draft:
        url = f"{self.urls['zenodo']}/api/records/{record_id}"
        record = self.get_json(url)
        meta = record.get("metadata", {})
        draft = Draft(kind)
        creators = [_author(name=c.get("name"), orcid=c.get("orcid")) for c in meta.get("creators", [])]
        date = meta.get("publication_date")
        draft.state(
            url,
            name=meta.get("title"),
            description=strip_html(meta.get("description")),
            version=meta.get("version"),
            release_date=date,
            year=int(date[:4]) if date else None,
        )
        doi = record.get("doi") or meta.get("doi")
        if kind == "dataset":
            draft.state(url, dataset_doi=doi, access="open" if meta.get("access_right", "open") == "open" else None)
        licence = meta.get("license")
        _licence(draft, url, licence.get("id") if isinstance(licence, dict) else licence)
        files = []
        for item in record.get("files", []):
            name = item.get("key") or item.get("filename")
            checksum = str(item.get("checksum") or "")
            md5 = checksum.split(":", 1)[1] if checksum.startswith("md5:") else (checksum or None)
            files.append({k: v for k, v in {"name": name, "size": item.get("size"), "md5": md5}.items() if v})
        source = {
            "kind": "zenodo",
            "id": str(record.get("id", record_id)),
            "files": files,
            "url": f"https://zenodo.org/records/{record_id}",
        }
        if kind == "dataset":
            draft.state(url, sources=[source])
        if doi:
            draft.state(
                url,
                publications=[
                    {
                        "title": meta.get("title"),
                        "doi": doi,
                        **_authors(creators),
                        "year": int(date[:4]) if date else None,
                        "role": "descriptor",
                    }
                ],
            )
        return draft

    def from_figshare(self, article_id: str, version: str | None, kind: str) -> Draft:
        url = f"{self.urls['figshare']}/articles/{article_id}" + (f"/versions/{version}" if version else "")
        art = self.get_json(url)
        draft = Draft(kind)
        date = art.get("published_date")
        draft.state(
            url,
            name=art.get("title"),
            description=strip_html(art.get("description")),
            year=int(date[:4]) if date else None,
        )
        if kind == "dataset":
            draft.state(url, dataset_doi=art.get("doi"), access="open")
        licence = art.get("license") or {}
        _licence(draft, url, licence.get("name") if isinstance(licence, dict) else licence)
        files = [
            {k: v for k, v in {"name": f.get("name"), "size": f.get("size"), "md5": f.get("computed_md5")}.items() if v}
            for f in art.get("files", [])
        ]
        if kind == "dataset":
            draft.state(
                url,
                sources=[
                    {
                        k: v
                        for k, v in {
                            "kind": "figshare",
                            "id": str(article_id),
                            "version": str(version or art.get("version") or "") or None,
                            "files": files,
                            "url": art.get("url_public_html"),
                        }.items()
                        if v
                    }
                ],
            )
        return draft

    def from_mendeley(self, dataset_id: str, version: str | None, kind: str) -> Draft:
        query = f"?folder_id=&dataset_version={version}" if version else ""
        url = f"{self.urls['mendeley']}/public-api/datasets/{dataset_id}{query}"
        data = self.get_json(url, headers={"User-Agent": BROWSER_USER_AGENT, "Accept": "application/json"})
        draft = Draft(kind)
        version = str(data.get("version") or version or "") or None
        date = data.get("publish_date")
        draft.state(
            url,
            name=data.get("name"),
            description=strip_html(data.get("description")),
            year=int(date[:4]) if date else None,
            version=version,
        )
        doi = (data.get("doi") or {}).get("id") if isinstance(data.get("doi"), dict) else data.get("doi")
        if kind == "dataset":
            draft.state(
                url, dataset_doi=doi or (f"10.17632/{dataset_id}.{version}" if version else None), access="open"
            )
        _licence(draft, url, (data.get("data_licence") or {}).get("short_name"))
        files = [
            {
                k: v
                for k, v in {
                    "name": f.get("filename"),
                    "size": f.get("size"),
                    "sha256": (f.get("content_details") or {}).get("sha256_hash"),
                }.items()
                if v
            }
            for f in data.get("files", [])
        ]
        if kind == "dataset":
            draft.state(
                url,
                sources=[
                    {
                        "kind": "mendeley",
                        "id": dataset_id,
                        "version": version,
                        "files": files,
                        "url": f"https://data.mendeley.com/datasets/{dataset_id}/{version or ''}".rstrip("/"),
                    }
                ],
            )
        return draft

    def from_github(self, full_name: str, kind: str) -> Draft:
        owner, repo = full_name.split("/", 1)
        url = f"{self.urls['github']}/repos/{owner}/{repo}"
        data = self.get_json(url, headers={"Accept": "application/vnd.github+json"})
        draft = Draft(kind)
        created = data.get("created_at")
        draft.state(
            url, name=data.get("name"), description=data.get("description"), year=int(created[:4]) if created else None
        )
        spdx = ((data.get("license") or {}).get("spdx_id")) or None
        html_url = data.get("html_url") or f"https://github.com/{owner}/{repo}"
        if kind == "model":
            code = {"url": html_url}
            if spdx and spdx != "NOASSERTION" and spdx in spdx_ids():
                code["license"] = spdx
            draft.state(url, code=code)
        else:
            if spdx and spdx != "NOASSERTION":
                _licence(draft, url, spdx)
            draft.state(url, sources=[{"kind": "github", "id": f"{owner}/{repo}", "url": html_url}], access="open")
        links = {"code": html_url}
        if data.get("homepage"):
            links["homepage"] = data["homepage"]
        draft.state(url, links=links)
        if data.get("topics"):
            draft.notes.append("GitHub topics: " + ", ".join(data["topics"]) + ".")
        return draft


def _doi_of(ref: str) -> str | None:
    text = re.sub(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)", "", ref, flags=re.I)
    return text if re.match(r"^10\.\d{4,9}/\S+$", text) else None


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return "-".join(slug.split("-")[:6]) or "new-entry"
