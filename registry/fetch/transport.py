"""A fast httpx transport for large bodies, backed by urllib3's connection pool.

httpx's default transport (httpcore + h11) copies every 64 KiB read three times in pure Python; on a 1 GiB file it
reaches well under half of curl's rate (see perf/fetch_throughput.py). This transport keeps the httpx API (requests,
redirects, cookies, auth, errors) and moves body bytes through urllib3/http.client, which read straight from the
socket in pieces of up to 1 MiB. urllib3 errors are mapped onto the httpx exception classes, so callers only see httpx.

Proxies from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY) go through urllib3's ProxyManager, so
the deadline below holds behind a proxy too. Only a proxy urllib3 cannot speak (SOCKS) makes usreg fall back to
httpx's own transport.

Every request has an overall deadline (``USREG_REQUEST_DEADLINE``): a watchdog shuts the socket down when the answer's
headers (or, for a request that is not streamed, the whole answer) have not arrived in time. Socket timeouts alone
cannot catch a host that sends one byte per second forever.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import httpx
import urllib3
from urllib3 import exceptions as u3

from .settings import CHUNK_SIZE, FLUSH_INTERVAL


def fast_transport_supported() -> bool:
    """Whether ``Urllib3Transport`` can serve every configured proxy (http and https proxies; not SOCKS)."""
    proxies = urllib.request.getproxies()
    return all(
        urllib.parse.urlsplit(proxies[key]).scheme in ("http", "https")
        for key in ("http", "https", "all")
        if proxies.get(key)
    )


def proxy_for(url: httpx.URL) -> str | None:
    """The proxy for ``url`` from the environment, honouring NO_PROXY; None to connect directly."""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    # typeshed leaves out proxy_bypass_environment (present in urllib.request on every platform, not documented)
    if not proxy or urllib.request.proxy_bypass_environment(url.host, proxies):  # type: ignore[attr-defined]
        return None
    return proxy


class HostNotFound(httpx.ConnectError):
    """The host name does not resolve: retrying the same host will not help (offline, a typo, a DNS problem)."""


class DeadlineExceeded(httpx.ReadTimeout):
    """The host did not complete its answer within the request deadline (a stalled or deliberately slow host)."""


#: request extensions read by the transport: the deadline in seconds, and whether it covers the headers only
DEADLINE = "usreg_deadline"
HEADERS_ONLY = "usreg_deadline_headers_only"

_current = threading.local()  # the watchdog of the request being sent on this thread


class _Watchdog:
    """Shuts the request's socket down when its deadline passes, so a blocked read returns at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._conn: Any = None
        self._mutex = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, conn: Any) -> None:
        with self._mutex:
            self._conn = conn
            if self.expired:
                self._kill()

    def _expire(self) -> None:
        with self._mutex:
            self.expired = True
            self._kill()

    def _kill(self) -> None:
        sock = getattr(self._conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()

    def error(self, request: httpx.Request) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"no complete answer from {request.url.host} within {self.seconds:g} s (USREG_REQUEST_DEADLINE)",
            request=request,
        )


