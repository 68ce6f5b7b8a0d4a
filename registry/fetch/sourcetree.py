"""Build ``sources/<id>/<version>/``, the tree handed to loaders: archives extracted, plain files hard-linked.

Every file of the dataset goes into one :class:`~registry.fetch.extract.Tree`, so paths are resolved against the
whole tree (links from one archive are checked against what the others add), archives nested in a download are
unpacked under the same limits, and no file is ever written into (a plain download is hard-linked, then an archive
member of the same name replaces the link by a rename, leaving the download itself untouched).

The tree is built in a temporary directory next to the target and renamed into place only when every archive was
extracted, so a failure never leaves a half-built tree. A state file records which verified downloads the tree was
built from; an unchanged set of downloads is not extracted again.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from ..errors import UsageError
from .errors import FetchError
from .extract import Limits, Tree, archive_kind, check_supported
from .fstree import rmtree


def build(
    downloads: Path, files: dict[str, str], target: Path, state_path: Path, limits: Limits, on_archive=None
) -> tuple[Path, bool]:
    """Build ``target`` from ``files`` ({name in ``downloads``: sha256}); returns (target, rebuilt?)."""
    state = {"files": dict(sorted(files.items()))}
    if target.is_dir() and state_path.is_file():
        try:
            if json.loads(state_path.read_text(encoding="utf-8")) == state:
                return target, False
        except (OSError, ValueError):
            pass
    elif target.exists() and not state_path.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(
            f"{target} already exists and was not made by usreg; refusing to overwrite it",
            hint="choose another --dest, or empty that directory first",
        )
    for name in files:
        check_supported(name)  # before any work: a multi-volume part or a .cab cannot be unpacked
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        with Tree(tmp, limits) as tree:
            for name in sorted(files):
                path = downloads / name
                if archive_kind(name):
                    if on_archive:
                        on_archive(name)
                    tree.unpack_nested(path, name, on_archive)
                else:
                    tree.add_path(path, name)
            tree.finish()
        _swap(tmp, target)
    except BaseException:
        rmtree(tmp)
        raise
    try:
        state_path.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise FetchError(f"cannot write {state_path} ({exc.strerror})") from None
    return target, True


def _swap(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``; an old tree is moved aside first and removed after the rename."""
    if target.exists() or target.is_symlink():
        old = target.parent / f".old-{target.name}-{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
        os.replace(new, target)
        rmtree(old)
    else:
        os.replace(new, target)
