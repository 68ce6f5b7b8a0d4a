"""The cache under $USREG_HOME and the operations of ``usreg cache``.

::

    downloads/<id>/<version>/<file>             verified raw files (<file>.part while downloading)
    downloads/<id>/<version>/usreg.lock.json    sha256 + provenance of each file (trust on first use)
    downloads/<id>/<version>/rejected/          files whose checksum did not match, kept for inspection
    sources/<id>/<version>/                     the source tree handed to loaders (archives extracted, files linked)
    sources/<id>/.<version>.state.json          what the source tree was built from
    datasets/<id>/<version>/                    the common format written by the dataset's loader
    locks/<id>/<version>.lock                   one fetch of a dataset at a time
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from .. import home as layout_of_home
from ..errors import UsageError
from .errors import FetchError
from .fstree import iter_tree, rmtree, tree_size

AREAS = layout_of_home.AREAS
WHAT = ("all", *layout_of_home.AREAS, "partial")


def version_label(text: str) -> str:
    """A directory-safe label for a version written in an entry ("14 June 2022" -> "14-June-2022")."""
    label = re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-.")
    label = re.sub(r"\.{2,}", ".", label)[:100]
    return label or "latest"


@dataclass(frozen=True)
class Layout:
    home: Path

    def downloads(self, dataset_id: str, version: str) -> Path:
        return layout_of_home.downloads_dir(self.home, dataset_id, version)

    def rejected(self, dataset_id: str, version: str) -> Path:
        return layout_of_home.rejected_dir(self.home, dataset_id, version)

    def sources(self, dataset_id: str, version: str) -> Path:
        return layout_of_home.sources_dir(self.home, dataset_id, version)

    def source_state(self, dataset_id: str, version: str) -> Path:
        return layout_of_home.source_state_file(self.home, dataset_id, version)

    def datasets(self, dataset_id: str, version: str) -> Path:
        return layout_of_home.dataset_dir(self.home, dataset_id, version)

    def lock_path(self, dataset_id: str, version: str) -> Path:
        return layout_of_home.process_lock(self.home, dataset_id, version)

    def dataset_lock(self, dataset_id: str, version: str, timeout: float = -1) -> FileLock:
        path = self.lock_path(dataset_id, version)
        path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(path), timeout=timeout)


def _tree_stats(path: Path, seen: set[tuple[int, int]] | None = None) -> tuple[int, int, int]:
    """(apparent bytes, files, bytes not already counted in ``seen``) under ``path``; hard links count once.
    Iterative, so a tree of any depth is measured (``os.walk`` recurses once per level on Python 3.11)."""
    return tree_size(path, seen)


def _partials(downloads: Path) -> list[Path]:
    """``.part`` files and their ``.part.json`` state files under ``downloads``, at any depth."""
    return [downloads / rel for rel, st in iter_tree(downloads) if rel.endswith((".part", ".part.json"))]


def list_cached(home: Path, dataset_id: str | None = None) -> list[dict]:
    """One row per (id, version) found in any cache area."""
    found: set[tuple[str, str]] = set()
    for area in AREAS:
        root = home / area
        if not root.is_dir():
            continue
        for id_dir in sorted(root.iterdir()):
            if not id_dir.is_dir() or (dataset_id and id_dir.name != dataset_id):
                continue
            for version_dir in id_dir.iterdir():
                if version_dir.is_dir() and not version_dir.name.startswith("."):
                    found.add((id_dir.name, version_dir.name))
    layout = Layout(home)
    rows = []
    for entry_id, version in sorted(found):
        seen: set[tuple[int, int]] = set()
        row: dict = {"id": entry_id, "version": version}
        unique_total = 0
        for area, path in (
            ("downloads", layout.downloads(entry_id, version)),
            ("sources", layout.sources(entry_id, version)),
            ("datasets", layout.datasets(entry_id, version)),
        ):
            size, count, unique = _tree_stats(path, seen)
            row[area] = size
            row[f"{area}_files"] = count
            unique_total += unique
        row["total"] = unique_total
        downloads = layout.downloads(entry_id, version)
        row["partial"] = sum(1 for p in _partials(downloads) if p.name.endswith(".part"))
        lock = downloads / layout_of_home.LOCK_FILE
        row["fetched"] = _mtime(lock)
        row["converted"] = layout.datasets(entry_id, version).exists()
        rows.append(row)
    return rows


def _mtime(path: Path) -> str | None:
    import datetime as dt

    if not path.exists():
        return None
    return dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0).isoformat(sep=" ")


def cache_size(home: Path, dataset_id: str | None = None) -> dict:
    """Bytes per area and in total (hard links between downloads and sources counted once)."""
    rows = list_cached(home, dataset_id)
    sizes = {area: sum(r[area] for r in rows) for area in AREAS}
    sizes["total"] = sum(r["total"] for r in rows)
    sizes["entries"] = len(rows)
    return sizes


def clean(home: Path, dataset_id: str | None = None, version: str | None = None, what: str = "all") -> dict:
    """Remove cached data. ``what``: all | downloads | sources | datasets | partial (``.part`` files, rejected
    downloads and stale temporary directories). Refuses while a fetch of the same dataset holds its lock.

    Nothing is removed through a symbolic link: a link in the cache is removed itself, but a path reached through a
    linked folder (``downloads/<id>`` linked to another disk, say) is left and listed under ``kept``, so ``clean``
    never deletes a file outside ``home``."""
    if what not in WHAT:
        raise UsageError(f"unknown cache area {what!r}", hint=f"choose one of {', '.join(WHAT)}")
    if dataset_id:
        layout_of_home.check_id(dataset_id)
    if version:
        layout_of_home.check_version(version)
    layout = Layout(home)
    targets = [r for r in list_cached(home, dataset_id) if not version or r["version"] == version]
    removed: list[str] = []
    kept: list[str] = []
    freed = 0
    for row in targets:
        entry_id, ver = row["id"], row["version"]
        lock = layout.dataset_lock(entry_id, ver, timeout=0)
        try:
            with lock, _conversion_lock(layout, entry_id, ver):
                for path in _paths_to_clean(layout, entry_id, ver, what):
                    if _through_link(home, path):
                        kept.append(str(path))
                        continue
                    freed += _remove(path)
                    removed.append(str(path))
        except Timeout as exc:
            raise FetchError(
                f"a fetch or conversion of {entry_id} {ver} is running (lock {exc.lock_file})",
                hint="wait for it to finish, then clean again",
            ) from None
        for area in AREAS:  # drop empty <id>/ directories
            parent = home / area / entry_id
            if _through_link(home, parent / "_") or not parent.is_dir():
                continue
            if not any(p for p in parent.iterdir() if not p.name.startswith(".")):
                for leftover in parent.iterdir():
                    freed += _remove(leftover)
                parent.rmdir()
    return {"removed": removed, "freed": freed, "entries": len(targets), "kept": sorted(set(kept))}


def _through_link(home: Path, path: Path) -> bool:
    """Whether a folder between ``home`` and ``path`` (both excluded) is a symbolic link."""
    try:
        parts = path.relative_to(home).parts[:-1]
    except ValueError:
        return True
    return any((home.joinpath(*parts[: i + 1])).is_symlink() for i in range(len(parts)))


def _conversion_lock(layout: Layout, entry_id: str, version: str) -> contextlib.AbstractContextManager[object]:
    """The lock a running conversion holds (it reads the source tree and writes the dataset), taken without waiting;
    none to take when no conversion of this dataset ever ran (its folder is absent)."""
    path = layout_of_home.conversion_lock(layout.home, entry_id, version)
    return FileLock(str(path), timeout=0) if path.parent.is_dir() else contextlib.nullcontext()


def _paths_to_clean(layout: Layout, entry_id: str, version: str, what: str) -> list[Path]:
    downloads = layout.downloads(entry_id, version)
    if what == "partial":
        paths: list[Path] = []
        if downloads.exists():
            paths += _partials(downloads)
            rejected = layout.rejected(entry_id, version)
            if rejected.exists():
                paths.append(rejected)
        parent = layout.sources(entry_id, version).parent
        if parent.exists():
            paths += [p for p in parent.iterdir() if p.name.startswith(f".tmp-{version}-")]
        return paths
    paths = []
    if what in ("all", "downloads"):
        paths.append(downloads)
    if what in ("all", "sources"):
        paths += [layout.sources(entry_id, version), layout.source_state(entry_id, version)]
    if what in ("all", "datasets"):
        paths.append(layout.datasets(entry_id, version))
    return [p for p in paths if p.exists() or p.is_symlink()]


def _remove(path: Path) -> int:
    size = (
        _tree_stats(path)[0]
        if path.is_dir() and not path.is_symlink()
        else (path.lstat().st_size if path.exists() or path.is_symlink() else 0)
    )
    rmtree(path)
    return size
