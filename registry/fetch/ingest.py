"""``--from-file``: take files a person downloaded by hand into the cache, verified like a download."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import UsageError
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
                    if name.startswith(".") or name.endswith(".part"):
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
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(
            f"--from-file: several given files would be stored as {dupes[0]!r}",
            hint="give each file once, or give their common folder instead",
        )
    return out


def place(source: Path, part: Path) -> None:
    """Put ``source`` at ``part``: a hard link when possible (no copy of large data), else a copy."""
    part.parent.mkdir(parents=True, exist_ok=True)
    part.unlink(missing_ok=True)
    try:
        os.link(source, part)
    except OSError:
        shutil.copyfile(source, part)
