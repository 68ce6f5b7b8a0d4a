"""``usreg.lock.json``: the sha256 of every downloaded file, where it came from, and how it was verified.

Trust on first use: a file with no checksum from its host or its entry is recorded here on its first download, and
later downloads must match. Files accepted with ``--skip-verify`` are marked ``unverified``.

Each record also has a ``trust_level``, the one thing scoring needs to know about the bytes:

- ``host-verified``: they match a checksum published by the host's API;
- ``entry-verified``: they match a checksum declared in the catalog entry;
- ``unverified``: nothing independent vouches for them (trust on first use, ``--skip-verify``, ``--from-file`` of a
  file the entry gives no checksum for). Data checks run on such bytes never raise a published score or tier.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from ..clock import now_iso
from ..home import LOCK_FILE as LOCK_NAME
from .errors import FetchError

FORMAT = 1

HOST_VERIFIED, ENTRY_VERIFIED, UNVERIFIED = "host-verified", "entry-verified", "unverified"
_LEVELS = {"host": HOST_VERIFIED, "entry": ENTRY_VERIFIED, "tofu": UNVERIFIED, "unverified": UNVERIFIED}
_RANK = {HOST_VERIFIED: 2, ENTRY_VERIFIED: 1, UNVERIFIED: 0}


def trust_level(record: dict[str, Any] | None) -> str:
    """The trust level of one lock record (records written before levels existed are mapped from ``trust``)."""
    if not isinstance(record, dict) or record.get("unverified"):
        return UNVERIFIED
    level = record.get("trust_level")
    if level in _RANK:
        return str(level)
    return _LEVELS.get(str(record.get("trust")), UNVERIFIED)


def lock_trust(lock: object) -> str:
    """The weakest trust level over every file of a lock document (a parsed ``usreg.lock.json``); ``unverified``
    for anything that is not a readable lock with at least one file."""
    files = lock.get("files") if isinstance(lock, dict) else None
    if not isinstance(files, dict) or not files:
        return UNVERIFIED
    return min((trust_level(r) for r in files.values()), key=_RANK.__getitem__)


class Lockfile:
    def __init__(
        self,
        path: Path,
        dataset_id: str,
        version: str,
        files: dict[str, dict[str, Any]] | None = None,
        sources: dict[str, dict[str, Any]] | None = None,
    ):
        self.path = path
        self.dataset_id = dataset_id
        self.version = version
        self.files: dict[str, dict[str, Any]] = files or {}
        #: source index -> {"kind", "id", "files": [names]}: the complete file list of each source, once fetched
        self.sources: dict[str, dict[str, Any]] = sources or {}
        self._mutex = threading.Lock()

    @classmethod
    def load(cls, directory: Path, dataset_id: str, version: str) -> Lockfile:
        path = directory / LOCK_NAME
        if not path.exists():
            return cls(path, dataset_id, version)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = data["files"]
            sources = data.get("sources", {})
            if not isinstance(files, dict) or not isinstance(sources, dict):
                raise TypeError("files or sources is not an object")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise FetchError(
                f"the lock file {path} is unreadable ({exc})",
                hint=f"delete it to re-record checksums on the next fetch (usreg cache clean {dataset_id})",
            ) from None
        return cls(path, dataset_id, version, files, sources)

    def get(self, name: str) -> dict[str, Any] | None:
        with self._mutex:
            record = self.files.get(name)
            return dict(record) if record else None

    def record(
        self,
        name: str,
        *,
        sha256: str,
        size: int,
        trust: str,
        verified_by: list[str],
        host: str,
        url: str | None,
        origin: str,
        md5: str | None = None,
        save: bool = True,
    ) -> dict[str, Any]:
        """Add or update the record of ``name`` and (unless ``save=False``) write the lock file atomically."""
        with self._mutex:
            old = self.files.get(name, {})
            entry: dict[str, Any] = {
                "sha256": sha256,
                "size": size,
                "trust": trust,  # host | entry | lock | tofu | unverified
                # "lock": matched an earlier record of the same bytes, which keeps its level
                "trust_level": _LEVELS.get(trust) or (trust_level(old) if old.get("sha256") == sha256 else UNVERIFIED),
                "verified_by": verified_by,
                "unverified": trust == "unverified",
                "host": host,
                "url": url,
                "origin": origin,
                "first_seen": old.get("first_seen") if old.get("sha256") == sha256 else now_iso(),
                "fetched": now_iso(),
            }
            if md5:
                entry["md5"] = md5
            self.files[name] = entry
            if save:
                self._save_locked()
            return dict(entry)

    def record_source(self, index: int, kind: str, source_id: str | None, names: list[str]) -> None:
        """Remember the complete file list of a source, so that a later offline run knows the cache is complete."""
        with self._mutex:
            self.sources[str(index)] = {"kind": kind, "id": source_id, "files": sorted(names)}
            self._save_locked()

    def source_complete(self, index: int, kind: str, source_id: str | None) -> bool:
        """Whether every file of this source is recorded and still on disk."""
        with self._mutex:
            record = self.sources.get(str(index))
            if not record or record.get("kind") != kind or record.get("id") != source_id:
                return False
            return all(name in self.files and (self.path.parent / name).is_file() for name in record["files"])

    def present(self) -> dict[str, dict[str, Any]]:
        """The recorded files that are on disk."""
        with self._mutex:
            return {n: dict(r) for n, r in self.files.items() if (self.path.parent / n).is_file()}

    def save(self) -> None:
        with self._mutex:
            self._save_locked()

    def _save_locked(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "usreg_lock": FORMAT,
            "dataset": self.dataset_id,
            "version": self.version,
            "files": dict(sorted(self.files.items())),
            "sources": dict(sorted(self.sources.items())),
        }
        tmp = self.path.with_name(self.path.name + f".tmp{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
