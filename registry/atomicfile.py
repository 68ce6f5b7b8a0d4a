"""Write a file whole or not at all, through a temporary file of its own beside it.

The temporary name is new each time (``mkstemp``), so a file the user keeps beside the target (``out.csv.tmp``,
``entry.yaml.tmp``) is never overwritten, moved over the target or deleted."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def replace_with(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; on an OSError the temporary file is removed and the error raised."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600; the file gets the mode a plain write would give
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
