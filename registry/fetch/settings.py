"""Tunable limits of the fetch layer: retries, timeouts, chunking and extraction limits.

Defaults suit real hosts; every value can be overridden from the environment (tests make the backoff fast). The
variables, their defaults and meanings are listed in ``registry/settings.py``, which reads them; ``from_env`` parses
them when a fetch starts, so a bad value stops the fetch with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import settings

CHUNK_SIZE = 1 << 20  # bytes per read and write: large enough for throughput, small enough for flat memory
FLUSH_INTERVAL = 0.1  # seconds: a slow link hands over what has arrived at least this often
QUEUE_CHUNKS = 4  # chunks buffered per consumer (writer, hasher): bounds memory and what a kill loses


def _number(name: str, default: float) -> float:
    return settings().number(name, default)


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
