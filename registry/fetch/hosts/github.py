"""GitHub release assets (``/repos/{repo}/releases/tags/{tag}`` or ``/latest``) and tagged source archives.

Assets carry a ``digest`` ("sha256:<hex>") on current GitHub; archives have no published checksum, so they are
verified by trust on first use. ``GITHUB_TOKEN`` is sent to the API when set (higher rate limits).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from ...schema import Source
from ...settings import settings
from ..errors import HostError
from ..hosts_config import base_url
from ..http import USER_AGENT
from ..plan import Candidate, RemoteFile, safe_relpath
from ..verify import parse_checksum
from .base import Host, HostContext, need_list, need_object, need_size, need_text

if TYPE_CHECKING:
    from ...contrib.importer import Draft, Importer


def _api_headers() -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    token = settings().github_token
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _archive(repo: str, ref: str, index: int, ctx: HostContext, fmt: str = "tar.gz") -> RemoteFile:
    name = f"{repo.split('/', 1)[1]}-{ref.replace('/', '-')}.{fmt}"
    url = f"{ctx.config.base('USREG_GITHUB_URL')}/{repo}/archive/{quote(ref)}.{fmt}"
    return RemoteFile(
        name=safe_relpath(name),
        candidates=[Candidate(url, "host", (("User-Agent", USER_AGENT),))],
        host="github",
        source_index=index,
    )


def resolve(source: Source, index: int, ctx: HostContext) -> list[RemoteFile]:
    repo = source.id or ""
    tag = source.tag
    wanted = {f.name for f in source.files}
    short = repo.split("/", 1)[1]
    if tag:
        for fmt in ("tar.gz", "zip"):  # the entry may ask for the source archive by its conventional name
            if f"{short}-{tag.replace('/', '-')}.{fmt}" in wanted and len(wanted) == 1:
                return [_archive(repo, tag, index, ctx, fmt)]
    url = f"{ctx.config.base('USREG_GITHUB_API')}/repos/{repo}/releases/" + (f"tags/{quote(tag)}" if tag else "latest")
    response = ctx.client.send("GET", url, headers=_api_headers(), what=f"github release of {repo}")
    if response.status_code == 403 and response.headers.get("X-RateLimit-Remaining") == "0":
        raise HostError(
            f"the GitHub API rate limit is exhausted ({url})",
            url=url,
            status=403,
            hint="wait an hour, or set GITHUB_TOKEN to a personal access token",
        )
    if response.status_code == 404:
        if tag:  # no release for this ref: the tagged (or branch/commit) source archive
            return [_archive(repo, tag, index, ctx)]
        raise HostError(
            f"github repository {repo} has no release ({url} answered 404)",
            url=url,
            status=404,
            hint="set 'tag' on the entry's source to archive a tag, branch or commit instead",
        )
    if response.status_code != 200:
        raise HostError(
            f"github release of {repo}: {url} answered HTTP {response.status_code}",
            url=url,
            status=response.status_code,
            hint="check the repository and tag in the entry",
        )
    what = f"github release of {repo}"
    try:
        release = response.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deeply
        raise HostError(f"{what}: {url} answered something that is not JSON", hint="try again later", url=url) from None
    release = need_object(release, what, url, "release")
    assets = need_list(release.get("assets") or [], what, url, "assets")
    if not assets:
        ref = tag or need_text(release.get("tag_name"), what, url, "tag_name", optional=True) or "HEAD"
        return [_archive(repo, ref, index, ctx)]
    out = []
    for n, asset in enumerate(assets):
        asset = need_object(asset, what, url, f"assets[{n}]")
        name = need_text(asset.get("name"), what, url, f"assets[{n}].name")
        if wanted and name not in wanted:
            continue
        digest = parse_checksum(need_text(asset.get("digest"), what, url, f"assets[{n}].digest", True) or "")
        download = need_text(asset.get("browser_download_url"), what, url, f"assets[{n}].browser_download_url")
        out.append(
            RemoteFile(
                name=safe_relpath(name),
                candidates=[Candidate(download, "host", (("User-Agent", USER_AGENT),))],
                host="github",
                source_index=index,
                size=need_size(asset.get("size"), what, url, f"assets[{n}].size"),
                checksums=dict([digest]) if digest else {},
                checksum_origin=f"github release {release.get('tag_name', tag)} of {repo}",
            )
        )
    return out


def draft(importer: Importer, full_name: str, version: str | None, kind: str) -> Draft:
    """A draft entry from the record's metadata (``usreg import``)."""
    from ...contrib.importer import Draft, state_licence
    from ...schema.types import spdx_ids

    owner, repo = full_name.split("/", 1)
    url = f"{base_url('USREG_GITHUB_API')}/repos/{owner}/{repo}"
    data = importer.get_json(url, headers={"Accept": "application/vnd.github+json"})
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
            state_licence(draft, url, spdx)
        draft.state(url, sources=[{"kind": "github", "id": f"{owner}/{repo}", "url": html_url}], access="open")
    links = {"code": html_url}
    if data.get("homepage"):
        links["homepage"] = data["homepage"]
    draft.state(url, links=links)
    if data.get("topics"):
        draft.notes.append("GitHub topics: " + ", ".join(data["topics"]) + ".")
    return draft


HOST = Host(
    resolve=resolve,
    draft=draft,
    env={"USREG_GITHUB_API": "https://api.github.com", "USREG_GITHUB_URL": "https://github.com"},
    urls=(r"https?://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?$",),
    domains=("github.com",),
)
