"""``--from-file``: take files a person downloaded by hand into the cache, verified like a download."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import UsageError
from .names import check_reserved
from .plan import safe_relpath


def expand(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file on disk, name in the cache) for every given file, and every file under every given directory."""
    out: list[tuple[Path, str]] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            for dirpath, dirnames, names in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(names):
                    if name.startswith("."):  # .DS_Store and the like; a ``.part`` file is refused below
                        continue
                    full = Path(dirpath) / name
                    out.append((full, safe_relpath(full.relative_to(path).as_posix())))
        elif path.is_file():
            out.append((path, safe_relpath(path.name)))
        else:
            raise UsageError(
                f"--from-file {given}: no such file or directory",
                hint="give the path of a file you downloaded, or of a folder holding them",
            )
    if not out:
        raise UsageError("--from-file: the given paths hold no files", hint="check the paths")
    names = [name for _, name in out]
    check_reserved(names, "--from-file")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(
            f"--from-file: several given files would be stored as {dupes[0]!r}",
            hint="give each file once, or give their common folder instead",
        )
    return out


def place(source: Path, part: Path) -> None:
    """Copy ``source`` to ``part``. Never a hard link: the cache must not share an inode with a file the user owns
    (the user may change it, and the cached copy must stay the verified bytes). A copy-on-write clone is used where
    the file system offers one, else an ordinary copy (``copy_file_range``/``sendfile`` in the kernel)."""
    part.parent.mkdir(parents=True, exist_ok=True)
    part.unlink(missing_ok=True)
    if not _clone(source, part):
        shutil.copyfile(source, part)


def _clone(source: Path, part: Path) -> bool:
    """A reflink (FICLONE) copy on btrfs, XFS and the like; False where the file system has none."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Windows
        return False
    ficlone = 0x40049409
    try:
        with open(source, "rb") as src, open(part, "wb") as dst:
            fcntl.ioctl(dst.fileno(), ficlone, src.fileno())
        return True
    except OSError:
        part.unlink(missing_ok=True)
        return False
