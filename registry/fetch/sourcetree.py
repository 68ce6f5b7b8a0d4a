"""Build ``sources/<id>/<version>/``, the tree handed to loaders: archives extracted, plain files hard-linked.

The tree is built in a temporary directory next to the target and renamed into place only when every archive was
extracted, so a failure never leaves a half-built tree. A state file records which verified downloads the tree was
built from; an unchanged set of downloads is not extracted again.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

from ..errors import UsageError
from .errors import FetchError
from .extract import Limits, archive_kind, extract


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.is_file():  # a later download wins over an earlier archive member
        target.unlink()
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


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
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for name in sorted(files):
            path = downloads / name
            if archive_kind(name):
                if on_archive:
                    on_archive(name)
                extract(path, tmp, limits)
            else:
                _link_or_copy(path, tmp / name)
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
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
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
    else:
        os.replace(new, target)
