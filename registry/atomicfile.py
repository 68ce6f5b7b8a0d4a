"""Write a file whole or not at all, through a temporary file of its own beside it.

The temporary name is new each time (``mkstemp``), so a file the user keeps beside the target (``out.csv.tmp``,
``entry.yaml.tmp``) is never overwritten, moved over the target or deleted."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def replace_with(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; on an OSError the temporary file is removed and the error raised.

    A ``path`` that is a device, a FIFO or a socket (``-o /dev/null``, ``/dev/stdout``, ``/dev/full``, a named pipe)
    is written to, not replaced: renaming a regular file over it would swap the device for a file (as root,
    ``/dev/null`` itself), and a full device's error would be lost."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = stat.S_IFREG  # not there yet (or not readable): the temporary file and rename say what is wrong
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        with open(path, "wb") as stream:
            stream.write(data)
        return
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
