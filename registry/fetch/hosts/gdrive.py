"""Google Drive files and folders.

The flow (docs/sources.md §2, as gdown does it):

1. GET ``{drive}/uc?id=ID&export=download``.
2. A response with ``Content-Disposition`` is the file.
3. Otherwise the HTML is a page: the legacy ``/uc?export=download`` link, the virus-scan form ``#download-form``
   (its action URL plus every hidden input), or a ``"downloadUrl"`` in JSON lead to the file; a
   ``uc-error-subcaption`` paragraph is an error from Drive (quota: "Too many users ..."); anything else means the
   file is not shared publicly.

Folders: ``{drive}/embeddedfolderview?id=ID`` lists files (``/file/d/ID/view``) and sub-folders
(``/drive/folders/ID``), fetched recursively.

Resolution happens at plan time with ``Range: bytes=0-0`` (one byte: the headers give the name and the size); the
download then requests the final URL again, resuming with a Range header like any other file.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ...schema import Source
from ..client import peek
from ..errors import HostError
from ..http import BROWSER_USER_AGENT
from ..plan import Candidate, RemoteFile, safe_relpath
from .base import Host, HostContext

HEADERS = {"User-Agent": BROWSER_USER_AGENT}
MAX_HOPS = 4
MAX_DEPTH = 8
_FILE_LINK = re.compile(r"/file/d/([-\w]{25,})/view")
_FOLDER_LINK = re.compile(r"/drive/folders/([-\w]{25,})")
_DOC_LINK = re.compile(r"docs\.google\.com/\w+/d/([-\w]{25,})")


class _FormParser(HTMLParser):
    """Finds ``<form id="download-form">``, its action and hidden inputs, and the uc-error-subcaption text."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.hidden: list[tuple[str, str]] = []
        self._in_form = False
        self._in_error = False
        self.error = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == "download-form":
            self._in_form = True
            self.action = a.get("action", "")
        elif tag == "input" and self._in_form and a.get("type", "").lower() == "hidden" and a.get("name"):
            self.hidden.append((a["name"], a.get("value", "")))
        elif tag == "p" and "uc-error-subcaption" in a.get("class", "").split():
            self._in_error = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "p":
            self._in_error = False

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.error += data


def confirmation_url(page: str, page_url: str) -> tuple[str | None, str]:
    """The next URL to try from a Drive HTML page, and Drive's own error text (if the page is an error)."""
    legacy = re.search(r'href="(/uc\?export=download[^"]+)"', page)
    if legacy:
        return urljoin(page_url, html.unescape(legacy.group(1))), ""
    parser = _FormParser()
    parser.feed(page)
    if parser.action is not None:
        action = urljoin(page_url, parser.action)
        parts = urlsplit(action)
        query = parse_qsl(parts.query, keep_blank_values=True) + parser.hidden
        return urlunsplit(parts._replace(query=urlencode(query))), ""
    found = re.search(r'"downloadUrl":"([^"]+)"', page)
    if found:
        return found.group(1).replace("\\u003d", "=").replace("\\u0026", "&"), ""
    return None, " ".join(parser.error.split())


def _filename(disposition: str) -> str | None:
    m = re.search(r"filename\*=UTF-8''([^;]+)", disposition, re.I)
    if m:
        from urllib.parse import unquote

        return unquote(m.group(1)).strip('"')
    m = re.search(r'filename="([^"]*)"', disposition) or re.search(r"filename=([^;]+)", disposition)
    return m.group(1).strip() if m else None


