"""The HTTP client: retries with backoff, Retry-After, timeouts, and resumable, hashed, constant-memory downloads."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ..errors import EXIT_ENVIRONMENT
from .errors import DownloadError, HostError, redact_text, redact_url
from .http import (
    RETRY_STATUSES,
    TRANSIENT_ERRORS,
    USER_AGENT,
    RetryBudget,
    backoff_delay,
    describe,
    retry_after,
    timeout,
)
from .plan import Candidate
from .settings import CHUNK_SIZE, QUEUE_CHUNKS, FetchSettings
from .space import GROWTH_CHECK_BYTES, check_room_to_grow
from .transport import DEADLINE, HEADERS_ONLY, HostNotFound, Urllib3Transport, fast_transport_supported
from .verify import feed_file

MAX_REDIRECTS = 20  # httpx's default
#: bytes of an answer read whole (an API's JSON, an HTML page), after any Content-Encoding is undone: a host sending an
#: endless body, or a small gzip body that inflates to gigabytes, is stopped here, not by running out of memory
MAX_ANSWER_BYTES = 64 << 20


class Cancelled(Exception):
    """The user interrupted the fetch; the ``.part`` file is kept for a later resume."""


class RetriesExhausted(DownloadError):
    """Every attempt at one URL failed with a transient error, or its host name does not resolve: the network or the
    host is down, an environment failure (exit code 2)."""

    exit_code = EXIT_ENVIRONMENT


@dataclass
class DownloadInfo:
    url: str
    bytes_transferred: int  # body bytes received over the network during this call
    resumed_from: int  # bytes already in the .part file when the transfer started
    size: int
    digests: dict[str, str]
    content_type: str = ""


def _title(text: str) -> str:
    m = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    return " ".join(m.group(1).split())[:120] if m else ""


class _Sink:
    """Writes chunks to disk on one thread and hashes them on another, so the network, the disk and the hashing
    overlap (on a 1 GiB file, sha256 alone costs about as much as the write).

    Each queue holds at most ``QUEUE_CHUNKS`` chunks, which bounds memory whatever the file size.
    """

    def __init__(self, f, hashers: dict[str, Any]) -> None:
        self._f = f
        self._error: BaseException | None = None
        self._queues: list[queue.Queue[bytes | None]] = []
        self._threads: list[threading.Thread] = []
        self._start(self._write)
        hash_list = list(hashers.values())
        if hash_list:
            self._start(lambda chunk: [h.update(chunk) for h in hash_list])

    def _start(self, consume: Callable[[bytes], Any]) -> None:
        q: queue.Queue[bytes | None] = queue.Queue(QUEUE_CHUNKS)
        thread = threading.Thread(target=self._run, args=(q, consume), name="usreg-sink", daemon=True)
        self._queues.append(q)
        self._threads.append(thread)
        thread.start()

    def _write(self, chunk: bytes) -> None:
        self._f.write(chunk)

    def _run(self, q: queue.Queue[bytes | None], consume: Callable[[bytes], Any]) -> None:
        while True:
            chunk = q.get()
            if chunk is None:
                return
            if self._error is not None:
                continue
            try:
                consume(chunk)
            except BaseException as exc:  # disk full, I/O error: reported by put() and close()
                self._error = exc

    def put(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        for q in self._queues:
            q.put(chunk)

    def close(self) -> None:
        for q in self._queues:
            q.put(None)
        for thread in self._threads:
            thread.join()
        self._f.flush()
        if self._error is not None:
            raise self._error


class HttpClient:
    """One httpx client per fetch, shared by the download threads."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        max_connections: int = 16,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or FetchSettings.from_env()
        self._sleep = sleep
        fast = fast_transport_supported()
        transport = Urllib3Transport(max_connections=max_connections) if fast else None
        self.http = httpx.Client(
            transport=transport,
            trust_env=not fast,  # the transport reads the proxy variables itself; httpx must not mount its own
            timeout=timeout(self.settings),
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=max_connections),
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests with retries ---------------------------------------------------------------------------------
    def send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        stream: bool = False,
        params: dict[str, Any] | None = None,
        what: str = "",
    ) -> httpx.Response:
        """Send with retries on transient errors, 429 and 5xx (honouring Retry-After). Returns the last response for
        any other status; raises ``RetriesExhausted`` when every attempt failed."""
        last = ""
        budget = RetryBudget.from_settings(self.settings)
        while budget.start():
            request = self.http.build_request(
                method, url, headers=headers, params=params, extensions={DEADLINE: self.settings.request_deadline}
            )
            try:
                response = self.http.send(request, auth=auth, stream=True)
                if not stream:
                    response = _read_bounded(response, what or url)
            except HostNotFound as exc:
                raise _unresolvable(what or url, url, exc) from None
            except TRANSIENT_ERRORS as exc:
                last = describe(exc)
                wait = budget.retry()
                if wait is not None:
                    self._sleep(wait)
                continue
            except httpx.HTTPError as exc:
                raise _answer_error(what or url, url, exc) from None
            if response.status_code in RETRY_STATUSES:
                asked = retry_after(response.headers)
                last = f"HTTP {response.status_code}" + (f" (Retry-After: {asked:g}s)" if asked is not None else "")
                response.close()
                wait = budget.retry(asked)
                if wait is not None:
                    self._sleep(wait)
                continue
            return response
        raise RetriesExhausted(
            f"{what or url}: gave up after {budget.used} attempts at {redact_url(url)}; last error: {last}",
            hint="the host may be down or rate-limiting; try again later, or use --mirror URL",
        )

    def get_json(
        self,
        url: str,
        *,
        what: str,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        params: dict[str, Any] | None = None,
        statuses: dict[int, tuple[str, str]] | None = None,
    ) -> Any:
        """GET a JSON document. ``statuses`` maps a status to (message, hint) for host-specific explanations; an
        HTML answer or any other failure becomes a ``HostError`` naming the URL."""
        response = self.send("GET", url, headers=headers, auth=auth, params=params, what=what)
        shown = str(response.url)
        if statuses and response.status_code in statuses:
            message, hint = statuses[response.status_code]
            raise HostError(message, hint, url=shown, status=response.status_code)
        if response.status_code != 200:
            raise HostError(
                f"{what}: {shown} answered HTTP {response.status_code}{_snippet(response)}",
                hint="check the entry's source id and version; the record may have moved or been removed",
                url=shown,
                status=response.status_code,
            )
        content_type = response.headers.get("Content-Type", "")
        if "html" in content_type or response.text.lstrip().startswith("<"):
            title = _title(response.text)
            raise HostError(
                f"{what}: {shown} answered an HTML page" + (f" ({title!r})" if title else "") + " instead of JSON",
                hint="the host may be showing a login, captcha or maintenance page; open the URL in a browser, "
                "try again later, or download the files by hand and pass them with --from-file",
                url=shown,
                status=response.status_code,
            )
        try:
            return response.json()
        except RecursionError:
            raise HostError(
                f"{what}: {shown} answered JSON nested too deeply to read",
                hint="try again later; if it persists, report it",
                url=shown,
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise HostError(
                f"{what}: {shown} answered something that is not JSON{_snippet(response)}",
                hint="try again later; if it persists, report it",
                url=shown,
            ) from None

    # -- downloads ---------------------------------------------------------------------------------------------
    def download(
        self,
        candidate: Candidate,
        part: Path,
        *,
        expected_size: int | None,
        algorithms: set[str],
        name: str,
        on_progress: Callable[[int], None] | None = None,
        on_start: Callable[[int, int | None], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> DownloadInfo:
        """Download ``candidate`` into ``part``, resuming from whatever ``part`` already holds.

        Transient failures (dropped connections, timeouts, 429, 5xx) are retried with backoff; a retry resumes with
        a Range request. Two bounds stop every retry loop: ``retries`` attempts in a row that leave the partial file
        no larger than it ever was (so a host that ignores Range and drops each transfer is abandoned, however much it
        sends), and ``max_attempts`` attempts in all, progress or not. Raises ``RetriesExhausted`` or ``HostError``
        when this URL cannot deliver the file; the caller then tries the next candidate.
        """
        cancel = cancel or threading.Event()
        part.parent.mkdir(parents=True, exist_ok=True)
        meta_path = part.with_name(part.name + ".json")
        transferred = 0
        resumed_from = part.stat().st_size if part.exists() else 0
        high = resumed_from  # the largest the partial file has been: growing past it is progress
        attempts = 0
        stalled = 0
        last = ""
        url = candidate.url
        while attempts < self.settings.max_attempts and stalled < self.settings.retries:
            if cancel.is_set():
                raise Cancelled()
            attempts += 1
            have = part.stat().st_size if part.exists() else 0
            if expected_size is not None and have > expected_size:
                part.unlink()
                have = 0
            headers = {**candidate.header_dict(), "Accept-Encoding": "identity"}
            meta = _read_meta(meta_path)
            validator = None
            if have:
                headers["Range"] = f"bytes={have}-"
                if meta.get("url") in (_url_key(url), url):  # a plain URL: metadata written by an older usreg
                    validator = _validator(meta)
                    if validator:
                        headers["If-Range"] = validator
            try:
                outcome = self._transfer(
                    url,
                    candidate.auth,
                    headers,
                    part,
                    have,
                    expected_size,
                    algorithms,
                    name,
                    meta_path,
                    meta if validator else {},
                    on_progress,
                    on_start,
                    cancel,
                )
            except _Retry as retry:
                transferred += retry.received
                last = retry.reason
                size = part.stat().st_size if part.exists() else 0
                if size > high:
                    high = size
                    stalled = 0
                else:
                    stalled += 1
                if attempts < self.settings.max_attempts and stalled < self.settings.retries:
                    self._sleep(
                        backoff_delay(
                            max(0, stalled - 1), self.settings.base_delay, self.settings.max_wait, retry.retry_after
                        )
                    )
                continue
            outcome.bytes_transferred += transferred
            outcome.resumed_from = resumed_from
            meta_path.unlink(missing_ok=True)
            return outcome
        why = (
            f"{stalled} attempts in a row without new bytes"
            if stalled >= self.settings.retries
            else f"{attempts} attempts in all (USREG_MAX_ATTEMPTS)"
        )
        raise RetriesExhausted(
            f"{name}: gave up after {why} at {redact_url(url)}; last error: {last}",
            hint="the host may be down, rate-limiting or ignoring Range requests; run the same command again later "
            "to resume, or use --mirror URL",
        )

    def _transfer(
        self,
        url: str,
        auth: tuple[str, str] | None,
        headers: dict[str, str],
        part: Path,
        have: int,
        expected_size: int | None,
        algorithms: set[str],
        name: str,
        meta_path: Path,
        validators: dict[str, Any],
        on_progress: Callable[[int], None] | None,
        on_start: Callable[[int, int | None], None] | None,
        cancel: threading.Event,
    ) -> DownloadInfo:
        request = self.http.build_request(
            "GET", url, headers=headers, extensions={DEADLINE: self.settings.request_deadline, HEADERS_ONLY: True}
        )
        try:
            response = self.http.send(request, auth=auth, stream=True)
        except HostNotFound as exc:
            raise _unresolvable(name, url, exc) from None
        except TRANSIENT_ERRORS as exc:
            raise _Retry(describe(exc)) from None
        except httpx.HTTPError as exc:
            raise _answer_error(name, url, exc) from None
        received = 0
        try:
            status = response.status_code
            if status in RETRY_STATUSES:
                raise _Retry(f"HTTP {status}", retry_after(response.headers))
            if status == 206 and _changed(validators, response):
                part.unlink(missing_ok=True)  # never splice two versions of a file
                raise _Retry(
                    f"the file changed on the host since the partial download ({_changed(validators, response)}) and "
                    "the host ignored If-Range; restarting from the beginning"
                )
            if status == 416 and have:
                total = _content_range_total(response.headers.get("Content-Range"))
                if expected_size == have or total == have:
                    return self._finish(part, url, 0, algorithms, response)
                part.unlink()  # the partial file does not fit the remote file: start again
                raise _Retry("HTTP 416 (partial file does not match; restarting)")
            if status not in (200, 206):
                raise HostError(
                    f"{name}: {response.url} answered HTTP {status}{_snippet(response, stream=True)}",
                    hint=_status_hint(status),
                    url=str(response.url),
                    status=status,
                )
            content_type = response.headers.get("Content-Type", "")
            if "text/html" in content_type and not name.lower().endswith((".html", ".htm")):
                body = peek(response).decode("utf-8", "replace")
                title = _title(body)
                raise HostError(
                    f"{name}: {response.url} answered an HTML page"
                    + (f" ({title!r})" if title else "")
                    + " instead of the file",
                    hint="the host may require a login, a confirmation or accepting terms; open the URL in a "
                    "browser, or download the file by hand and pass it with --from-file",
                    url=str(response.url),
                    status=status,
                )
            start = 0
            if status == 206:
                start = _content_range_start(response.headers.get("Content-Range"))
                if start != have:
                    part.unlink(missing_ok=True)
                    raise _Retry(f"unexpected Content-Range {response.headers.get('Content-Range')!r}; restarting")
            length = response.headers.get("Content-Length")
            announced = start + int(length) if length and length.isdigit() else None
            if status == 206:
                announced = _content_range_total(response.headers.get("Content-Range")) or announced
            if expected_size is not None and announced is not None and announced > expected_size:
                part.unlink(missing_ok=True)
                raise HostError(
                    f"{name}: {_host(response)} announces {announced:,} bytes, but {expected_size:,} were declared; "
                    "refused before downloading",
                    hint="the file on the host differs from the one the entry or the host's API describes: report it, "
                    "or use --mirror URL",
                    url=redact_url(str(response.url)),
                    status=status,
                )
            cap = expected_size if expected_size is not None else announced
            mode = "r+b" if start else "wb"
            hashers = {alg: hashlib.new(alg) for alg in sorted({"sha256", *algorithms})}
            _write_meta(meta_path, _url_key(url), response.headers.get("ETag"), response.headers.get("Last-Modified"))
            too_big = False
            with open(part, mode) as f:
                if start:
                    f.truncate(start)
                    feed_file(part, hashers)
                    f.seek(start)
                if on_start:
                    on_start(start, cap)
                sink = _Sink(f, hashers)
                window = self.settings.read_timeout
                window_start, window_bytes = time.monotonic(), 0
                next_space_check = GROWTH_CHECK_BYTES
                try:
                    for chunk in response.iter_raw():
                        if cancel.is_set():
                            raise Cancelled()
                        if cap is not None and start + received + len(chunk) > cap:
                            too_big = True
                            break
                        sink.put(chunk)
                        received += len(chunk)
                        window_bytes += len(chunk)
                        if cap is None and received >= next_space_check:  # no size known: the disk is the bound
                            next_space_check += GROWTH_CHECK_BYTES
                            check_room_to_grow(part, name, start + received)
                        if on_progress:
                            on_progress(len(chunk))
                        elapsed = time.monotonic() - window_start
                        if window > 0 and elapsed >= window:
                            if window_bytes < self.settings.min_rate * elapsed:
                                raise _Retry(
                                    f"the host sent {window_bytes:,} bytes in {elapsed:.0f} s, below the minimum rate "
                                    f"of {self.settings.min_rate:g} bytes/s (USREG_MIN_RATE)",
                                    received=received,
                                )
                            window_start, window_bytes = time.monotonic(), 0
                except TRANSIENT_ERRORS as exc:
                    raise _Retry(describe(exc), received=received) from None
                finally:
                    sink.close()
            if too_big:
                part.unlink(missing_ok=True)
                raise HostError(
                    f"{name}: {_host(response)} sent more than the {cap:,} bytes "
                    + ("declared" if expected_size is not None else "it announced")
                    + "; the transfer was cut there and refused",
                    hint="the file on the host differs from the one the entry or the host's API describes: report it, "
                    "or use --mirror URL",
                    url=redact_url(str(response.url)),
                    status=status,
                )
            return self._finish(part, url, received, algorithms, response, hashers)
        finally:
            response.close()

    def _finish(
        self,
        part: Path,
        url: str,
        received: int,
        algorithms: set[str],
        response: httpx.Response,
        hashers: dict[str, Any] | None = None,
    ) -> DownloadInfo:
        if hashers is None:
            hashers = {alg: hashlib.new(alg) for alg in sorted({"sha256", *algorithms})}
            feed_file(part, hashers)
        return DownloadInfo(
            url=str(response.url),
            bytes_transferred=received,
            resumed_from=0,
            size=part.stat().st_size,
            digests={alg: h.hexdigest() for alg, h in hashers.items()},
            content_type=response.headers.get("Content-Type", ""),
        )

    def probe_size(self, candidate: Candidate) -> int | None:
        """Content-Length from a HEAD request (for --dry-run of files whose host gives no size)."""
        try:
            response = self.http.head(
                candidate.url,
                headers=candidate.header_dict(),
                auth=candidate.auth if candidate.auth is not None else httpx.USE_CLIENT_DEFAULT,
                extensions={DEADLINE: self.settings.request_deadline},
            )
        except httpx.HTTPError:
            return None
        length = response.headers.get("Content-Length")
        return int(length) if response.status_code == 200 and length and length.isdigit() else None


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None = None, received: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.received = received


def _unresolvable(what: str, url: str, exc: Exception) -> RetriesExhausted:
    host = httpx.URL(url).host
    return RetriesExhausted(
        f"{what}: cannot resolve the host name {host!r} ({url}); not retried",
        hint="check the network connection, DNS or proxy settings (HTTPS_PROXY); or use --mirror URL, or download "
        "the files elsewhere and pass them with --from-file",
    )


def _answer_error(what: str, url: str, exc: httpx.HTTPError) -> HostError:
    """A host answer that cannot be followed (a redirect loop, a redirect to another protocol, a broken URL)."""
    shown = redact_url(url)
    host = httpx.URL(url).host or shown
    if isinstance(exc, httpx.TooManyRedirects):
        return HostError(
            f"{what}: {host} redirects in a loop (more than {MAX_REDIRECTS} redirects, starting at {shown})",
            hint="the host is misconfigured or asks for a login; open the URL in a browser, or use --mirror URL",
            url=shown,
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return HostError(
            f"{what}: {host} answered with a URL usreg cannot follow ({redact_text(str(exc))}), starting at {shown}",
            hint="only http and https are supported; download the file by hand and pass it with --from-file",
            url=shown,
        )
    return HostError(
        f"{what}: the answer of {host} could not be read ({exc.__class__.__name__}: {redact_text(str(exc))})",
        hint="try again later; if it persists, report it with the URL",
        url=shown,
    )


def _content_range_start(value: str | None) -> int:
    m = re.match(r"bytes (\d+)-\d+/(\d+|\*)", value or "")
    return int(m.group(1)) if m else -1


def _content_range_total(value: str | None) -> int | None:
    m = re.match(r"bytes (?:\*|\d+-\d+)/(\d+)", value or "")
    return int(m.group(1)) if m else None


def _url_key(url: str) -> str:
    """What the partial file's metadata stores of its URL: a digest, so no credential or signature lands on disk."""
    return "sha256:" + hashlib.sha256(url.encode("utf-8")).hexdigest()


def _host(response: httpx.Response) -> str:
    return response.url.host or "the host"


def _validator(meta: dict[str, Any]) -> str | None:
    """The If-Range value for a resume: a strong ETag, else Last-Modified (weak ETags may not be used)."""
    etag = meta.get("etag")
    if etag and not str(etag).startswith("W/"):
        return str(etag)
    return meta.get("last_modified") or None


def _changed(validators: dict[str, Any], response: httpx.Response) -> str:
    """How the file's validators changed since the partial download started ('' when they did not)."""
    for key, header in (("etag", "ETag"), ("last_modified", "Last-Modified")):
        before, now = validators.get(key), response.headers.get(header)
        if before and now and before != now:
            return f"{header} {before} -> {now}"
    return ""


def _read_bounded(response: httpx.Response, what: str) -> httpx.Response:
    """``response`` with its whole body read and any gzip/deflate Content-Encoding undone, refused past
    ``MAX_ANSWER_BYTES``. Inflating goes at most a chunk at a time, so a small body that unpacks to gigabytes is
    stopped after ``MAX_ANSWER_BYTES``, never held in memory (httpx inflates each piece it receives whole)."""
    encodings = [e.strip().lower() for e in response.headers.get("Content-Encoding", "").split(",") if e.strip()]
    encodings = [e for e in encodings if e != "identity"]
    pieces: list[bytes] = []
    size = 0
    try:
        if all(e in _ZLIB_WBITS for e in encodings):
            body = response.iter_raw()
            for encoding in reversed(encodings):
                body = _inflate(body, encoding)
        else:  # an encoding httpx reads and zlib does not (br, zstd where installed)
            body = response.iter_bytes()
        for piece in body:
            size += len(piece)
            if size > MAX_ANSWER_BYTES:
                shown = redact_url(str(response.url))
                packed = f" (unpacked from {', '.join(encodings)})" if encodings else ""
                raise HostError(
                    f"{what}: {shown} answered more than {MAX_ANSWER_BYTES:,} bytes{packed} where a short answer was "
                    "expected; stopped reading",
                    hint="the host may be broken or hostile; try again later, or download the files by hand and "
                    "pass them with --from-file",
                    url=shown,
                    status=response.status_code,
                )
            pieces.append(piece)
    except zlib.error as exc:
        shown = redact_url(str(response.url))
        raise HostError(
            f"{what}: {shown} answered a body that does not unpack as its Content-Encoding says ({exc})",
            hint="try again later; if it persists, report it",
            url=shown,
            status=response.status_code,
        ) from None
    finally:
        response.close()
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]  # undone
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(pieces),
        request=response.request,
        extensions=response.extensions,
        history=response.history,
    )


_ZLIB_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}


def _inflate(pieces: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    """Undo one gzip or deflate layer, producing at most ``CHUNK_SIZE`` bytes per step."""
    inflater = None
    for data in pieces:
        if inflater is None:
            wbits = _ZLIB_WBITS[encoding]
            if encoding == "deflate" and not (
                len(data) >= 2 and data[0] & 0x0F == 8 and int.from_bytes(data[:2]) % 31 == 0
            ):
                wbits = -15  # raw deflate, as some servers send it
            inflater = zlib.decompressobj(wbits)
        while data:
            out = inflater.decompress(data, CHUNK_SIZE)
            data = inflater.unconsumed_tail
            if out:
                yield out
    if inflater is not None:
        while True:
            out = inflater.decompress(b"", CHUNK_SIZE)
            if not out:
                break
            yield out


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_meta(path: Path, url: str, etag: str | None, last_modified: str | None) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}")
    tmp.write_text(json.dumps({"url": url, "etag": etag, "last_modified": last_modified}), encoding="utf-8")
    os.replace(tmp, path)


def peek(response: httpx.Response, limit: int = 65536) -> bytes:
    """The first ``limit`` bytes of a streamed body, without reading the rest."""
    data = b""
    try:
        for chunk in response.iter_raw():
            data += chunk
            if len(data) >= limit:
                break
    except httpx.HTTPError:
        pass
    return data[:limit]


def _snippet(response: httpx.Response, stream: bool = False) -> str:
    try:
        text = (peek(response, 2000) if stream else response.content[:2000]).decode("utf-8", "replace")
    except httpx.HTTPError:
        return ""
    title = _title(text)
    if title:
        return f" ({title})"
    text = " ".join(text.split())[:200]
    return f": {text}" if text else ""


def _status_hint(status: int) -> str:
    if status in (401, 403):
        return "the host refuses access: the file may need a login, a token or accepting terms"
    if status in (404, 410):
        return "the file is gone from this URL: check the entry's source, or use --mirror URL"
    return "try again later; if it persists, report it with the URL"
