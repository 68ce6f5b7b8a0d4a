"""figshare v2 API: ``GET /articles/{id}[/versions/{v}]``; ``computed_md5`` per file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...schema import Source
from ..errors import HostError
from ..hosts_config import base_url
from ..http import USER_AGENT
from ..plan import Candidate, RemoteFile, safe_relpath
from .base import Host, HostContext, need_list, need_object, need_size, need_text

if TYPE_CHECKING:
    from ...contrib.importer import Draft, Importer

HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}


def resolve(source: Source, index: int, ctx: HostContext) -> list[RemoteFile]:
    version = ctx.version or source.version
    url = f"{ctx.config.base('USREG_FIGSHARE_API')}/articles/{source.id}" + (f"/versions/{version}" if version else "")
    label = f"figshare article {source.id}" + (f" version {version}" if version else "")
    if not version:
        ctx.warn(f"{label}: no version pinned, fetching the latest; pin 'version' in the entry for reproducibility")
    article = ctx.client.get_json(
        url,
        what=label,
        headers=HEADERS,
        statuses={
            404: (
                f"{label} does not exist or is not public ({url} answered 404)",
                "check the article id and version in the entry's sources",
            ),
            403: (
                f"{label} is not public ({url} answered 403)",
                "it may be embargoed or private: request access from the authors, then use --from-file",
            ),
        },
    )
    article = need_object(article, label, url, "article")
    files = need_list(article.get("files") or [], label, url, "files")
    if not files:
        raise HostError(f"{label} lists no files", hint="the article may be embargoed; see its landing page", url=url)
    out = []
    for n, item in enumerate(files):
        item = need_object(item, label, url, f"files[{n}]")
        md5 = need_text(
            item.get("computed_md5") or item.get("supplied_md5") or None, label, url, f"files[{n}].computed_md5", True
        )
        name = need_text(item.get("name"), label, url, f"files[{n}].name")
        download_url = need_text(item.get("download_url"), label, url, f"files[{n}].download_url")
        size = need_size(item.get("size"), label, url, f"files[{n}].size")
        headers = HEADERS if not item.get("is_link_only") else {"User-Agent": USER_AGENT}
        out.append(
            RemoteFile(
                name=safe_relpath(name),
                candidates=[Candidate(download_url, "host", headers=tuple(headers.items()))],
                host="figshare",
                source_index=index,
                size=size if not item.get("is_link_only") else None,
                checksums={"md5": md5.lower()} if md5 else {},
                checksum_origin=label,
            )
        )
    return out


def draft(importer: Importer, article_id: str, version: str | None, kind: str) -> Draft:
    """A draft entry from the record's metadata (``usreg import``)."""
    from ...contrib.importer import Draft, state_licence, strip_html

    url = f"{base_url('USREG_FIGSHARE_API')}/articles/{article_id}" + (f"/versions/{version}" if version else "")
    art = importer.get_json(url)
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
    state_licence(draft, url, licence.get("name") if isinstance(licence, dict) else licence)
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


HOST = Host(
    resolve=resolve,
    draft=draft,
    env={"USREG_FIGSHARE_API": "https://api.figshare.com/v2"},
    urls=(r"https?://(?:[\w.]+\.)?figshare\.com/articles/(?:[^/]+/)*?(\d+)(?:/(\d+))?",),
    dois=(r"10\.6084/m9\.figshare\.(\d+)(?:\.v(\d+))?$",),
    domains=("figshare.com",),
)