def _size(response) -> int | None:
    if response.status_code == 206:
        m = re.match(r"bytes \d+-\d+/(\d+)", response.headers.get("Content-Range", ""))
        return int(m.group(1)) if m else None
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def resolve_file(file_id: str, name: str | None, index: int, ctx: HostContext) -> RemoteFile:
    url = f"{ctx.config.base('USREG_GDRIVE_URL')}/uc?id={file_id}&export=download"
    view = f"https://drive.google.com/file/d/{file_id}/view"
    for _hop in range(MAX_HOPS):
        # ask for one byte: enough to see the headers (name, size) without starting the whole transfer
        response = ctx.client.send(
            "GET", url, headers={**HEADERS, "Range": "bytes=0-0"}, stream=True, what=f"google drive file {file_id}"
        )
        try:
            if response.status_code == 404:
                raise HostError(
                    f"google drive file {file_id} does not exist or is not shared ({url} answered 404)",
                    hint=f"check the id in the entry; open {view} in a browser to see whether it is public",
                    url=url,
                    status=404,
                )
            if response.status_code not in (200, 206):
                raise HostError(
                    f"google drive file {file_id}: {response.url} answered HTTP {response.status_code}",
                    hint="try again later",
                    url=str(response.url),
                    status=response.status_code,
                )
            disposition = response.headers.get("Content-Disposition")
            if disposition:
                final = str(response.url)
                size = _size(response)
                found = _filename(disposition)
                chosen = name or (found.replace("/", "_").replace("\\", "_") if found else file_id)
                return RemoteFile(
                    name=safe_relpath(chosen),
                    candidates=[Candidate(final, "host", headers=tuple(HEADERS.items()))],
                    host="gdrive",
                    source_index=index,
                    size=size,
                )
            page = peek(response, 512 * 1024).decode("utf-8", "replace")
            next_url, error = confirmation_url(page, str(response.url))
        finally:
            response.close()
        if error:
            raise HostError(
                f"google drive refused to serve file {file_id}: {error}",
                hint="Drive limits downloads of popular files; try again in a few hours (up to 24), or open "
                f"{view} in a browser, download it, then run `usreg fetch {ctx.dataset_id} --from-file PATH`",
                url=url,
            )
        if next_url is None:
            raise HostError(
                f"cannot retrieve the public link of google drive file {file_id}: Drive answered a page that is "
                "neither the file nor a download confirmation",
                hint=f"the file may not be shared as 'Anyone with the link', or Drive had too many accesses; open "
                f"{view} in a browser, download it, then run `usreg fetch {ctx.dataset_id} --from-file PATH`",
                url=url,
            )
        url = next_url
    raise HostError(
        f"google drive file {file_id}: too many confirmation pages",
        url=url,
        hint=f"download it by hand from {view} and pass it with --from-file",
    )


class _FolderParser(HTMLParser):
    """Collects (href, title) pairs of the entries of an embedded folder view, and the page title."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.entries: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = []
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.entries.append((self._href, " ".join("".join(self._text).split())))
            self._href = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._href is not None:
            self._text.append(data)


def resolve_folder(
    folder_id: str, prefix: str, index: int, ctx: HostContext, depth: int = 0, seen: set[str] | None = None
) -> list[RemoteFile]:
    seen = seen if seen is not None else set()
    if folder_id in seen or depth > MAX_DEPTH:
        return []
    seen.add(folder_id)
    url = f"{ctx.config.base('USREG_GDRIVE_URL')}/embeddedfolderview?id={folder_id}"
    response = ctx.client.send("GET", url, headers=HEADERS, what=f"google drive folder {folder_id}")
    if response.status_code != 200:
        raise HostError(
            f"google drive folder {folder_id} is not available ({url} answered HTTP {response.status_code})",
            hint=f"check the id; open https://drive.google.com/drive/folders/{folder_id} in a browser to see "
            "whether it is shared as 'Anyone with the link'",
            url=url,
            status=response.status_code,
        )
    parser = _FolderParser()
    parser.feed(response.text)
    out: list[RemoteFile] = []
    for href, title in parser.entries:
        if m := _FILE_LINK.search(href):
            name = f"{prefix}{title or m.group(1)}"
            out.append(resolve_file(m.group(1), safe_relpath(name), index, ctx))
        elif m := _FOLDER_LINK.search(href):
            sub = title or m.group(1)
            out += resolve_folder(m.group(1), f"{prefix}{sub}/", index, ctx, depth + 1, seen)
        elif _DOC_LINK.search(href):
            ctx.warn(
                f"google drive folder {folder_id}: skipping {title!r}, a native Google document "
                "(export it by hand if the dataset needs it)"
            )
    if not out and depth == 0:
        raise HostError(
            f"google drive folder {folder_id} lists no files",
            url=url,
            hint="the folder may be empty or not shared publicly; check it in a browser",
        )
    return out


def resolve(source: Source, index: int, ctx: HostContext) -> list[RemoteFile]:
    if source.folder:
        return resolve_folder(source.id or "", "", index, ctx)
    name = source.files[0].name if len(source.files) == 1 else None
    return [resolve_file(source.id or "", name, index, ctx)]


HOST = Host(
    resolve=resolve,
    env={"USREG_GDRIVE_URL": "https://drive.google.com"},
    domains=("drive.google.com", "drive.usercontent.google.com"),
    browser_agent=True,
)
