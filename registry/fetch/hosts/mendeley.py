"""Mendeley Data public API: ``GET /public-api/datasets/{id}?folder_id=&dataset_version=N``; sha256 per file.

Mendeley refuses clients that do not look like a browser (HTTP 403), and sometimes answers its web app's HTML
instead of JSON; both become clear errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...schema import Source
from ..errors import HostError
from ..hosts_config import base_url
from ..http import BROWSER_USER_AGENT
from ..plan import Candidate, RemoteFile, safe_relpath
from .base import Host, HostContext, malformed, need_object, need_size, need_text

if TYPE_CHECKING:
    from ...contrib.importer import Draft, Importer

HEADERS = {"User-Agent": BROWSER_USER_AGENT, "Accept": "application/json"}


def resolve(source: Source, index: int, ctx: HostContext) -> list[RemoteFile]:
    base = ctx.config.base("USREG_MENDELEY_URL")
    version = ctx.version or source.version
    url = f"{base}/public-api/datasets/{source.id}"
    params = {"folder_id": "", "dataset_version": version} if version else None
    landing = f"{base}/datasets/{source.id}" + (f"/{version}" if version else "")
    label = f"mendeley dataset {source.id}" + (f" version {version}" if version else "")
    data = ctx.client.get_json(
        url,
        what=label,
        headers=HEADERS,
        params=params,
        statuses={
            403: (
                f"Mendeley Data refused the request for {label} (HTTP 403)",
                f"Mendeley blocks some clients; open {landing} in a browser, download the files, then run "
                f"`usreg fetch {ctx.dataset_id} --from-file PATH`",
            ),
            404: (
                f"{label} does not exist on Mendeley Data ({url} answered 404)",
                "check the dataset id and version in the entry's sources",
            ),
        },
    )
    files = data.get("files") if isinstance(data, dict) else data
    if not isinstance(files, list) or not files:
        raise HostError(
            f"{label}: the API answer lists no files",
            url=url,
            hint=f"the dataset may be under embargo or in draft, or keep its files in folders (which this listing "
            f"leaves out): open {landing}, use its 'Download All' button, then run "
            f"`usreg fetch {ctx.dataset_id} --from-file PATH`",
        )
    out = []
    for n, item in enumerate(files):
        item = need_object(item, label, url, f"files[{n}]")
        details = need_object(item.get("content_details") or {}, label, url, f"files[{n}].content_details")
        name = need_text(item.get("filename") or item.get("name"), label, url, f"files[{n}].filename")
        download = need_text(details.get("download_url"), label, url, f"files[{n}].content_details.download_url", True)
        if download is None:
            file_id = item.get("id")
            if isinstance(file_id, bool) or not isinstance(file_id, str | int) or file_id == "":
                raise malformed(label, url, f"files[{n}].id", "a file id", file_id)
            download = f"{base}/public-files/datasets/{source.id}/files/{file_id}/file_downloaded"
        sha = need_text(details.get("sha256_hash"), label, url, f"files[{n}].content_details.sha256_hash", True)
        size = need_size(details.get("size"), label, url, f"files[{n}].content_details.size")
        if size is None:
            size = need_size(item.get("size"), label, url, f"files[{n}].size")
        out.append(
            RemoteFile(
                name=safe_relpath(name),
                candidates=[Candidate(download, "host", headers=(("User-Agent", BROWSER_USER_AGENT),))],
                host="mendeley",
                source_index=index,
                size=size,
                checksums={"sha256": sha.lower()} if sha else {},
                checksum_origin=label,
            )
        )
    return out


def draft(importer: Importer, dataset_id: str, version: str | None, kind: str) -> Draft:
    """A draft entry from the record's metadata (``usreg import``)."""
    from ...contrib.importer import Draft, state_licence, strip_html

    query = f"?folder_id=&dataset_version={version}" if version else ""
    url = f"{base_url('USREG_MENDELEY_URL')}/public-api/datasets/{dataset_id}{query}"
    data = importer.get_json(url, headers={"User-Agent": BROWSER_USER_AGENT, "Accept": "application/json"})
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
        draft.state(url, dataset_doi=doi or (f"10.17632/{dataset_id}.{version}" if version else None), access="open")
    state_licence(draft, url, (data.get("data_licence") or {}).get("short_name"))
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


HOST = Host(
    resolve=resolve,
    draft=draft,
    env={"USREG_MENDELEY_URL": "https://data.mendeley.com"},
    urls=(r"https?://data\.mendeley\.com/datasets/([a-z0-9]+)(?:/(\d+))?",),
    dois=(r"10\.17632/([a-z0-9]+)\.(\d+)$",),
    domains=("data.mendeley.com",),
    browser_agent=True,
)
