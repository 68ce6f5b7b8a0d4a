"""``$USREG_HOME``: the only owner of every path and file name under it, and of the id and version validators.

Layout::

    $USREG_HOME/
      downloads/<id>/<version>/<file>           verified downloads (<file>.part while downloading)
      downloads/<id>/<version>/usreg.lock.json  sha256, origin and trust level of every downloaded file
      downloads/<id>/<version>/rejected/        files that failed verification
      locks/<id>/<version>.lock                 the process lock of a fetch
      sources/<id>/<version>/                   the unpacked source tree (.<version>.state.json beside it)
      datasets/<id>/<version>/                  the common format (built in .<version>.partial-* and renamed)
      datasets/<id>/.<version>.lock             the process lock of a conversion
      collections/<id>/                         a collection's merged COCO files and member summary
      bench/trained/<dataset>/<version>/        weights trained by the benchmark recipes
      bench/reproductions.json                  reproduced metrics, read by the scorers
      hub/                                      Hugging Face Hub weights pinned to a commit (huggingface_hub's cache)
      index/catalog-<hash>.sqlite               the SQLite index of one catalog root

Other modules ask this one for a path; none spells these names itself.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .errors import UsageError
from .settings import settings

LOCK_FILE = "usreg.lock.json"
DOWNLOADS, SOURCES, DATASETS, BENCH, INDEX = "downloads", "sources", "datasets", "bench", "index"
COLLECTIONS, LOCKS, HUB = "collections", "locks", "hub"
REJECTED = "rejected"  # downloads/<id>/<version>/rejected/: files that failed verification, kept for inspection
AREAS = (DOWNLOADS, SOURCES, DATASETS)

ENTRY_ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"  # the schema's EntryId uses this one
# \Z, not $: Python's $ also matches before a final newline, and "abc\n" would become a file or folder name
ID_RE = re.compile(ENTRY_ID_PATTERN.removesuffix("$") + r"\Z")
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}\Z")


def usreg_home() -> Path:
    """The cache and index directory: ``$USREG_HOME``, else the platform's user cache dir."""
    home = settings().home
    if home is not None:
        return _checked_home(home)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("usreg"))


def _checked_home(home: Path) -> Path:
    """USREG_HOME made absolute (a relative one is taken from the working directory, and said so in every message),
    else a usage error when it cannot be a cache: a name with a control character (a newline would make a folder
    ``a\\nb``), the filesystem root (itself or through a link: ``index/``, ``downloads/`` ... would be made at /) or
    a folder inside a catalog's ``entries/`` (downloads would sit among the entries)."""
    text = str(home)
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise UsageError(
            f"USREG_HOME={text!r} holds a control character (a newline or tab?)",
            hint="set USREG_HOME to a plain folder path, e.g. USREG_HOME=~/usreg-data",
        )
    home = home.absolute()
    resolved = home.resolve()
    if resolved == Path(resolved.anchor):
        raise UsageError(
            f"USREG_HOME {home} is the filesystem root{'' if home == resolved else ' (through a link)'}; usreg "
            "would make its downloads/, sources/ and index/ folders there",
            hint="set USREG_HOME to a folder of its own, e.g. USREG_HOME=~/usreg-data",
        )
    for folder in (resolved, *resolved.parents):
        if folder.name == "entries" and any((folder / kind).is_dir() for kind in ("datasets", "models")):
            raise UsageError(
                f"USREG_HOME {home} lies inside the catalog's entries folder {folder}; downloads and converted data "
                "would be mixed with the entries",
                hint="set USREG_HOME to a folder outside the catalog, e.g. USREG_HOME=~/usreg-data",
            )
    return home


