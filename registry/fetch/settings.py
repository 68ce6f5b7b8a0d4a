"""Tunable limits of the fetch layer: retries, timeouts, chunking and extraction limits.

Defaults suit real hosts; every value can be overridden from the environment (tests make the backoff fast):

==============================  =========  ===============================================================
variable                        default    meaning
==============================  =========  ===============================================================
USREG_RETRIES                   5          attempts per URL in a row that add no new bytes, then the next mirror
USREG_MAX_ATTEMPTS              20         attempts per file and URL in all, progress or not (bounds every retry loop)
USREG_RETRY_BASE_DELAY          1.0        first backoff delay in seconds (doubles each attempt, with jitter)
USREG_RETRY_MAX_WAIT            60         cap on any single wait, including a host's Retry-After
USREG_CONNECT_TIMEOUT           20         seconds to open a connection
USREG_READ_TIMEOUT              60         seconds without a byte from the host
USREG_REQUEST_DEADLINE          120        seconds for a complete answer header (and a whole API answer)
USREG_MIN_RATE                  1024       bytes/s a download must average over each read-timeout window
USREG_EXTRACT_MAX_BYTES         1 TiB      total unpacked size allowed per archive
USREG_EXTRACT_MAX_RATIO         200        unpacked size / archive size allowed per archive
USREG_EXTRACT_MAX_MEMBERS       100000     members allowed in one archive
USREG_EXTRACT_MAX_INODES        100000     files, directories and links allowed in one dataset's source tree
USREG_EXTRACT_MAX_NESTING       3          levels of archives inside archives that are unpacked
USREG_LOCK_TIMEOUT              -1         seconds to wait for another fetch of the same dataset (-1: forever)
==============================  =========  ===============================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import UsageError

CHUNK_SIZE = 1 << 20  # bytes per read and write: large enough for throughput, small enough for flat memory
FLUSH_INTERVAL = 0.1  # seconds: a slow link hands over what has arrived at least this often
QUEUE_CHUNKS = 4  # chunks buffered per consumer (writer, hasher): bounds memory and what a kill loses


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a number", hint=f"unset {name} or give a number") from None


@dataclass(frozen=True)
class FetchSettings:
    retries: int = 5
    base_delay: float = 1.0
    max_wait: float = 60.0
    connect_timeout: float = 20.0
    read_timeout: float = 60.0
    max_attempts: int = 20
    request_deadline: float = 120.0
    min_rate: float = 1024.0
    extract_max_bytes: int = 1 << 40
    extract_max_ratio: float = 200.0
    extract_max_members: int = 100_000
    extract_max_inodes: int = 100_000
    extract_max_nesting: int = 3
    lock_timeout: float = -1.0

    @classmethod
    def from_env(cls) -> FetchSettings:
        d = cls()
        return cls(
            retries=max(1, int(_number("USREG_RETRIES", d.retries))),
            base_delay=max(0.0, _number("USREG_RETRY_BASE_DELAY", d.base_delay)),
            max_wait=max(0.0, _number("USREG_RETRY_MAX_WAIT", d.max_wait)),
            connect_timeout=_number("USREG_CONNECT_TIMEOUT", d.connect_timeout),
            read_timeout=_number("USREG_READ_TIMEOUT", d.read_timeout),
            max_attempts=max(1, int(_number("USREG_MAX_ATTEMPTS", d.max_attempts))),
            request_deadline=max(0.05, _number("USREG_REQUEST_DEADLINE", d.request_deadline)),
            min_rate=max(0.0, _number("USREG_MIN_RATE", d.min_rate)),
            extract_max_bytes=int(_number("USREG_EXTRACT_MAX_BYTES", d.extract_max_bytes)),
            extract_max_ratio=_number("USREG_EXTRACT_MAX_RATIO", d.extract_max_ratio),
            extract_max_members=max(1, int(_number("USREG_EXTRACT_MAX_MEMBERS", d.extract_max_members))),
            extract_max_inodes=max(1, int(_number("USREG_EXTRACT_MAX_INODES", d.extract_max_inodes))),
            extract_max_nesting=max(0, int(_number("USREG_EXTRACT_MAX_NESTING", d.extract_max_nesting))),
            lock_timeout=_number("USREG_LOCK_TIMEOUT", d.lock_timeout),
        )
