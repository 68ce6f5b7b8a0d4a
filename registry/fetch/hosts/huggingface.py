"""Hugging Face Hub repositories: the tree API lists files (LFS files with their sha256), ``resolve`` serves them."""

from __future__ import annotations

from urllib.parse import quote

from ...schema import Source
from ...settings import settings
from ..errors import HostError
from ..http import USER_AGENT
from ..plan import Candidate, RemoteFile, safe_relpath
from .base import Host, HostContext, need_list, need_object, need_size, need_text


def resolve(source: Source, index: int, ctx: HostContext) -> list[RemoteFile]:
    base = ctx.config.base("USREG_HF_URL")
    repo = source.id or ""
    revision = source.tag or "main"
    dataset = ctx.entry_kind == "dataset"
    api = f"{base}/api/{'datasets' if dataset else 'models'}/{repo}/tree/{quote(revision, safe='')}"
    file_base = f"{base}/{'datasets/' if dataset else ''}{repo}/resolve/{quote(revision, safe='')}"
    headers = {"User-Agent": USER_AGENT}
    token = settings().hf_token
    api_headers = {**headers, **({"Authorization": f"Bearer {token}"} if token else {})}
    wanted = {f.name for f in source.files}
    out: list[RemoteFile] = []
    url: str | None = api
    params: dict | None = {"recursive": "true"}
    while url:
        response = ctx.client.send("GET", url, headers=api_headers, params=params, what=f"hugging face repo {repo}")
        if response.status_code in (401, 403, 404):
            raise HostError(
                f"hugging face repo {repo} (revision {revision}) is not available: {url} answered "
                f"HTTP {response.status_code}",
                hint=f"check the id; gated repos need you to accept their terms at {base}/"
                f"{'datasets/' if dataset else ''}{repo} and HF_TOKEN set",
                url=url,
                status=response.status_code,
            )
        if response.status_code != 200:
            raise HostError(
                f"hugging face repo {repo}: {url} answered HTTP {response.status_code}",
                url=url,
                status=response.status_code,
                hint="try again later",
            )
        what = f"hugging face repo {repo}"
        try:
            listing = response.json()
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deeply
            raise HostError(
                f"{what}: {url} answered something that is not JSON", hint="try again later", url=url
            ) from None
        for n, item in enumerate(need_list(listing, what, url, "tree")):
            item = need_object(item, what, url, f"[{n}]")
            if item.get("type") != "file":
                continue
            path = need_text(item.get("path"), what, url, f"[{n}].path")
            if wanted and path not in wanted:
                continue
            lfs = need_object(item.get("lfs") or {}, what, url, f"[{n}].lfs")
            size = need_size(lfs.get("size", item.get("size")), what, url, f"[{n}].size")
            oid = need_text(lfs.get("oid"), what, url, f"[{n}].lfs.oid", optional=True)
            candidate_headers = tuple(api_headers.items())
            out.append(
                RemoteFile(
                    name=safe_relpath(path),
                    candidates=[Candidate(f"{file_base}/{quote(path)}", "host", candidate_headers)],
                    host="huggingface",
                    source_index=index,
                    size=size,
                    checksums={"sha256": oid} if oid else {},
                    checksum_origin=f"hugging face repo {repo}@{revision}",
                )
            )
        url = response.links.get("next", {}).get("url")
        params = None
    return out


HOST = Host(resolve=resolve, env={"USREG_HF_URL": "https://huggingface.co"}, domains=("huggingface.co",))