def check_writable(home: Path) -> Path:
    """``home`` made if missing and shown to take a file (one is written and removed), else a usage error (exit 2)
    that names it and says to point USREG_HOME at a folder that can be written. A read-only disk refuses root too,
    so the test is a write, not the permission bits."""
    import os
    import tempfile

    try:
        home.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".usreg-write-test-", dir=home)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        named = "USREG_HOME" if settings().home is not None else "the usreg cache (USREG_HOME unset)"
        raise UsageError(
            f"{named} {home} cannot be written: {exc.strerror or exc}; downloads, source trees and converted data "
            "are kept there",
            hint="set USREG_HOME to a folder you can write with room for the data (e.g. USREG_HOME=~/usreg-data) "
            "and run the command again",
        ) from None
    return home


def check_id(entry_id: str) -> str:
    """An entry id safe to use as a directory name (kebab-case, as the schema's ``EntryId``)."""
    if not ID_RE.match(entry_id or "") or len(entry_id) > 64:
        raise UsageError(f"{entry_id!r} is not an entry id", hint="ids are kebab-case, e.g. bus-bra")
    return entry_id


def check_version(version: str) -> str:
    """A version label safe to use as a directory name."""
    if not VERSION_RE.match(version or "") or ".." in version:
        raise UsageError(
            f"{version!r} is not a usable version label",
            hint="use letters, digits, '.', '_', '+' or '-' (e.g. 1, v2.0, 2024-05)",
        )
    return version


def downloads_dir(home: Path, entry_id: str, version: str) -> Path:
    return Path(home) / DOWNLOADS / entry_id / version


def rejected_dir(home: Path, entry_id: str, version: str) -> Path:
    return downloads_dir(home, entry_id, version) / REJECTED


def process_lock(home: Path, entry_id: str, version: str) -> Path:
    """The file lock that keeps two usreg processes from fetching one dataset version at once."""
    return Path(home) / LOCKS / entry_id / f"{version}.lock"


def conversion_lock(home: Path, entry_id: str, version: str) -> Path:
    """The file lock a conversion holds while it reads the source tree and writes ``datasets/<id>/<version>/``."""
    return Path(home) / DATASETS / entry_id / f".{version}.lock"


def lock_file(home: Path, entry_id: str, version: str) -> Path:
    return downloads_dir(home, entry_id, version) / LOCK_FILE


def sources_dir(home: Path, entry_id: str, version: str) -> Path:
    return Path(home) / SOURCES / entry_id / version


def source_state_file(home: Path, entry_id: str, version: str) -> Path:
    return Path(home) / SOURCES / entry_id / f".{version}.state.json"


def datasets_root(home: Path) -> Path:
    return Path(home) / DATASETS


def dataset_dir(home: Path, dataset_id: str, version: str) -> Path:
    return datasets_root(home) / dataset_id / version


def collection_dir(home: Path, collection_id: str) -> Path:
    """Merged COCO files and the member summary of a collection."""
    return Path(home) / COLLECTIONS / collection_id


def trained_dir(home: Path, dataset_id: str, version: str | None) -> Path:
    return Path(home) / BENCH / "trained" / dataset_id / (version or "unversioned")


def hub_cache_dir(home: Path) -> Path:
    """huggingface_hub's cache (its own models--owner--name/blobs|snapshots layout) for weights pinned to a commit."""
    return Path(home) / HUB


def reproductions_file(home: Path) -> Path:
    return Path(home) / BENCH / "reproductions.json"


def index_path(root: Path, home: Path | None = None) -> Path:
    """One SQLite index per catalog root, so two checkouts never share a stale index."""
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return (home or usreg_home()) / INDEX / f"catalog-{digest}.sqlite"


def relative_parts(name: str) -> list[str] | None:
    """The parts of ``name`` as a relative path that stays inside the folder it is joined to (backslashes read as
    separators), or None when it would leave it or is empty: '..', an absolute path, a drive letter, a NUL byte."""
    cleaned = name.replace("\\", "/")
    parts = [p for p in cleaned.split("/") if p not in ("", ".")]
    if (
        not parts
        or not cleaned.strip()
        or cleaned.startswith("/")
        or ".." in parts
        or (len(parts[0]) >= 2 and parts[0][1] == ":")
        or any("\x00" in p for p in parts)
    ):
        return None
    return parts
