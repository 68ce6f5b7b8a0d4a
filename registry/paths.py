"""Where things live: the catalog root (found upward like git) and the cache home ($USREG_HOME)."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError

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


def usreg_home() -> Path:
    """The cache and index directory: $USREG_HOME, else the platform's user cache dir."""
    env = os.environ.get("USREG_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("usreg"))


def index_path(root: Path) -> Path:
    """One SQLite index per catalog root, so two checkouts never share a stale index."""
    import hashlib

    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return usreg_home() / "index" / f"catalog-{digest}.sqlite"
