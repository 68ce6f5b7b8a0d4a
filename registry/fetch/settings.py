"""Tunable limits of the fetch layer: retries, timeouts, chunking and extraction limits.

Defaults suit real hosts; every value can be overridden from the environment (tests make the backoff fast). The
variables, their defaults and meanings are listed in ``registry/settings.py``, which reads them; ``from_env`` parses
them when a fetch starts, so a bad value stops the fetch with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError
from ..settings import settings

CHUNK_SIZE = 1 << 20  # bytes per read and write: large enough for throughput, small enough for flat memory
FLUSH_INTERVAL = 0.1  # seconds: a slow link hands over what has arrived at least this often
QUEUE_CHUNKS = 4  # chunks buffered per consumer (writer, hasher): bounds memory and what a kill loses


def _number(name: str, default: float) -> float:
    return settings().number(name, default)


#: The range each limit accepts: (least, most, whole number). A value outside it, NaN or an infinity stops the
#: fetch with a clear error naming the variable and the range; nothing is clamped or read as "no limit", so a
#: safety limit cannot be switched off by a typo (NaN compares false with everything, which would pass any check).
#: USREG_LOCK_TIMEOUT also takes -1, its documented "wait forever".
RANGES: dict[str, tuple[float, float, bool]] = {
    "USREG_RETRIES": (1, 1000, True),
    "USREG_MAX_ATTEMPTS": (1, 1000, True),
    "USREG_RETRY_BASE_DELAY": (0, 3600, False),
    "USREG_RETRY_MAX_WAIT": (0, 86400, False),
    "USREG_CONNECT_TIMEOUT": (0.01, 86400, False),
    "USREG_READ_TIMEOUT": (0.01, 86400, False),
    "USREG_REQUEST_DEADLINE": (0.05, 86400, False),
    "USREG_MIN_RATE": (0, 1 << 40, False),
    "USREG_EXTRACT_MAX_BYTES": (1, 1 << 60, True),
    "USREG_EXTRACT_MAX_RATIO": (1, 1_000_000, False),
    "USREG_EXTRACT_MAX_MEMBERS": (1, 100_000_000, True),
    "USREG_EXTRACT_MAX_INODES": (1, 100_000_000, True),
    "USREG_EXTRACT_MAX_NESTING": (0, 20, True),
    "USREG_LOCK_TIMEOUT": (0, 10_000_000, False),
}


def _limit(name: str, default: float) -> float:
    """``name`` read as a number inside ``RANGES[name]``, else a usage error (exit 2) that names the range."""
    value = _number(name, default)
    low, high, whole = RANGES[name]
    if name == "USREG_LOCK_TIMEOUT" and value == -1:
        return value
    if low <= value <= high and (not whole or value == int(value)):
        return int(value) if whole else value
    kind = "a whole number" if whole else "a number"
    low_text, high_text = (f"{int(x):,}" if x == int(x) else f"{x:g}" for x in (low, high))
    forever = " or -1 to wait forever" if name == "USREG_LOCK_TIMEOUT" else ""
    raise UsageError(
        f"{name}={settings().fetch_limits.get(name)!r} is out of range: it takes {kind} from {low_text} to {high_text}"
        f"{forever}",
        hint=f"unset {name} for its default ({default:g}) or give a value in that range",
    )


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
            retries=int(_limit("USREG_RETRIES", d.retries)),
            base_delay=_limit("USREG_RETRY_BASE_DELAY", d.base_delay),
            max_wait=_limit("USREG_RETRY_MAX_WAIT", d.max_wait),
            connect_timeout=_limit("USREG_CONNECT_TIMEOUT", d.connect_timeout),
            read_timeout=_limit("USREG_READ_TIMEOUT", d.read_timeout),
            max_attempts=int(_limit("USREG_MAX_ATTEMPTS", d.max_attempts)),
            request_deadline=_limit("USREG_REQUEST_DEADLINE", d.request_deadline),
            min_rate=_limit("USREG_MIN_RATE", d.min_rate),
            extract_max_bytes=int(_limit("USREG_EXTRACT_MAX_BYTES", d.extract_max_bytes)),
            extract_max_ratio=_limit("USREG_EXTRACT_MAX_RATIO", d.extract_max_ratio),
            extract_max_members=int(_limit("USREG_EXTRACT_MAX_MEMBERS", d.extract_max_members)),
            extract_max_inodes=int(_limit("USREG_EXTRACT_MAX_INODES", d.extract_max_inodes)),
            extract_max_nesting=int(_limit("USREG_EXTRACT_MAX_NESTING", d.extract_max_nesting)),
            lock_timeout=_limit("USREG_LOCK_TIMEOUT", d.lock_timeout),
        )
