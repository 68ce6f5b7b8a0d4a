"""Plain HTTP(S): files with their own ``url``, one file at ``source.url``, or names under ``source.url`` as a base."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from ...schema import Source
from ..errors import FetchError
from ..http import USER_AGENT
from ..plan import Candidate, RemoteFile, safe_relpath, url_join
from .base import Host, HostContext

HEADERS = (("User-Agent", USER_AGENT),)


def _name_from_url(url: str) -> str:
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    if not name:
        raise FetchError(
            f"cannot tell a file name from {url}", hint="list the file under the source's 'files' with a 'name'"
        )
    return name


def resolve(source: Source, index: int, ctx: HostContext) -> list[RemoteFile]:
    def remote(name: str, url: str, size: int | None = None) -> RemoteFile:
        return RemoteFile(
            name=safe_relpath(name),
            candidates=[Candidate(url, "host", HEADERS)],
            host="http",
            source_index=index,
            size=size,
        )

    if not source.files:
        return [remote(_name_from_url(source.url or ""), source.url or "")]
    without_url = [f for f in source.files if not f.url]
    out = []
    for f in source.files:
        if f.url:
            out.append(remote(f.name, f.url, f.size))
        elif len(without_url) == 1 and len(source.files) == 1:
            out.append(remote(f.name, source.url or "", f.size))  # the source URL is this file
        else:
            out.append(remote(f.name, url_join(source.url or "", f.name), f.size))  # the source URL is a base
    return out


HOST = Host(resolve=resolve)
