"""Where things live: the catalog root (found upward like git) and the cache home ($USREG_HOME)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import UsageError
from .home import index_path as index_path
from .home import usreg_home as usreg_home

ENTRY_DIRS = {"dataset": "entries/datasets", "model": "entries/models"}


def find_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` that holds ``entries/``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "entries").is_dir():
            return candidate
    raise UsageError(
        f"no catalog found: neither {here} nor any parent has an 'entries/' directory",
        hint="run usreg inside a usreg checkout, or pass --root DIR",
    )


def not_a_file(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file that can be read (links followed): "does not exist", "is a
    folder, not a file", "is a FIFO, not a file", "is a device, not a file", ...; None for a readable file. It only
    looks (stat): a FIFO is never opened, which would wait for a writer, and a device such as /dev/zero never read."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            return f"is a link to {os.readlink(path)}, which does not exist"
        return "does not exist"
    except OSError as exc:  # a folder on the way that cannot be entered, a name too long
        return f"cannot be looked at ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None if os.access(path, os.R_OK) else "cannot be read (no read permission)"
    if stat.S_ISDIR(mode):
        kind = "a folder"
    elif stat.S_ISFIFO(mode):
        kind = "a FIFO"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    else:
        kind = "a device"
    return f"is {kind}, not a file"
