"""Checksums that matched bytes: the fetch layer's lock file, ``$USREG_HOME/downloads/<id>/<version>/usreg.lock.json``.

The lock records, for every downloaded file, how its bytes were verified (``trust``): ``host`` (a checksum the host
publishes matched), ``entry`` (a checksum the entry declares matched), ``tofu`` (nothing to compare with: recorded on
first use) or ``unverified`` (accepted with ``--skip-verify``). Only ``host`` and ``entry`` are checks that could
have failed, so only a lock whose every file was verified that way verifies the entry's checksums. Trust on first
use and unverified bytes report nothing: local, unverified data never changes a published score.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from registry.home import DOWNLOADS
from registry.home import LOCK_FILE as LOCK_NAME
from registry.schema import Dataset, Entry

from ..evidence import EvidenceContext, Verification

VERIFYING_TRUST = frozenset({"host", "entry"})


def read_lock(path: Path) -> dict[str, dict[str, Any]] | None:
    """The ``files`` of a lock file, or None when it is missing or unreadable (the fetch layer reports that)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return None
    return {str(k): v for k, v in files.items() if isinstance(v, dict)}


class FetchLockProvider:
    """Reads the lock files under ``home/downloads``."""

    name = "fetch-lock"
    keys: ClassVar[dict[str, str]] = {
        "checks:checksums-matched": "every downloaded file matched a checksum published by the host or the entry",
    }

    def __init__(self, home: Path | None) -> None:
        self.base = Path(home) / DOWNLOADS if home is not None else None
        self._ids = (
            {p.name for p in self.base.iterdir() if p.is_dir()}
            if self.base is not None and self.base.is_dir()
            else set()
        )

    def locks(self, dataset: Dataset) -> list[Path]:
        if self.base is None or dataset.id not in self._ids:
            return []
        folder = self.base / dataset.id
        if dataset.version:
            path = folder / dataset.version / LOCK_NAME
            return [path] if path.is_file() else []
        return sorted(folder.glob(f"*/{LOCK_NAME}"))[:16]

    def verify(self, entry: Entry, kind: str, context: EvidenceContext) -> Iterable[Verification]:
        if not isinstance(entry, Dataset):
            return []
        for path in self.locks(entry):
            files = read_lock(path)
            if not files:
                continue
            trust = [str(rec.get("trust") or ("unverified" if rec.get("unverified") else "")) for rec in files.values()]
            if all(t in VERIFYING_TRUST for t in trust):
                hosts = sorted({t for t in trust})
                detail = f"{len(files)} file(s) matched the checksums of the {' and '.join(hosts)} [{path.parent.name}]"
                return [Verification("checks:checksums-matched", "verified", detail, self.name)]
        return []
