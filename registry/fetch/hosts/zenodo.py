"""Zenodo records API: ``GET /api/records/{id}``; md5 from the API; URLs built from the file key."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from ...schema import Source
from ..errors import HostError
from ..hosts_config import base_url
from ..http import USER_AGENT
from ..plan import Candidate, RemoteFile, safe_relpath
from ..verify import parse_checksum
from .base import Host, HostContext, need_list, need_object, need_size, need_text

if TYPE_CHECKING:
    from ...contrib.importer import Draft, Importer

HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}


def resolve(source: Source, index: int, ctx: HostContext) -> list[RemoteFile]:
    base = ctx.config.base("USREG_ZENODO_URL")
    record_url = f"{base}/api/records/{source.id}"
    landing = f"{base}/records/{source.id}"
    record = ctx.client.get_json(
        record_url,
        what=f"zenodo record {source.id}",
        headers=HEADERS,
        statuses={
            404: (
                f"zenodo record {source.id} does not exist ({record_url} answered 404)",
                "check the record id in the entry's sources",
            ),
            410: (
                f"zenodo record {source.id} was deleted ({record_url} answered 410)",
                "look for a newer version of the record, or a mirror, and update the entry",
            ),
        },
    )
    what = f"zenodo record {source.id}"
    record = need_object(record, what, record_url, "record")
    files = record.get("files") or []
    if isinstance(files, dict):  # the InvenioRDM /files shape: {"entries": [...]}
        files = files.get("entries") or []
        field = "files.entries"
    else:
        field = "files"
    files = need_list(files, what, record_url, field)
    if not files:
        metadata, access_obj = record.get("metadata"), record.get("access")
        access = (metadata.get("access_right") if isinstance(metadata, dict) else None) or (
            access_obj.get("files") if isinstance(access_obj, dict) else None
        )
        raise HostError(
            f"zenodo record {source.id} lists no downloadable files" + (f" (access: {access})" if access else ""),
            hint=f"the files may be restricted: request access at {landing}, download them, then run "
            f"`usreg fetch {ctx.dataset_id} --from-file PATH`",
            url=record_url,
        )
    record_id = record.get("id") or source.id  # a concept id redirects to the latest version's record
    if isinstance(record_id, bool) or not isinstance(record_id, int | str):
        raise HostError(
            f"{what}: {record_url} answered a malformed 'id': expected a record id, got {record_id!r}",
            hint="the Zenodo API changed shape; report it",
            url=record_url,
        )
    out = []
    for n, item in enumerate(files):
        item = need_object(item, what, record_url, f"files[{n}]")
        if item.get("key") is None and item.get("filename") is None:
            raise HostError(
                f"zenodo record {source.id} has a file with neither 'key' nor 'filename'",
                hint="the Zenodo API changed shape; report it",
                url=record_url,
            )
        key_field = f"files[{n}].key" if item.get("key") is not None else f"files[{n}].filename"
        name = need_text(item.get("key") or item.get("filename"), what, record_url, key_field)
        size = need_size(item.get("size"), what, record_url, f"files[{n}].size")
        checksum_text = need_text(item.get("checksum"), what, record_url, f"files[{n}].checksum", optional=True)
        checksum = parse_checksum(checksum_text or "", default="md5")
        url = f"{base}/api/records/{record_id}/files/{quote(name)}/content"
        out.append(
            RemoteFile(
                name=safe_relpath(name),
                candidates=[Candidate(url, "host", headers=tuple(HEADERS.items()))],
                host="zenodo",
                source_index=index,
                size=size,
                checksums=dict([checksum]) if checksum else {},
                checksum_origin=f"zenodo record {record_id}",
            )
        )
    return out


def draft(importer: Importer, record_id: str, version: str | None, kind: str) -> Draft:
    """A draft entry from the record's metadata (``usreg import``)."""
    from ...contrib.importer import Draft, author, authors, state_licence, strip_html

    url = f"{base_url('USREG_ZENODO_URL')}/api/records/{record_id}"
    record = importer.get_json(url)
    meta = record.get("metadata", {})
    draft = Draft(kind)
    creators = [author(name=c.get("name"), orcid=c.get("orcid")) for c in meta.get("creators", [])]
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
    state_licence(draft, url, licence.get("id") if isinstance(licence, dict) else licence)
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
                    **authors(creators),
                    "year": int(date[:4]) if date else None,
                    "role": "descriptor",
                }
            ],
        )
    return draft


HOST = Host(
    resolve=resolve,
    draft=draft,
    env={"USREG_ZENODO_URL": "https://zenodo.org"},
    urls=(r"https?://(?:www\.)?zenodo\.org/(?:records|record)/(\d+)",),
    dois=(r"10\.5281/zenodo\.(\d+)$",),
    domains=("zenodo.org",),
)
