"""Fetch datasets from their real hosts: verified, resumable, safely extracted, handed to the loaders.

``fetch_dataset(entry, ...)`` is the library entry point; ``usreg fetch`` is a thin wrapper around it. See
``cache.py`` for the layout under $USREG_HOME and ``hosts/`` for the host APIs.
"""

from __future__ import annotations

from .errors import ChecksumMismatch, DownloadError, FetchError, HostError, ManualDownloadRequired, UnsafeArchive
from .fetcher import FetchInterrupted, FetchResult, FileOutcome, fetch_dataset, pick_version
from .plan import FetchPlan, ManualStep, RemoteFile
from .progress import JsonReporter, Reporter, RichReporter

__all__ = [
    "ChecksumMismatch",
    "DownloadError",
    "FetchError",
    "FetchInterrupted",
    "FetchPlan",
    "FetchResult",
    "FileOutcome",
    "HostError",
    "JsonReporter",
    "ManualDownloadRequired",
    "ManualStep",
    "RemoteFile",
    "Reporter",
    "RichReporter",
    "UnsafeArchive",
    "fetch_dataset",
    "pick_version",
]