class _Watched:
    """Hands each connection a pool gives out to the current thread's watchdog, if any."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]  # a mixin: the pool class comes next in the MRO
        watchdog = getattr(_current, "watchdog", None)
        if watchdog is not None:
            watchdog.attach(conn)
        return conn


class _WatchedPool(_Watched, urllib3.HTTPConnectionPool):
    pass


class _WatchedHTTPSPool(_Watched, urllib3.HTTPSConnectionPool):
    pass


def _map_error(exc: Exception, request: httpx.Request) -> httpx.TransportError:
    message = str(exc) or exc.__class__.__name__
    if isinstance(exc, u3.NameResolutionError):
        return HostNotFound(message, request=request)
    if isinstance(exc, u3.NewConnectionError | u3.SSLError):
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, u3.ConnectTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, u3.ReadTimeoutError | TimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, u3.ProxyError):
        return httpx.ProxyError(message, request=request)
    if isinstance(exc, u3.ProtocolError | u3.IncompleteRead | u3.DecodeError):
        return httpx.RemoteProtocolError(message, request=request)
    return httpx.ReadError(message, request=request)


_ERRORS = (u3.HTTPError, OSError)


class _GatherFailed(Exception):
    """A read failed after some pieces of the chunk had arrived."""

    def __init__(self, pieces: list[bytes], error: Exception) -> None:
        super().__init__(str(error))
        self.pieces = pieces
        self.error = error


class _BodyStream(httpx.SyncByteStream):
    def __init__(
        self, response: urllib3.BaseHTTPResponse, request: httpx.Request, watchdog: _Watchdog | None = None
    ) -> None:
        self._response = response
        self._request = request
        self._watchdog = watchdog

    def _error(self, exc: Exception) -> httpx.TransportError:
        if self._watchdog is not None and self._watchdog.expired:
            return self._watchdog.error(self._request)
        return _map_error(exc, self._request)

    def __iter__(self) -> Iterator[bytes]:
        # Chunks of up to CHUNK_SIZE. While the link is fast (the last chunk filled within FLUSH_INTERVAL), one
        # blocking read fills the next chunk without intermediate pieces: a third as many hand-offs to the writer and
        # hasher threads as raw socket reads, worth 30 % of the rate on two cores. On a slow link, read1 pieces are
        # gathered for at most FLUSH_INTERVAL, so progress stays live and an interruption loses little.
        response = self._response
        read1 = getattr(response, "read1", None)
        clock = time.monotonic
        fast = read1 is None
        try:
            while True:
                started = clock()
                if fast:
                    data = response.read(CHUNK_SIZE, decode_content=False)
                    if not data:
                        break
                    fast = read1 is None or clock() - started < FLUSH_INTERVAL
                    yield data
                    continue
                pieces = self._gather(read1, started + FLUSH_INTERVAL)
                if not pieces:
                    break
                size = sum(len(p) for p in pieces)
                fast = size >= CHUNK_SIZE and clock() - started < FLUSH_INTERVAL
                yield pieces[0] if len(pieces) == 1 else b"".join(pieces)
        except _GatherFailed as failed:
            if failed.pieces:  # what arrived before the failure is kept, so a resume asks only for the rest
                yield b"".join(failed.pieces)
            raise self._error(failed.error) from failed.error
        except _ERRORS as exc:
            raise self._error(exc) from exc

    @staticmethod
    def _gather(read1: Any, deadline: float) -> list[bytes]:
        pieces: list[bytes] = []
        size = 0
        try:
            while size < CHUNK_SIZE:
                data = read1(CHUNK_SIZE - size, decode_content=False)
                if not data:
                    break
                pieces.append(data)
                size += len(data)
                if time.monotonic() >= deadline:
                    break
        except _ERRORS as exc:
            raise _GatherFailed(pieces, exc) from exc
        return pieces

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        response = self._response
        # a fully read body returns its connection to the pool; a half-read one must not be reused
        if response.closed or getattr(response, "length_remaining", None) == 0:
            response.release_conn()
        else:
            response.close()


class Urllib3Transport(httpx.BaseTransport):
    """``httpx.BaseTransport`` over a thread-safe ``urllib3.PoolManager``."""

    def __init__(self, max_connections: int = 16) -> None:
        kwargs: dict = {"num_pools": 32, "maxsize": max_connections, "block": False, "retries": False}
        try:
            import certifi

            kwargs["ca_certs"] = certifi.where()
        except ImportError:  # pragma: no cover - certifi comes with httpx
            pass
        self._kwargs = kwargs
        self._pool = urllib3.PoolManager(**kwargs)
        self._pool.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedHTTPSPool}
        self._proxy_pools: dict[str, urllib3.ProxyManager] = {}
        self._mutex = threading.Lock()

    def _manager(self, url: httpx.URL) -> urllib3.PoolManager:
        proxy = proxy_for(url)
        if proxy is None:
            return self._pool
        with self._mutex:
            manager = self._proxy_pools.get(proxy)
            if manager is None:
                manager = urllib3.ProxyManager(proxy, **self._kwargs)
                manager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedHTTPSPool}
                self._proxy_pools[proxy] = manager
            return manager

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        timeout = urllib3.Timeout(connect=timeouts.get("connect"), read=timeouts.get("read"))
        headers = urllib3.HTTPHeaderDict()
        for key, value in request.headers.multi_items():
            headers.add(key, value)
        body = request.read() or None
        deadline = request.extensions.get(DEADLINE)
        watchdog = _Watchdog(deadline) if deadline else None
        _current.watchdog = watchdog
        try:
            response = self._manager(request.url).urlopen(
                request.method,
                str(request.url),
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=False,
                timeout=timeout,
            )
        except _ERRORS as exc:
            if watchdog is not None:
                watchdog.cancel()
                if watchdog.expired:
                    raise watchdog.error(request) from exc
            raise _map_error(exc, request) from exc
        finally:
            _current.watchdog = None
        if watchdog is not None and request.extensions.get(HEADERS_ONLY):
            watchdog.cancel()  # a download's body is bounded by the minimum rate instead
            watchdog = None
        return httpx.Response(
            status_code=response.status,
            headers=list(response.headers.items()),
            stream=_BodyStream(response, request, watchdog),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("latin-1")},
        )

    def close(self) -> None:
        self._pool.clear()
        for manager in self._proxy_pools.values():
            manager.clear()
