"""File names usreg keeps for itself in a dataset's download folder, and the check that no host or user file takes one.

::

    downloads/<id>/<version>/usreg.lock.json      the lock file
    downloads/<id>/<version>/rejected/            files whose checksum did not match
    downloads/<id>/<version>/<file>.part          a download in progress (and <file>.part.json, its state)

A host file called ``x.part`` next to ``x`` would be the partial file of ``x``, and ``usreg cache clean --what partial``
would delete it; a file called ``usreg.lock.json`` would replace the lock and make the wrong bytes look verified. Such
a name is refused before any byte is transferred, never silently mixed with usreg's own files. (Inside source trees
usreg's temporary files are created with ``O_EXCL`` under random names, so no archive member can collide with them.)
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import FetchError
from .lockfile import LOCK_NAME

PARTIAL_SUFFIXES = (".part", ".part.json")
REJECTED_DIR = "rejected"


def reserved_reason(name: str) -> str | None:
    """Why the relative file name ``name`` collides with usreg's own files, or None."""
    parts = name.split("/")
    if parts[0].casefold() == LOCK_NAME.casefold():
        return f"is the name of usreg's lock file ({LOCK_NAME})"
    if parts[0].casefold() == REJECTED_DIR:
        return f"takes {REJECTED_DIR}/, where usreg keeps files that failed verification"
    lower = name.casefold()
    for suffix in PARTIAL_SUFFIXES:
        if lower.endswith(suffix):
            return f"ends with {suffix!r}, the suffix of usreg's partial downloads"
    return None


def check_reserved(names: Iterable[str], where: str) -> None:
    """Raise ``FetchError`` naming the first name that collides with usreg's own files."""
    for name in names:
        reason = reserved_reason(name)
        if reason:
            raise FetchError(
                f"{where} gives a file named {name!r}, which {reason}; refusing to mix it with usreg's own files",
                hint="nothing was downloaded; report the file name to the dataset's usreg entry (or rename the file "
                "if it is yours, e.g. an unfinished browser download)",
            )
