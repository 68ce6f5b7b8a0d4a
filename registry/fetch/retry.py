"""Backoff policy: exponential delays with jitter, a host's Retry-After honoured, every wait capped."""

from __future__ import annotations

import email.utils
import random
import time

import httpx

#: statuses worth retrying: rate limiting and server-side trouble
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})

#: transport failures worth retrying (connection refused or dropped, timeouts, truncated bodies)
TRANSIENT_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.PoolTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,  # the proxy refused or dropped the connection
)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date. None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """The wait before retry number ``attempt`` (0-based).

    A host's Retry-After wins (it knows its own limits) but is capped at ``cap``; otherwise the delay is
    ``base * 2**attempt`` scaled by a random factor in [0.5, 1.5) so that parallel clients do not retry in step.
    """
    if retry_after is not None:
        return min(cap, retry_after)
    return min(cap, base * (2**attempt) * (0.5 + random.random()))


def describe(exc: BaseException) -> str:
    """A short human description of a transport failure."""
    from .transport import DeadlineExceeded

    if isinstance(exc, DeadlineExceeded):  # its message says which deadline, and where
        return str(exc)
    kinds = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "no data from the host within the read timeout",
        httpx.ConnectError: "could not connect",
        httpx.RemoteProtocolError: "the connection was dropped mid-transfer",
        httpx.ReadError: "the connection failed while reading",
    }
    for kind, text in kinds.items():
        if isinstance(exc, kind):
            detail = str(exc).strip()
            return f"{text} ({detail})" if detail and detail != text else text
    return f"{exc.__class__.__name__}: {exc}"
