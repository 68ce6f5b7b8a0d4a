"""Where things live: the catalog root (found upward like git) and the cache home ($USREG_HOME)."""

from __future__ import annotations

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
