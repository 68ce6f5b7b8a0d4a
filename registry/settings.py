"""The one place that reads the environment: every variable usreg honours, its meaning and its default.

``settings()`` reads ``os.environ`` once and caches the result; every other module asks it (a test in
``tests/test_typing_seams.py`` fails when another module reads ``os.environ`` or ``os.getenv``). Each ``usreg``
command clears the cache as it starts, so a command sees the environment it was started with; Python code that
changes ``os.environ`` after a first read calls ``settings.cache_clear()`` (``tests/conftest.py`` does it around every
test and on ``monkeypatch.setenv``).

Tokens and credentials are read here too, once, like everything else: a usreg process runs one command, nothing in it
changes its own environment, and the values are kept out of ``repr`` so a logged ``Settings`` never shows them.

==============================  ===================  ============================================================
variable                        default              meaning
==============================  ===================  ============================================================
USREG_HOME                      user cache dir       cache and index directory (downloads, sources, datasets, ...)
USREG_MIRROR                    (none)               a lab mirror serving ``<base>/<dataset-id>/<file-name>``
USREG_SITE_URL                  (none)               public URL of the static site (after ``--site-url``)
USREG_<HOST>_URL / _API         the host's           base URL of a data host (``HOST.env`` in
                                                     ``registry/fetch/hosts/*.py``) or metadata service
                                                     (USREG_DATACITE_API, USREG_CROSSREF_API); tests point them
                                                     at a local server
USREG_RETRIES                   5                    attempts per URL in a row that add no new bytes
USREG_MAX_ATTEMPTS              20                   attempts per file and URL in all (bounds every retry loop)
USREG_RETRY_BASE_DELAY          1.0                  first backoff delay in seconds (doubles, with jitter)
USREG_RETRY_MAX_WAIT            60                   cap on any single wait, a host's Retry-After included
USREG_CONNECT_TIMEOUT           20                   seconds to open a connection
USREG_READ_TIMEOUT              60                   seconds without a byte from the host
USREG_REQUEST_DEADLINE          120                  seconds for a complete answer header (and a whole API answer)
USREG_MIN_RATE                  1024                 bytes/s a download must average over each read-timeout window
USREG_EXTRACT_MAX_BYTES         1 TiB                total unpacked size allowed per archive
USREG_EXTRACT_MAX_RATIO         200                  unpacked size / archive size allowed per archive
USREG_EXTRACT_MAX_MEMBERS       100000               members allowed in one archive
USREG_EXTRACT_MAX_INODES        100000               files, directories and links in one dataset's source tree
USREG_EXTRACT_MAX_NESTING       3                    levels of archives inside archives that are unpacked
USREG_LOCK_TIMEOUT              -1                   seconds to wait for another fetch of the dataset (-1: forever)
HF_TOKEN                        (none)               Hugging Face token for gated repositories
HF_ENDPOINT                     huggingface.co       the Hub for model weights when USREG_HF_URL is not set
GITHUB_TOKEN                    (none)               GitHub API token (higher rate limits)
KAGGLE_USERNAME, KAGGLE_KEY     (none)               Kaggle API credentials (else ``kaggle.json``)
KAGGLE_CONFIG_DIR               ~/.kaggle            folder holding ``kaggle.json``
NO_COLOR                        (unset)              any value turns colour off
COLUMNS                         the terminal's       width to print tables at
==============================  ===================  ============================================================

The fetch limits are kept as written and parsed by ``registry.fetch.settings.FetchSettings`` when a fetch starts, so
a bad value stops a fetch with a clear error and never a command that does not download.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import UsageError

FETCH_LIMITS = (
    "USREG_RETRIES",
    "USREG_MAX_ATTEMPTS",
    "USREG_RETRY_BASE_DELAY",
    "USREG_RETRY_MAX_WAIT",
    "USREG_CONNECT_TIMEOUT",
    "USREG_READ_TIMEOUT",
    "USREG_REQUEST_DEADLINE",
    "USREG_MIN_RATE",
    "USREG_EXTRACT_MAX_BYTES",
    "USREG_EXTRACT_MAX_RATIO",
    "USREG_EXTRACT_MAX_MEMBERS",
    "USREG_EXTRACT_MAX_INODES",
    "USREG_EXTRACT_MAX_NESTING",
    "USREG_LOCK_TIMEOUT",
)
"""The fetch-layer limits, by variable name (their defaults live in ``FetchSettings``)."""


@dataclass(frozen=True)
class Settings:
    """What the environment says, read once. Empty variables count as unset; values are stripped."""

    home: Path | None = None
    """USREG_HOME (``~`` expanded); None: the platform's user cache dir (``registry.home.usreg_home``)."""
    mirror: str | None = None
    """USREG_MIRROR without a trailing slash."""
    site_url: str | None = None
    """USREG_SITE_URL as written (checked where it is used)."""
    urls: Mapping[str, str] = field(default_factory=dict)
    """Every ``USREG_*_URL`` and ``USREG_*_API`` variable that is set, without a trailing slash."""
    fetch_limits: Mapping[str, str] = field(default_factory=dict)
    """The ``FETCH_LIMITS`` variables that are set, as written."""
    hf_endpoint: str | None = None
    """HF_ENDPOINT without a trailing slash."""
    no_color: bool = False
    """NO_COLOR is set to anything."""
    columns: int | None = None
    """COLUMNS when it is a positive integer."""
    hf_token: str = field(default="", repr=False)
    github_token: str = field(default="", repr=False)
    kaggle_username: str = field(default="", repr=False)
    kaggle_key: str = field(default="", repr=False)
    kaggle_config_dir: Path | None = None

    def url(self, variable: str, default: str) -> str:
        """A base URL: the variable when it is set, else ``default``; no trailing slash."""
        return self.urls.get(variable) or default.rstrip("/")

    def number(self, variable: str, default: float) -> float:
        """A fetch limit as a number: the variable when it is set, else ``default``; a clear error when not a number."""
        if variable not in FETCH_LIMITS:
            raise UsageError(f"{variable} is not a fetch limit", hint="see FETCH_LIMITS in registry/settings.py")
        raw = self.fetch_limits.get(variable)
        if raw is None:
            return default
        try:
            return float(raw)
        except ValueError:
            raise UsageError(f"{variable}={raw!r} is not a number", hint=f"unset {variable} or give a number") from None


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    """Read every variable of the table above from ``environ`` (default: the process environment)."""

    def get(name: str) -> str:
        return str(environ.get(name, "")).strip()

    home = get("USREG_HOME")
    columns = get("COLUMNS")
    config_dir = get("KAGGLE_CONFIG_DIR")
    urls = {
        name: value.strip().rstrip("/")
        for name, value in environ.items()
        if name.startswith("USREG_") and name.endswith(("_URL", "_API")) and name != "USREG_SITE_URL" and value.strip()
    }
    return Settings(
        home=Path(home).expanduser() if home else None,
        mirror=get("USREG_MIRROR").rstrip("/") or None,
        site_url=get("USREG_SITE_URL") or None,
        urls=urls,
        fetch_limits={name: get(name) for name in FETCH_LIMITS if get(name)},
        hf_endpoint=get("HF_ENDPOINT").rstrip("/") or None,
        no_color=bool(environ.get("NO_COLOR")),
        columns=int(columns) if columns.isdigit() and int(columns) > 0 else None,
        hf_token=get("HF_TOKEN"),
        github_token=get("GITHUB_TOKEN"),
        kaggle_username=get("KAGGLE_USERNAME"),
        kaggle_key=get("KAGGLE_KEY"),
        kaggle_config_dir=Path(config_dir).expanduser() if config_dir else None,
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings, read from the environment on the first call (``settings.cache_clear()`` re-reads)."""
    return load_settings()
