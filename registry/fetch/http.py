"""The one HTTP policy of usreg, used by the fetch client, ``usreg import`` and ``usreg check-links``.

It owns:

- who usreg says it is (``USER_AGENT``) and the browser identity for hosts that refuse other clients
  (``BROWSER_USER_AGENT``, chosen by a host's ``browser_agent`` declaration);
- which answers are worth another try (``RETRY_STATUSES``, ``TRANSIENT_ERRORS``), how long to wait before it
  (``backoff_delay``, with a host's ``Retry-After`` read by ``parse_retry_after``), and how many tries a request gets in
  all (``RetryBudget``);
- the timeouts (``timeout``) and the request deadline (``DEADLINE``, enforced by ``transport.py``), from
  ``FetchSettings`` (``USREG_CONNECT_TIMEOUT``, ``USREG_READ_TIMEOUT``, ``USREG_REQUEST_DEADLINE``);
- what of a URL may be shown (``redact_url`` and ``redact_text``, defined in ``errors.py`` with the errors that use
  them, and re-exported here).

The synchronous client built on it is ``client.HttpClient``; the link checker drives ``httpx.AsyncClient`` with the
same policy.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from .. import __version__
from .errors import redact_text, redact_url
from .settings import FetchSettings
from .transport import DEADLINE, HEADERS_ONLY, DeadlineExceeded

__all__ = [
    "BROWSER_USER_AGENT",
    "DEADLINE",
    "HEADERS_ONLY",
    "RETRY_STATUSES",
    "TRANSIENT_ERRORS",
    "USER_AGENT",
    "RetryBudget",
    "backoff_delay",
    "describe",
    "parse_retry_after",
    "redact_text",
    "redact_url",
    "retry_after",
    "timeout",
]

USER_AGENT = f"usreg/{__version__} (+https://github.com/usreg/usreg)"
#: some hosts (Mendeley Data, Google Drive) refuse or degrade non-browser clients
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)

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


def timeout(settings: FetchSettings) -> httpx.Timeout:
    """The per-read and connect timeouts of ``settings``."""
    return httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)


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


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The Retry-After of an answer's headers, in seconds (None when absent or unreadable)."""
    return parse_retry_after(headers.get("Retry-After"))


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """The wait before retry number ``attempt`` (0-based).

    A host's Retry-After wins (it knows its own limits) but is capped at ``cap``; otherwise the delay is
    ``base * 2**attempt`` scaled by a random factor in [0.5, 1.5) so that parallel clients do not retry in step.
    """
    if retry_after is not None:
        return min(cap, retry_after)
    return min(cap, base * (2**attempt) * (0.5 + random.random()))


@dataclass
class RetryBudget:
    """How many tries one request gets in all, and the wait before each retry.

    ``attempts`` counts every try, the first included, so a loop driven by ``retry()`` always ends.
    """

    attempts: int
    base_delay: float
    max_wait: float
    used: int = 0

    @classmethod
    def from_settings(cls, settings: FetchSettings) -> RetryBudget:
        return cls(settings.retries, settings.base_delay, settings.max_wait)

    def start(self) -> bool:
        """Count one try; False when the budget is spent (no try is left)."""
        if self.used >= self.attempts:
            return False
        self.used += 1
        return True

    def retry(self, retry_after: float | None = None) -> float | None:
        """The seconds to wait before the next try, or None when no try is left."""
        if self.used >= self.attempts:
            return None
        return backoff_delay(self.used - 1 if self.used else 0, self.base_delay, self.max_wait, retry_after)


def describe(exc: BaseException) -> str:
    """A short human description of a transport failure, with any URL in it redacted."""
    if isinstance(exc, DeadlineExceeded):  # its message says which deadline, and where
        return redact_text(str(exc))
    kinds = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "no data from the host within the read timeout",
        httpx.ConnectError: "could not connect",
        httpx.RemoteProtocolError: "the connection was dropped mid-transfer",
        httpx.ReadError: "the connection failed while reading",
    }
    for kind, text in kinds.items():
        if isinstance(exc, kind):
            detail = redact_text(str(exc).strip())
            return f"{text} ({detail})" if detail and detail != text else text
    return f"{exc.__class__.__name__}: {redact_text(str(exc))}"
